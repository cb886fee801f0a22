"""Turn checkpoints saved by the reference code bases into mmkd checkpoints.

A reference checkpoint differs from an mmkd one in two ways:

* **the container** (the *layout*): RepDistiller/CRD/SemCKD save ``{'model': state_dict, 'epoch',
  'best_acc', 'optimizer', ...}``; the Tf-KD repo saves ``{'epoch', 'state_dict', 'optim_dict'}``
  (``.pth.tar``), sometimes from an ``nn.DataParallel`` model so every key starts with
  ``module.``; torchvision's ImageNet ResNets are a bare state dict;
* **the key names**: mmkd backbones keep the reference module names, so a reference key maps to
  ``backbone.<key>``, except the final classifier layer, which is mmpretrain's ``head.fc``
  (``fc.*`` for the CIFAR ResNet/WRN and torchvision, ``classifier.*`` VGG, ``classifier.0.*``
  MobileNetV2-half, ``linear.*`` ShuffleV1/V2 and the kuangliu ResNets, ...). A backbone module
  whose mapping is not a pure rename (MobileNetV2-TfKD's 1×1-conv classifier becomes a Linear)
  defines a module-level ``convert_reference_state_dict(state_dict) -> state_dict``, which is
  used whenever it exists.

:func:`convert_state_dict` does both, then reconciles BatchNorm book-keeping
(``num_batches_tracked`` dropped when the target has none, filled with 0 when an old checkpoint
lacks it) and verifies the result against the target model: every key present, nothing extra,
every shape equal. Anything else is a :class:`~mmkd.utils.errors.CheckpointError` naming the keys
and suggesting the config/layout that would fit.

Adding a layout (e.g. HSAKD's ``{'net': {backbone.*, auxiliary_classifier.*}}``) means
registering a :class:`ReferenceLayout` with its container key(s) and, when the key mapping is not
the plain-classifier one, its own ``map_keys(state_dict, model)``::

    register_layout(ReferenceLayout(
        name='hsakd', containers=('net', ), description='HSAKD/HSSAKD train_*_cifar.py',
        map_keys=map_hsakd_keys))  # backbone.* -> plain-classifier mapping, aux -> aux heads

Nothing else here needs to change: extraction, book-keeping, verification, suggestions and the
CLI (``tools/model_converters/convert_reference.py``) are layout-agnostic.
"""
import glob
import importlib
import os.path as osp
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn

from mmkd.utils.errors import CheckpointError, ConfigError

#: the prefix ``nn.DataParallel`` / ``DistributedDataParallel`` adds to every key
DATA_PARALLEL_PREFIX = 'module.'

#: classifier-layer prefix of backbones whose module has no ``convert_reference_state_dict``
#: (the mapping is then a pure rename, see each backbone module's docstring)
CLASSIFIER_PREFIXES: Dict[str, str] = {
    'ResNetCifar': 'fc.',  # RepDistiller models/resnet.py
    'WideResNetCifar': 'fc.',  # models/wrn.py
    'VGGCifar': 'classifier.',  # models/vgg.py
    'MobileNetV2Cifar': 'classifier.0.',  # models/mobilenetv2.py (Sequential(Linear))
    'ShuffleNetV1Cifar': 'linear.',  # models/ShuffleNetv1.py
    'ShuffleNetV2Cifar': 'linear.',  # models/ShuffleNetv2.py
}

#: BatchNorm book-keeping buffers: dropped when the target lacks them, filled when missing
BOOKKEEPING_SUFFIX = 'num_batches_tracked'

#: top-level module names of mmkd classifiers and distillers (a file with only these keys is
#: already an mmkd checkpoint)
MMKD_PREFIXES = ('backbone.', 'neck.', 'head.', 'data_preprocessor.', 'student.', 'teacher.',
                 'connectors.', 'distill_losses.')

#: what the CLI and the error messages call the converter
CONVERTER = 'tools/model_converters/convert_reference.py'


