"""Turn checkpoints saved by the reference code bases into mmkd checkpoints, verified.

Three steps, each in its own module: the **layout** finds the weights inside the reference
container (:mod:`.reference_layouts`, where a new layout registers itself), the **key mapping**
renames them for the target classifier (:mod:`.reference_keys`, or the layout's own
``map_keys``), and this module reconciles BatchNorm book-keeping (``num_batches_tracked`` dropped
when the target has none, filled with 0 when an old checkpoint lacks it) and **verifies** the
result against the target model: every key present, nothing extra, every shape equal. Anything
else is a :class:`~mmkd.utils.errors.CheckpointError` naming the keys.

The command line (``tools/model_converters/convert_reference.py``) adds the conveniences: it
searches mmkd's model configs for the one a checkpoint would fit and says so when the given
config does not.
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from mmkd.utils.errors import CheckpointError, ConfigError
from .reference_keys import (CLASSIFIER_PREFIXES, backbone_converter, classifier_of,
                             classifier_prefix, map_classifier_keys)
from .reference_layouts import (LAYOUTS, ReferenceLayout, detect_layout,
                                extract_reference_state_dict, get_layout, register_layout)
from .state_dict import CONVERTER, DATA_PARALLEL_PREFIX, state_dict_diff, strip_data_parallel

__all__ = [
    'CLASSIFIER_PREFIXES', 'CONVERTER', 'LAYOUTS', 'ReferenceLayout', 'backbone_converter',
    'build_target_model', 'classifier_prefix', 'convert_checkpoint', 'convert_layout_weights',
    'convert_state_dict', 'detect_layout', 'extract_reference_state_dict', 'get_layout',
    'map_classifier_keys', 'reconcile_bookkeeping', 'register_layout', 'strip_data_parallel',
    'verify_state_dict'
]

#: BatchNorm book-keeping buffers: dropped when the target lacks them, filled when missing
BOOKKEEPING_SUFFIX = 'num_batches_tracked'

#: top-level module names of mmkd classifiers and distillers (a file with only these keys is
#: already an mmkd checkpoint)
MMKD_PREFIXES = ('backbone.', 'neck.', 'head.', 'data_preprocessor.', 'student.', 'teacher.',
                 'connectors.', 'distill_losses.')

#: ``hint_fn(checkpoint, weights, layout) -> str``: advice added when the result does not fit
HintFn = Callable[[Any, Mapping[str, Any], ReferenceLayout], str]


def _looks_like_mmkd(keys: Sequence[str]) -> bool:
    keys = [
        k[len(DATA_PARALLEL_PREFIX):] if k.startswith(DATA_PARALLEL_PREFIX) else k for k in keys
    ]
    return bool(keys) and all(k.startswith(MMKD_PREFIXES) for k in keys)


def _refuse_mmkd(weights: Mapping[str, Any], source: str) -> None:
    if _looks_like_mmkd(list(weights)):
        raise CheckpointError(
            f'{source} already holds mmkd weights (keys start with backbone./head. or '
            'student./teacher.): it needs no conversion; use it directly (load_from, '
            'teacher_ckpt, tools/test.py).')


# ------------------------------------------------------------- book-keeping, verification
def reconcile_bookkeeping(
        state_dict: Mapping[str, Any],
        target: Mapping[str, torch.Tensor]) -> Tuple['OrderedDict[str, Any]', List[str], List[str]]:
    """Drop ``num_batches_tracked`` entries of BatchNorms the target has without that buffer
    (e.g. ``track_running_stats=False``); add the ones an old (PyTorch < 0.4.1) checkpoint lacks,
    as 0. Returns ``(state_dict, dropped, filled)``. Entries of BatchNorms the target does not
    have at all are kept, so that verification reports them."""
    out = OrderedDict()
    dropped, filled = [], []
    for key, value in state_dict.items():
        if key.endswith(BOOKKEEPING_SUFFIX) and key not in target:
            stem = key[:-len(BOOKKEEPING_SUFFIX)]
            if any(stem + name in target for name in ('weight', 'running_mean')):
                dropped.append(key)
                continue
        out[key] = value
    for key, value in target.items():
        if key.endswith(BOOKKEEPING_SUFFIX) and key not in out:
            # only where the rest of that BatchNorm came from the checkpoint
            stem = key[:-len(BOOKKEEPING_SUFFIX)]
            if stem + 'running_mean' in out:
                out[key] = torch.zeros_like(value, device='cpu')
                filled.append(key)
    return out, dropped, filled


def verify_state_dict(state_dict: Mapping[str, Any],
                      model: nn.Module,
                      what: str = 'The converted checkpoint',
                      hint: str = '') -> None:
    """Raise :class:`CheckpointError` unless ``state_dict`` loads into ``model`` strictly."""
    own = model.state_dict()
    diff = state_dict_diff(state_dict, own)
    if diff.ok:
        return
    parts = [
        f'{what} does not fit the target model ({type(model.backbone).__name__} backbone,'
        f' {len(own)} keys).',
        diff.describe()
    ]
    if hint:
        parts.append(hint)
    raise CheckpointError(' '.join(parts))


# ------------------------------------------------------------------------- conversion
def convert_layout_weights(
        weights: Mapping[str, Any], layout: Union[str, ReferenceLayout],
        model: nn.Module) -> Tuple['OrderedDict[str, Any]', List[str], List[str]]:
    """Map unwrapped reference ``weights`` for ``model`` (no verification):
    ``(state_dict, dropped book-keeping keys, filled book-keeping keys)``."""
    mapped = get_layout(layout).mapper()(weights, model)
    return reconcile_bookkeeping(mapped, model.state_dict())


def generic_hint(layout: ReferenceLayout) -> str:
    return ('Check that the config is the architecture the checkpoint was trained with '
            f'(and its head.num_classes), and that --layout {layout.name} is the code base '
            'that saved it.')


def convert_state_dict(state_dict: Mapping[str, Any],
                       layout: Union[str, ReferenceLayout],
                       model: nn.Module,
                       hint: Optional[str] = None) -> Dict[str, Any]:
    """Convert reference weights into a state dict that ``model.load_state_dict(strict=True)``
    accepts.

    Args:
        state_dict: the reference weights, or the whole loaded reference checkpoint (the
            layout's container is unwrapped).
        layout: a registered layout name (``'repdistiller'``, ``'tfkd'``, ``'torchvision'``,
            ``'hsakd'``, ...) or a :class:`ReferenceLayout`.
        model: the target model (an mmpretrain ``ImageClassifier`` with an mmkd backbone).
        hint: appended to the error message when the result does not fit ``model``.

    Raises:
        CheckpointError: the weights do not fit ``model`` (missing/unexpected keys, shapes).
    """
    layout = get_layout(layout)
    classifier_of(model)
    weights, _ = extract_reference_state_dict(state_dict, layout)
    _refuse_mmkd(weights, 'The checkpoint')
    converted, _, _ = convert_layout_weights(weights, layout, model)
    verify_state_dict(converted, model, hint=generic_hint(layout) if hint is None else hint)
    return converted


# ------------------------------------------------------------------------- the files
def build_target_model(config: str, cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the model of an mmkd model/baseline config (on CPU, in eval mode)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    from .model_config import resolve_config_path
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(resolve_config_path(config))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if 'model' not in cfg:
        raise ConfigError(f'{config} has no `model`.')
    if 'Distiller' in str(cfg.model.get('type', '')):
        raise ConfigError(f'{config} is a distillation config; --config must be the classifier '
                          'the checkpoint holds (e.g. configs/_base_/models/resnet32x4.py for '
                          'a resnet32x4 teacher).')
    with DefaultScope.overwrite_default_scope('mmkd'):
        model = MODELS.build(cfg.model)
    return classifier_of(model).eval()


def convert_checkpoint(src: str,
                       dst: str,
                       layout: Union[str, ReferenceLayout],
                       config: str,
                       cfg_options: Optional[dict] = None,
                       hint_fn: Optional[HintFn] = None) -> dict:
    """Read a reference checkpoint safely, convert it for ``config``'s model, verify it, save
    ``{'meta': ..., 'state_dict': ...}`` atomically to ``dst``. Returns the meta.

    ``hint_fn(checkpoint, weights, layout)`` gives the advice appended when the weights do not
    fit (the CLI's suggests a layout/config that would); default: a generic sentence.
    """
    from mmkd.utils.atomic import atomic_torch_save
    from mmkd.utils.checkpoint import safe_load
    layout = get_layout(layout)
    model = build_target_model(config, cfg_options)
    checkpoint = safe_load(src)
    weights, source_meta = extract_reference_state_dict(checkpoint, layout, source=src)
    _refuse_mmkd(weights, src)
    converted, dropped, filled = convert_layout_weights(weights, layout, model)
    try:
        verify_state_dict(
            converted,
            model,
            what=f'{src} converted with --layout {layout.name} '
            f'for --config {config}')
    except CheckpointError as e:
        hint = hint_fn(checkpoint, weights, layout) if hint_fn else generic_hint(layout)
        raise CheckpointError(f'{e} {hint}') from None
    state_dict = OrderedDict(
        (k, v.detach().cpu().contiguous() if isinstance(v, torch.Tensor) else v)
        for k, v in converted.items())
    model.load_state_dict(state_dict, strict=True)  # the final word on "it loads"
    meta = dict(
        converted_by='mmkd reference_converter',
        source=osp.abspath(src),
        layout=layout.name,
        config=config,
        source_meta=source_meta,
        num_keys=len(state_dict),
        dropped_keys=dropped,
        filled_keys=filled,
    )
    try:
        from mmkd.version import __version__
        meta['mmkd_version'] = __version__
    except ImportError:  # pragma: no cover
        pass
    atomic_torch_save(dict(meta=meta, state_dict=state_dict), dst)
    return meta
