"""``tools/train.py --device-aug / --channels-last / --compile``: the opt-in fast path.

* ``--device-aug``: the config's per-sample ``RandomCrop`` + ``RandomFlip`` become
  :class:`DrawCropFlip` (draws only) + :class:`BatchAugmentClsDataPreprocessor` (batched crop
  and flip on the device); bit-identical images, so results and exact resume are unchanged.
* ``--channels-last``: :class:`ChannelsLastHook`.
* ``--compile``: :class:`CompileNetworksHook` (falls back to eager with a message).
* ``--amp``: :func:`configure_amp` (bf16 where supported, else fp16 with loss scaling).
"""
import copy

from .errors import ConfigError


def _train_datasets(dataset):
    """The dataset dicts that hold the training pipeline (wrappers nest them)."""
    found = []
    while isinstance(dataset, dict):
        if 'pipeline' in dataset:
            found.append(dataset)
        dataset = dataset.get('dataset')
    return found


def use_device_augmentation(cfg) -> None:
    datasets = _train_datasets(cfg.train_dataloader.get('dataset'))
    if not datasets:
        raise ConfigError('--device-aug: train_dataloader.dataset has no pipeline to rewrite.')
    for dataset in datasets:
        pipeline = list(dataset['pipeline'])
        types = [t.get('type') for t in pipeline]
        if 'RandomCrop' not in types:
            raise ConfigError(
                f'--device-aug needs a RandomCrop(+RandomFlip) training pipeline; this config has '
                f'{" -> ".join(map(str, types))}. Drop --device-aug for it.')
        crop = pipeline[types.index('RandomCrop')]
        size = crop.get('crop_size')
        size = size[0] if isinstance(size, (list, tuple)) else size
        pad = pipeline[types.index('PadBorder')] if 'PadBorder' in types else None
        if pad is not None and (types.index('PadBorder') > types.index('RandomCrop')
                                or crop.get('padding')):
            raise ConfigError('--device-aug: PadBorder must come right before a RandomCrop '
                              'without padding; drop --device-aug for this pipeline.')
        flip = pipeline[types.index('RandomFlip')] if 'RandomFlip' in types else None
        if flip is not None and flip.get('direction', 'horizontal') != 'horizontal':
            raise ConfigError('--device-aug only knows horizontal flips; drop --device-aug.')
        padding = pad['padding'] if pad is not None else (crop.get('padding') or 0)
        padding_mode = pad.get('padding_mode', 'constant') if pad is not None else 'constant'
        draw = dict(
            type='DrawCropFlip',
            crop_size=size,
            padding=padding,
            flip_prob=float(flip.get('prob', 0.5)) if flip else 0.0)
        rewritten = []
        for t in pipeline:
            if t is crop:
                rewritten.append(draw)
            elif t is flip or t is pad:
                continue
            elif t.get('type') == 'PackInputs':
                t = copy.deepcopy(t)
                keys = tuple(t.get('meta_keys', ('sample_idx', )))
                t['meta_keys'] = keys + tuple(k for k in ('crop_offset', 'flip') if k not in keys)
                rewritten.append(t)
            else:
                rewritten.append(t)
        dataset['pipeline'] = rewritten
    # mmpretrain's RandomCrop pads its `padding` with zeros (its padding_mode only applies to
    # pad_if_needed); reflection comes from a PadBorder before it
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
    preprocessor = dict(preprocessor)
    if preprocessor.get('type') not in (None, 'ClsDataPreprocessor',
                                        'BatchAugmentClsDataPreprocessor'):
        raise ConfigError(f'--device-aug replaces the data preprocessor, but this config uses '
                          f'{preprocessor["type"]}; drop --device-aug.')
    preprocessor.update(
        type='BatchAugmentClsDataPreprocessor',
        crop_size=draw['crop_size'],
        padding=draw['padding'],
        padding_mode=padding_mode)
    cfg.model.data_preprocessor = preprocessor


def amp_dtype() -> str:
    """bf16 where the GPU supports it (no loss scaling needed), fp16 otherwise."""
    import torch
    if torch.cuda.is_available() and torch.cuda.is_bf16_supported():
        return 'bfloat16'
    return 'float16'


def configure_amp(cfg) -> None:
    """``--amp``: mmengine's ``AmpOptimWrapper`` with :func:`amp_dtype` (fp16 with dynamic
    loss scaling). mmkd's losses cast their inputs to fp32, so only the networks run in half
    precision. Configs with several optimizer wrappers set ``type='AmpOptimWrapper'`` per part."""
    wrapper = cfg.optim_wrapper
    if wrapper.get('type', 'OptimWrapper') not in ('OptimWrapper', 'AmpOptimWrapper'):
        raise ConfigError(f'--amp: this config\'s optim_wrapper is {wrapper["type"]}; set '
                          'type=\'AmpOptimWrapper\' for each of its parts instead.')
    wrapper.type = 'AmpOptimWrapper'
    wrapper.dtype = amp_dtype()
    if wrapper.dtype == 'float16':
        wrapper.setdefault('loss_scale', 'dynamic')


def add_fast_path_hooks(cfg, channels_last: bool, compile_networks: bool) -> None:
    hooks = list(cfg.get('custom_hooks') or [])
    if channels_last:
        hooks.append(dict(type='ChannelsLastHook'))
    if compile_networks:
        hooks.append(dict(type='CompileNetworksHook'))
    cfg.custom_hooks = hooks