# ----------------------------------------------------------------------------- layouts
@dataclass(frozen=True)
class ReferenceLayout:
    """How one code base stores a checkpoint.

    Args:
        name: the ``--layout`` value.
        description: who writes it (shown in ``--help`` and error messages).
        containers: top-level keys that hold the state dict, tried in order; empty for a bare
            state dict.
        allow_bare: also accept a bare state dict (no container).
        map_keys: ``(reference_state_dict, model) -> mmkd state dict``; the default is
            :func:`map_classifier_keys` (``module.`` stripped, classifier → ``head.fc``, the rest
            → ``backbone.``).
        meta_keys: top-level entries worth keeping in the converted checkpoint's meta (scalars
            only; optimizer states are never kept).
    """

    name: str
    description: str
    containers: Tuple[str, ...] = ()
    allow_bare: bool = False
    map_keys: Optional[Callable[[Mapping[str, Any], nn.Module], Dict[str, Any]]] = None
    meta_keys: Tuple[str, ...] = field(default=('epoch', 'best_acc', 'accuracy', 'acc',
                                                'best_acc1', 'arch'))

    def mapper(self) -> Callable[[Mapping[str, Any], nn.Module], Dict[str, Any]]:
        return self.map_keys if self.map_keys is not None else map_classifier_keys


LAYOUTS: 'OrderedDict[str, ReferenceLayout]' = OrderedDict()


def register_layout(layout: ReferenceLayout, force: bool = False) -> ReferenceLayout:
    """Make ``layout`` available by name (``--layout``)."""
    if layout.name in LAYOUTS and not force:
        raise KeyError(f'Reference layout {layout.name!r} is already registered.')
    LAYOUTS[layout.name] = layout
    return layout


def get_layout(layout: Union[str, ReferenceLayout]) -> ReferenceLayout:
    if isinstance(layout, ReferenceLayout):
        return layout
    if layout not in LAYOUTS:
        raise ConfigError(f'Unknown reference layout {layout!r}; choose one of '
                          f'{", ".join(LAYOUTS)}.')
    return LAYOUTS[layout]


register_layout(ReferenceLayout(
    name='repdistiller',
    description="RepDistiller / CRD / SemCKD train_teacher.py: {'model': state_dict, 'epoch', "
    "'best_acc' or 'accuracy', 'optimizer'}",
    containers=('model', )))
register_layout(ReferenceLayout(
    name='tfkd',
    description="Teacher-free KD train_kd.py / ImageNet_train: {'epoch', 'state_dict', "
    "'optim_dict'} (.pth.tar; keys may start with 'module.')",
    containers=('state_dict', )))
register_layout(ReferenceLayout(
    name='torchvision',
    description='torchvision model zoo: a bare state dict (fc.* is the classifier)',
    allow_bare=True))


def _map_hsakd_keys(state_dict, model):
    from .hsakd_converter import map_hsakd_keys  # the mapping lives with the HSAKD code
    return map_hsakd_keys(state_dict, model)


register_layout(ReferenceLayout(
    name='hsakd',
    description="HSAKD / HSSAKD train_*_cifar.py / *_imagenet.py: {'net': {backbone.*, "
    "auxiliary_classifier.*}, 'acc', 'epoch', 'optimizer'}; into an aux-branch classifier "
    '(configs/_base_/models/hsakd/<arch>_aux.py) or, branches dropped, a plain one',
    containers=('net', ),
    map_keys=_map_hsakd_keys))


# ------------------------------------------------------------------ checkpoint inspection
def _is_state_dict(obj: Any) -> bool:
    """A non-empty mapping from names to tensors (the weights themselves, not a container)."""
    return (isinstance(obj, Mapping) and len(obj) > 0
            and all(isinstance(k, str) for k in obj)
            and all(isinstance(v, torch.Tensor) for v in obj.values()))


def _looks_like_mmkd(keys: Sequence[str]) -> bool:
    keys = [k[len(DATA_PARALLEL_PREFIX):] if k.startswith(DATA_PARALLEL_PREFIX) else k
            for k in keys]
    return bool(keys) and all(k.startswith(MMKD_PREFIXES) for k in keys)


def _refuse_mmkd(weights: Mapping[str, Any], source: str) -> None:
    if _looks_like_mmkd(list(weights)):
        raise CheckpointError(
            f'{source} already holds mmkd weights (keys start with backbone./head. or '
            'student./teacher.): it needs no conversion; use it directly (load_from, '
            'teacher_ckpt, tools/test.py).')


def detect_layout(checkpoint: Any) -> Optional[str]:
    """Best guess of the layout of a loaded checkpoint (``None`` if no registered one fits)."""
    if not isinstance(checkpoint, Mapping):
        return None
    for layout in LAYOUTS.values():
        if any(_is_state_dict(checkpoint.get(c)) for c in layout.containers):
            return layout.name
    if _is_state_dict(checkpoint):
        for layout in LAYOUTS.values():
            if layout.allow_bare:
                return layout.name
    return None


def extract_reference_state_dict(checkpoint: Any, layout: Union[str, ReferenceLayout],
                                 source: str = 'the checkpoint') -> Tuple[Dict[str, Any], dict]:
    """Return ``(state_dict, meta)``: the weights inside ``checkpoint`` and the scalar entries
    of ``layout.meta_keys`` next to them.

    ``checkpoint`` may also be the state dict itself (already unwrapped).
    """
    layout = get_layout(layout)
    if not isinstance(checkpoint, Mapping):
        raise CheckpointError(f'{source} holds a {type(checkpoint).__name__}, not a checkpoint '
                              'dict or state dict.')
    for container in layout.containers:
        inner = checkpoint.get(container)
        if _is_state_dict(inner):
            meta = {}
            for key in layout.meta_keys:
                value = _scalar(checkpoint.get(key))
                if value is not None:
                    meta[key] = value
            return dict(inner), meta
    if _is_state_dict(checkpoint):
        # a bare state dict (torchvision), or weights already unwrapped by the caller: the key
        # mapping does not depend on the container
        return dict(checkpoint), {}
    guess = detect_layout(checkpoint)
    top = ', '.join(repr(k) for k in list(checkpoint)[:8]) or 'none'
    expected = (' or '.join(repr(c) for c in layout.containers) if layout.containers else
                'a bare state dict')
    hint = (f' It looks like the {guess!r} layout: use --layout {guess}.'
            if guess and guess != layout.name else '')
    raise CheckpointError(f'{source} does not have the {layout.name!r} layout (expected '
                          f'{expected}; its top-level keys are {top}).{hint}')


def _scalar(value: Any) -> Any:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return value.item()
    if isinstance(value, (bool, int, float, str)):
        return value
    try:  # numpy scalars
        import numpy as np
        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover
        pass
    return None


# ---------------------------------------------------------------------- key mapping
def strip_data_parallel(state_dict: Mapping[str, Any]) -> 'OrderedDict[str, Any]':
    """Remove the ``module.`` prefix of ``nn.DataParallel`` checkpoints."""
    return OrderedDict(
        (k[len(DATA_PARALLEL_PREFIX):] if k.startswith(DATA_PARALLEL_PREFIX) else k, v)
        for k, v in state_dict.items())


def _classifier_of(model: nn.Module) -> nn.Module:
    if not (hasattr(model, 'backbone') and hasattr(model, 'head')):
        kind = type(model).__name__
        extra = (' A distillation config is not a conversion target: pass the student/teacher '
                 'model config (e.g. configs/_base_/models/resnet32x4.py).'
                 if 'Distiller' in kind else '')
        raise ConfigError(f'The conversion target must be a classifier with a backbone and a '
                          f'head (an mmpretrain ImageClassifier); got {kind}.{extra}')
    return model


def backbone_converter(model: nn.Module) -> Optional[Callable[[Mapping[str, Any]], Dict]]:
    """The backbone module's ``convert_reference_state_dict``, if it defines one."""
    backbone = _classifier_of(model).backbone
    module = importlib.import_module(type(backbone).__module__)
    fn = getattr(module, 'convert_reference_state_dict', None)
    return fn if callable(fn) else None


def classifier_prefix(model: nn.Module, state_dict: Optional[Mapping[str, Any]] = None) -> str:
    """The reference name of the classifier layer of ``model``'s backbone.

    From the backbone's ``reference_classifier_prefix`` attribute, :data:`CLASSIFIER_PREFIXES`,
    or, for a backbone mmkd does not know, the one usual prefix whose ``weight`` is in
    ``state_dict`` with the head's shape.
    """
    backbone = _classifier_of(model).backbone
    prefix = getattr(backbone, 'reference_classifier_prefix', None)
    if prefix is None:
        prefix = CLASSIFIER_PREFIXES.get(type(backbone).__name__)
    if prefix is not None:
        return prefix
    fc = getattr(model.head, 'fc', None)
    if state_dict is not None and fc is not None:
        found = [p for p in ('fc.', 'linear.', 'classifier.0.', 'classifier.', 'head.')
                 if p + 'weight' in state_dict
                 and tuple(state_dict[p + 'weight'].shape) == tuple(fc.weight.shape)]
        if len(found) == 1:
            return found[0]
    raise ConfigError(f'mmkd does not know the reference name of the classifier of backbone '
                      f'{type(backbone).__name__}: add it to CLASSIFIER_PREFIXES in '
                      f'{__name__} or give its module a convert_reference_state_dict().')


def map_classifier_keys(state_dict: Mapping[str, Any], model: nn.Module) -> Dict[str, Any]:
    """Reference key names → mmkd ``ImageClassifier`` key names (the default ``map_keys``)."""
    state_dict = strip_data_parallel(state_dict)
    convert = backbone_converter(model)
    if convert is not None:
        return OrderedDict(convert(state_dict))
    prefix = classifier_prefix(model, state_dict)
    out = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(prefix):
            out['head.fc.' + key[len(prefix):]] = value
        else:
            out['backbone.' + key] = value
    return out


# ------------------------------------------------------------- book-keeping, verification
def reconcile_bookkeeping(state_dict: Mapping[str, Any], target: Mapping[str, torch.Tensor]
                          ) -> Tuple['OrderedDict[str, Any]', List[str], List[str]]:
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


def _show(items: Sequence[str], limit: int = 6) -> str:
    items = list(items)
    more = f' (+{len(items) - limit} more)' if len(items) > limit else ''
    return ', '.join(items[:limit]) + more


def state_dict_mismatch(state_dict: Mapping[str, Any], target: Mapping[str, torch.Tensor]
                        ) -> Tuple[List[str], List[str], List[str]]:
    """``(missing, unexpected, shape mismatches)`` of ``state_dict`` against ``target``."""
    missing = [k for k in target if k not in state_dict]
    unexpected = [k for k in state_dict if k not in target]
    mismatched = []
    for key, ref in target.items():
        value = state_dict.get(key)
        if value is None or not hasattr(value, 'shape'):
            continue
        if tuple(value.shape) != tuple(ref.shape):
            mismatched.append(f'{key} {tuple(value.shape)} vs {tuple(ref.shape)}')
    return missing, unexpected, mismatched


def verify_state_dict(state_dict: Mapping[str, Any], model: nn.Module,
                      what: str = 'The converted checkpoint', hint: str = '') -> None:
    """Raise :class:`CheckpointError` unless ``state_dict`` loads into ``model`` strictly."""
    missing, unexpected, mismatched = state_dict_mismatch(state_dict, model.state_dict())
    if not (missing or unexpected or mismatched):
        return
    parts = [f'{what} does not fit the target model ({type(model.backbone).__name__} backbone,'
             f' {len(model.state_dict())} keys).']
    if missing:
        parts.append(f'Missing keys ({len(missing)}): {_show(missing)}.')
    if unexpected:
        parts.append(f'Unexpected keys ({len(unexpected)}): {_show(unexpected)}.')
    if mismatched:
        parts.append(f'Shape mismatches ({len(mismatched)}): {_show(mismatched)}.')
    if hint:
        parts.append(hint)
    raise CheckpointError(' '.join(parts))


# ------------------------------------------------------------------------- conversion
def _convert(state_dict: Mapping[str, Any], layout: ReferenceLayout,
             model: nn.Module) -> Tuple['OrderedDict[str, Any]', List[str], List[str]]:
    mapped = layout.mapper()(state_dict, model)
    return reconcile_bookkeeping(mapped, model.state_dict())


def convert_state_dict(state_dict: Mapping[str, Any], layout: Union[str, ReferenceLayout],
                       model: nn.Module, hint: Optional[str] = None) -> Dict[str, Any]:
    """Convert reference weights into a state dict that ``model.load_state_dict(strict=True)``
    accepts.

    Args:
        state_dict: the reference weights, or the whole loaded reference checkpoint (the
            layout's container is unwrapped).
        layout: a registered layout name (``'repdistiller'``, ``'tfkd'``, ``'torchvision'``) or
            a :class:`ReferenceLayout`.
        model: the target model (an mmpretrain ``ImageClassifier`` with an mmkd backbone).
        hint: appended to the error message when the result does not fit ``model`` (the CLI
            passes config/layout suggestions).

    Raises:
        CheckpointError: the weights do not fit ``model`` (missing/unexpected keys, shapes).
    """
    layout = get_layout(layout)
    _classifier_of(model)
    weights, _ = extract_reference_state_dict(state_dict, layout)
    _refuse_mmkd(weights, 'The checkpoint')
    converted, _, _ = _convert(weights, layout, model)
    if hint is None:
        hint = _generic_hint(weights, layout)
    verify_state_dict(converted, model, hint=hint)
    return converted


def _generic_hint(weights: Mapping[str, Any], layout: ReferenceLayout) -> str:
    return ('Check that the config is the architecture the checkpoint was trained with '
            f'(and its head.num_classes), and that --layout {layout.name} is the code base '
            'that saved it.')


# -------------------------------------------------------------------- suggestions
def _package_root() -> str:
    from mmkd.models.distillers.builder_utils import PACKAGE_ROOT
    return PACKAGE_ROOT


def suggest_configs(weights: Mapping[str, Any], layout: Union[str, ReferenceLayout],
                    search_dirs: Optional[Sequence[str]] = None,
                    limit: int = 3) -> Tuple[List[str], List[str]]:
    """Model configs the reference ``weights`` would convert into exactly.

    Every config in ``search_dirs`` (default: mmkd's ``configs/_base_/models``) is built on the
    ``meta`` device (no memory, no init cost). Returns ``(exact, up_to_classes)``: configs that
    fit as they are, and configs that fit once ``head.num_classes`` matches the checkpoint.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmkd.registry import MODELS
    layout = get_layout(layout)
    if search_dirs is None:
        search_dirs = [osp.join(_package_root(), 'configs', '_base_', 'models')]
    root = _package_root()
    exact, up_to_classes = [], []
    for folder in search_dirs:
        for path in sorted(glob.glob(osp.join(folder, '*.py'))):
            try:
                cfg = Config.fromfile(path)
                if 'model' not in cfg or 'Distiller' in str(cfg.model.get('type', '')):
                    continue
                with torch.device('meta'), DefaultScope.overwrite_default_scope('mmkd'):
                    model = MODELS.build(cfg.model)
                converted, _, _ = _convert(weights, layout, model)
                missing, unexpected, mismatched = state_dict_mismatch(
                    converted, model.state_dict())
            except Exception:  # a config that cannot be built or mapped is not a candidate
                continue
            name = osp.relpath(path, root) if path.startswith(root) else path
            if not (missing or unexpected or mismatched):
                exact.append(name)
            elif not (missing or unexpected) and all(m.startswith('head.fc.')
                                                     for m in mismatched):
                up_to_classes.append(name)
    return exact[:limit], up_to_classes[:limit]


def suggestion_hint(checkpoint: Any, weights: Mapping[str, Any],
                    layout: ReferenceLayout) -> str:
    """What to tell a user whose checkpoint did not fit: the right layout/config if found."""
    guess = detect_layout(checkpoint)
    parts = []
    if guess is not None and guess != layout.name:
        parts.append(f'The file looks like the {guess!r} layout: try --layout {guess}.')
    try:
        exact, up_to_classes = suggest_configs(weights, layout)
    except Exception:  # suggestions are best effort
        exact, up_to_classes = [], []
    if exact:
        parts.append(f'It converts exactly with --config {" or --config ".join(exact)}.')
    elif up_to_classes:
        k = _num_classes(weights)
        parts.append(f'It fits {" or ".join(up_to_classes)} with model.head.num_classes='
                     f'{k if k is not None else "<the checkpoint classes>"} (copy the config '
                     'and change it).')
    else:
        parts.append('Check that --config is the architecture the checkpoint was trained with '
                     f'and that --layout {layout.name} ({layout.description}) is the code base '
                     'that saved it.')
    return ' '.join(parts)


def _num_classes(weights: Mapping[str, Any]) -> Optional[int]:
    weights = strip_data_parallel(weights)
    for prefix in ('fc.', 'linear.', 'classifier.0.', 'classifier.', 'conv2.'):
        value = weights.get(prefix + 'bias')
        if isinstance(value, torch.Tensor) and value.dim() == 1:
            return int(value.shape[0])
    return None


# ------------------------------------------------------------------------- the files
def build_target_model(config: str, cfg_options: Optional[dict] = None) -> nn.Module:
    """Build the model of an mmkd model/baseline config (on CPU, in eval mode)."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmkd.models.distillers.builder_utils import resolve_config_path
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
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
    return _classifier_of(model).eval()


def convert_checkpoint(src: str, dst: str, layout: Union[str, ReferenceLayout], config: str,
                       cfg_options: Optional[dict] = None) -> dict:
    """Read a reference checkpoint safely, convert it for ``config``'s model, verify it, save
    ``{'meta': ..., 'state_dict': ...}`` atomically to ``dst``. Returns the meta."""
    from mmkd.utils.atomic import atomic_torch_save
    from mmkd.utils.checkpoint import safe_load
    layout = get_layout(layout)
    model = build_target_model(config, cfg_options)
    checkpoint = safe_load(src)
    weights, source_meta = extract_reference_state_dict(checkpoint, layout, source=src)
    _refuse_mmkd(weights, src)
    converted, dropped, filled = _convert(weights, layout, model)
    try:
        verify_state_dict(converted, model, what=f'{src} converted with --layout {layout.name} '
                          f'for --config {config}')
    except CheckpointError as e:
        raise CheckpointError(f'{e} {suggestion_hint(checkpoint, weights, layout)}') from None
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
