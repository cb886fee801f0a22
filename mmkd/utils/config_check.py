"""Check a training/test config before anything is built: misspelt keys and arguments, bad values.

mmengine's ``Runner`` reads a fixed set of top-level keys and silently ignores every other one, and
``--cfg-options`` creates whatever key it is given, so a typo trains the wrong experiment with
exit 0. The rules here:

* **Known top-level keys** are the ones something reads: the arguments of mmengine's
  ``Runner.from_cfg``, the keys ``Config``/``Runner`` read themselves (``_base_``,
  ``custom_imports``, ``runner_type``, ``sync_bn``, ``model_wrapper_cfg``, ...), and mmkd's own
  (``launcher``, set by the tools). Config files may also define *variables* that are only read
  while the file is parsed (``data_root``, ``dataset_type``, ``train_pipeline``, ...).
* In a config file, an unknown top-level key that is a close match of a known key (and whose value
  is not used elsewhere, as a variable's is) is an error naming the match.
* A ``--cfg-options`` key must start with a known key or with a key of the config. Setting a
  config-file variable (a key whose value the file copied into other fields, ``data_root=...``)
  changes nothing, so it is an error that names the fields holding its value
  (``train_dataloader.dataset.data_root``, ...).
* Every dict with a ``type`` whose class (or function) has a fixed set of arguments is checked
  against them, following ``**kwargs`` up the class hierarchy; so are the type-less dicts mmengine
  builds itself (dataloaders, the train/val/test loops, ``randomness``). An unknown argument is an
  error naming the type and its arguments, close matches first.
* Values that cannot train: ``max_epochs``/``max_iters`` ≤ 0, a negative learning rate.
"""
import difflib
import inspect
import os.path as osp
from typing import Iterable, List, Optional, Tuple

from .errors import ConfigError

#: top-level keys mmengine's Config/Runner read (``Runner.from_cfg`` and ``Runner.__init__``)
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader',
               'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper',
               'param_scheduler', 'val_evaluator', 'test_evaluator', 'default_hooks',
               'custom_hooks', 'data_preprocessor', 'load_from', 'resume', 'launcher', 'env_cfg',
               'log_processor', 'log_level', 'visualizer', 'default_scope', 'randomness',
               'experiment_name', 'model_wrapper_cfg', 'sync_bn', 'find_unused_parameters',
               'activation_checkpointing', 'efficient_conv_bn_eval', 'compile', 'strategy',
               'runner_type', 'custom_imports', '_base_')
#: top-level keys mmkd code reads itself; a module that reads a new one adds it here
MMKD_KEYS = ['launcher']
#: variables the shipped base configs define for use inside the file (read only while parsing)
FILE_VARIABLES = ('data_root', 'dataset_type', 'train_pipeline', 'test_pipeline', 'val_pipeline',
                  'vis_backends')
#: arguments mmengine passes itself (never written in a config)
RUNTIME_ARGS = ('self', 'runner', 'dataloader', 'evaluator', 'optimizer', 'params', 'model',
                'epoch_length')
CLOSE = 0.8


def known_keys() -> tuple:
    return RUNNER_KEYS + tuple(MMKD_KEYS)


def close_matches(word: str, candidates: Iterable[str], cutoff: float = 0.6) -> List[str]:
    return difflib.get_close_matches(word, sorted(set(candidates)), n=3, cutoff=cutoff)


def _registries() -> dict:
    import mmkd.registry as r
    return r


# ---------------------------------------------------------------------------- top-level keys
def _values_in(obj, path=''):
    """(dotted path, value) of every nested value."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            p = f'{path}.{k}' if path else str(k)
            yield p, v
            yield from _values_in(v, p)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            p = f'{path}.{i}'
            yield p, v
            yield from _values_in(v, p)


def _plain(obj):
    if hasattr(obj, 'to_dict'):
        return obj.to_dict()
    return obj


def _used_at(cfg: dict, key: str) -> List[str]:
    """Paths (outside ``key`` itself) whose value equals ``cfg[key]``."""
    value = _plain(cfg[key])
    if value is None or value == {} or value == [] or isinstance(value, bool):
        return []
    found = []
    for top, sub in cfg.items():
        if top == key:
            continue
        for path, v in _values_in({top: _plain(sub)}):
            if type(v) is type(value) and v == value:
                found.append(path)
    return found


def check_top_level_keys(cfg, source: str) -> None:
    """A misspelt top-level key of the config file itself (``train_dataloder = dict(...)``)."""
    problems = []
    for key in cfg.keys():
        if key in known_keys() or key in FILE_VARIABLES:
            continue
        close = close_matches(key, known_keys(), cutoff=CLOSE)
        if close and not _used_at(cfg, key):
            problems.append(f'{key!r} (did you mean {close[0]!r}?)')
    if problems:
        raise ConfigError(
            f'{source} sets the top-level key(s) {", ".join(problems)}, which nothing reads: '
            'mmengine would ignore them and train another experiment. Fix the spelling.')


def check_cfg_options(cfg, options: Optional[dict]) -> None:
    """``--cfg-options`` keys must name something that is read (call before merging them)."""
    if not options:
        return
    problems = []
    present = list(cfg.keys())
    for key in options:
        top = key.split('.')[0]
        if top in known_keys():
            continue
        if top in present:
            used = _used_at(cfg, top)
            if not used:  # not visibly a file variable: something may read it
                continue
            where = (f' Set the fields that hold its value instead: '
                     f'{", ".join(f"{p}=..." for p in used[:6])}.')
            problems.append(
                f'{key!r}: {top!r} is a variable of the config file, read only while the file is '
                f'parsed, so setting it here changes nothing.{where}')
            continue
        close = close_matches(top, known_keys() + tuple(present))
        hint = f" Did you mean {'.'.join([close[0]] + key.split('.')[1:])!r}?" if close else ''
        problems.append(f'{key!r}: the config has no key {top!r} and nothing reads it.{hint}')
    if problems:
        raise ConfigError('--cfg-options: ' + ' '.join(problems))


# ---------------------------------------------------------------------------- arguments
def accepted_arguments(obj) -> Tuple[List[str], bool]:
    """Keyword arguments ``obj(**kwargs)`` accepts, and whether more may pass (``**kwargs`` that
    reach something not inspectable). Classes: ``__init__`` up the MRO while ``**kwargs`` lead on.
    """
    import torch.nn as nn
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    if inspect.isclass(obj):
        names: List[str] = []
        for klass in obj.__mro__:
            if klass is object or klass is nn.Module:
                return names, False
            init = klass.__dict__.get('__init__')
            if init is None:
                continue
            try:
                params = list(inspect.signature(init).parameters.values())[1:]
            except (TypeError, ValueError):
                return names, True
            names += [p.name for p in params if p.kind in kinds and p.name not in names]
            if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params):
                return names, False
        return names, True
    if callable(obj):
        try:
            params = list(inspect.signature(obj).parameters.values())
        except (TypeError, ValueError):
            return [], True
        return ([p.name for p in params
                 if p.kind in kinds], any(p.kind == inspect.Parameter.VAR_KEYWORD for p in params))
    return [], True


def describe_unknown(name: str,
                     unknown: Iterable[str],
                     accepted: Iterable[str],
                     where: str = '') -> str:
    """``KDLoss (model.distill_losses.kd) has no argument 'temperature'. KDLoss accepts: ...``"""
    accepted = [a for a in accepted if a not in RUNTIME_ARGS and not a.startswith('_')]
    unknown = list(unknown)
    close = []
    for u in unknown:
        close += [c for c in close_matches(u, accepted) if c not in close]
    rest = [a for a in accepted if a not in close]
    at = f' ({where})' if where else ''
    args = ', '.join(repr(u) for u in unknown)
    hint = f' Did you mean {" or ".join(repr(c) for c in close)}?' if close else ''
    listing = ', '.join(close + rest) if accepted else 'no arguments'
    return (f'{name}{at} has no argument{"s" if len(unknown) > 1 else ""} {args}.{hint} '
            f'{name} accepts: {listing}.')


def _lookup(registry, type_name):
    if not isinstance(type_name, str):
        return type_name if callable(type_name) else None
    try:
        return registry.get(type_name)
    except Exception:  # unknown scope etc.: the build reports it
        return None


class _ArgumentChecker:
    """Walk a config and collect unknown-argument problems."""

    def __init__(self):
        self.r = _registries()
        self.problems: List[str] = []

    def check(self,
              cfg: dict,
              registry,
              where: str,
              extra: Iterable[str] = (),
              default_type=None) -> None:
        if not isinstance(cfg, dict):
            return
        obj = _lookup(registry, cfg['type']) if 'type' in cfg else default_type
        if obj is None:
            return
        accepted, open_ = accepted_arguments(obj)
        if open_:
            return
        allowed = set(accepted) | set(extra) | {'type'}
        unknown = [k for k in cfg if k not in allowed]
        if unknown:
            name = getattr(obj, '__name__', str(cfg.get('type')))
            self.problems.append(
                describe_unknown(name, unknown,
                                 list(accepted) + list(extra), where))

    # ---------------------------------------------------------------- models
    def model(self, cfg, where: str) -> None:
        if not isinstance(cfg, dict):
            return
        if 'cfg_path' in cfg and 'type' not in cfg:  # mmkd student/teacher spec
            self.network_spec(cfg, where)
            return
        extra = ()
        if where.split('.')[-2:-1] == ['distill_losses']:
            from mmkd.models.distillers.single_teacher import WIRING_KEYS
            extra = WIRING_KEYS
        self.check(cfg, self.r.MODELS, where, extra=extra)
        for key, value in cfg.items():
            sub = f'{where}.{key}'
            if key in ('init_cfg', 'train_cfg', 'test_cfg'):
                continue
            if key in ('student', 'teacher') and isinstance(value, str):
                self.network_spec(dict(cfg_path=value), sub)
            elif isinstance(value, dict):
                if 'type' in value or 'cfg_path' in value:
                    self.model(value, sub)
                else:  # e.g. distill_losses / peers: a dict of named sub-configs
                    for name, item in value.items():
                        if isinstance(item, dict):
                            self.model(item, f'{sub}.{name}')
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, dict):
                        self.model(item, f'{sub}.{i}')

    def network_spec(self, spec: dict, where: str) -> None:
        from mmkd.models.distillers.builder_utils import model_cfg_from
        try:
            cfg = model_cfg_from(spec)
        except Exception:  # a missing file is reported when the model is built
            return
        self.model(cfg, where)

    # ---------------------------------------------------------------- data
    def dataloader(self, cfg, where: str) -> None:
        if not isinstance(cfg, dict):
            return
        from torch.utils.data import DataLoader
        self.check({
            k: v
            for k, v in cfg.items() if k != 'type'
        },
                   None,
                   where,
                   extra=('num_batch_per_epoch', ),
                   default_type=DataLoader)
        self.dataset(cfg.get('dataset'), f'{where}.dataset')
        for key in ('sampler', 'batch_sampler'):
            if isinstance(cfg.get(key), dict):
                self.check(cfg[key], self.r.DATA_SAMPLERS, f'{where}.{key}', extra=('seed', ))

    def dataset(self, cfg, where: str) -> None:
        if isinstance(cfg, (list, tuple)):
            for i, item in enumerate(cfg):
                self.dataset(item, f'{where}.{i}')
            return
        if not isinstance(cfg, dict):
            return
        self.check(cfg, self.r.DATASETS, where)
        for key, value in cfg.items():
            if key in ('dataset', 'datasets'):
                self.dataset(value, f'{where}.{key}')
            elif key == 'pipeline' and isinstance(value, (list, tuple)):
                for i, t in enumerate(value):
                    self.transform(t, f'{where}.pipeline.{i}')

    def transform(self, cfg, where: str) -> None:
        if not isinstance(cfg, dict):
            return
        self.check(cfg, self.r.TRANSFORMS, where)
        for key in ('transforms', ):
            for i, t in enumerate(cfg.get(key) or []):
                if isinstance(t, dict):
                    self.transform(t, f'{where}.{key}.{i}')

    # ---------------------------------------------------------------- the rest
    def loop(self, cfg, where: str, default_name: str) -> None:
        if not isinstance(cfg, dict):
            return
        from mmengine.runner import loops
        if 'type' in cfg:
            self.check(cfg, self.r.LOOPS, where)
            return
        name = default_name
        if where == 'train_cfg':
            name = 'EpochBasedTrainLoop' if cfg.get('by_epoch', True) else 'IterBasedTrainLoop'
        body = {k: v for k, v in cfg.items() if not (where == 'train_cfg' and k == 'by_epoch')}
        self.check(body, None, where, default_type=getattr(loops, name))

    def all(self, cfg) -> None:
        r = self.r
        self.model(cfg.get('model'), 'model')
        if isinstance(cfg.get('data_preprocessor'), dict):
            self.check(cfg['data_preprocessor'], r.MODELS, 'data_preprocessor')
        for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            self.dataloader(cfg.get(key), key)
        self.loop(cfg.get('train_cfg'), 'train_cfg', 'EpochBasedTrainLoop')
        self.loop(cfg.get('val_cfg'), 'val_cfg', 'ValLoop')
        self.loop(cfg.get('test_cfg'), 'test_cfg', 'TestLoop')
        optim = cfg.get('optim_wrapper')
        if isinstance(optim, dict) and 'constructor' not in optim:
            self.check(optim, r.OPTIM_WRAPPERS, 'optim_wrapper', extra=('paramwise_cfg', ))
            if isinstance(optim.get('optimizer'), dict):
                self.check(optim['optimizer'], r.OPTIMIZERS, 'optim_wrapper.optimizer')
        schedulers = cfg.get('param_scheduler')
        if isinstance(schedulers, dict):
            schedulers = [schedulers]
        for i, s in enumerate(schedulers or []):
            if isinstance(s, dict):
                self.check(
                    s,
                    r.PARAM_SCHEDULERS,
                    f'param_scheduler.{i}',
                    extra=('convert_to_iter_based', ))
        for name, hook in (cfg.get('default_hooks') or {}).items():
            self.check(hook, r.HOOKS, f'default_hooks.{name}', extra=('priority', ))
        for i, hook in enumerate(cfg.get('custom_hooks') or []):
            self.check(hook, r.HOOKS, f'custom_hooks.{i}', extra=('priority', ))
        for key in ('val_evaluator', 'test_evaluator'):
            metrics = cfg.get(key)
            if isinstance(metrics, dict) and 'metrics' not in metrics:
                metrics = [metrics]
            if isinstance(metrics, (list, tuple)):
                for i, m in enumerate(metrics):
                    self.check(m, r.METRICS, f'{key}.{i}' if len(metrics) > 1 else key)
        randomness = cfg.get('randomness')
        if isinstance(randomness, dict):
            from mmengine.runner import Runner
            self.check(randomness, None, 'randomness', default_type=Runner.set_randomness)


def check_arguments(cfg) -> None:
    """Unknown arguments of any registered type in the config (one message for all of them)."""
    checker = _ArgumentChecker()
    checker.all(cfg)
    if checker.problems:
        raise ConfigError(' '.join(checker.problems) + ' Fix the config or --cfg-options.')


def explain_unexpected_keyword(error: TypeError) -> Optional[ConfigError]:
    """mmengine's "class `X` in mod: __init__() got an unexpected keyword argument 'y'" (a type the
    pre-check could not see into) as the same message :func:`check_arguments` gives."""
    import importlib
    import re
    text = str(error)
    m = re.search(r"unexpected keyword argument '(\w+)'", text)
    if not m:
        return None
    # nested builds prefix every level: "class `A` in a: class `B` in b: ..." (B is the culprit);
    # otherwise Python's own "B.__init__() got an unexpected keyword argument"
    where = re.findall(r'class `(\w+)` in ([\w.]+)', text)
    own = re.search(r"(\w+)\.__init__\(\) got an unexpected keyword argument", text)
    obj = None
    if own:
        name = own.group(1)
        for reg in vars(_registries()).values():
            if hasattr(reg, '_module_dict') and getattr(reg, 'get', None):
                obj = _lookup(reg, name)
                if obj is not None:
                    break
    elif where:
        name, module = where[-1]
        try:
            obj = getattr(importlib.import_module(module), name)
        except Exception:
            obj = None
    if obj is None:  # not a registered type: a bug rather than a config mistake
        return None
    accepted = accepted_arguments(obj)[0]
    return ConfigError(
        describe_unknown(name, [m.group(1)], accepted) + ' Fix the config or --cfg-options.')


# ---------------------------------------------------------------------------- values
def check_values(cfg) -> None:
    """Settings that cannot train: no epochs/iterations, a negative learning rate."""
    train_cfg = cfg.get('train_cfg') or {}
    for key in ('max_epochs', 'max_iters'):
        value = train_cfg.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value <= 0:
            raise ConfigError(f'train_cfg.{key}={value}: nothing would be trained; set '
                              f'train_cfg.{key} to a positive number.')
    timeout = ((cfg.get('env_cfg') or {}).get('dist_cfg') or {}).get('timeout')
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float))
                                or timeout <= 0):
        raise ConfigError(f'env_cfg.dist_cfg.timeout={timeout!r}: set the collective timeout in '
                          'seconds, a positive number (e.g. 600).')
    for where, lr in _learning_rates(cfg.get('optim_wrapper')):
        if isinstance(lr, (int, float)) and lr < 0:
            raise ConfigError(f'{where}={lr}: a negative learning rate climbs the loss. Set a '
                              'positive lr (the shipped CIFAR configs use 0.05).')


def _learning_rates(optim) -> Iterable[Tuple[str, float]]:
    if not isinstance(optim, dict):
        return
    if isinstance(optim.get('optimizer'), dict) and 'lr' in optim['optimizer']:
        yield 'optim_wrapper.optimizer.lr', optim['optimizer']['lr']
    for name, sub in optim.items():  # an OptimWrapperDict: one wrapper per network
        if isinstance(sub, dict) and isinstance(sub.get('optimizer'), dict) \
                and 'lr' in sub['optimizer']:
            yield f'optim_wrapper.{name}.optimizer.lr', sub['optimizer']['lr']


def normalise_dataloaders(cfg) -> None:
    """``persistent_workers`` follows ``num_workers``: PyTorch refuses persistent workers without
    worker processes, so ``num_workers=0`` (e.g. from ``--cfg-options``) turns them off."""
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if isinstance(loader, dict) and loader.get('num_workers', 0) == 0 \
                and loader.get('persistent_workers'):
            loader['persistent_workers'] = False


def check_config(cfg, source: str = 'the config', training: bool = True) -> None:
    """Every check of this module on a merged config (after ``--cfg-options``); ``training=False``
    (``tools/test.py``) skips the training-only values."""
    check_top_level_keys(cfg, source)
    if training:
        check_values(cfg)
    check_arguments(cfg)
    normalise_dataloaders(cfg)


def load_config(path: str, options: Optional[dict] = None):
    """``Config.fromfile`` with a message for a missing file (close names among ``configs/``),
    and the ``--cfg-options`` check before they are merged."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise ConfigError(f'Config file {path} does not exist.{_similar_configs(path)}')
    cfg = Config.fromfile(path)
    check_cfg_options(cfg, options)
    return cfg


def _similar_configs(path: str) -> str:
    import glob

    from mmkd.models.distillers.builder_utils import PACKAGE_ROOT
    root = osp.join(PACKAGE_ROOT, 'configs')
    names = [
        osp.relpath(p, PACKAGE_ROOT)
        for p in glob.glob(osp.join(root, '**', '*.py'), recursive=True)
    ]
    target = osp.normpath(path)
    close = difflib.get_close_matches(target, names, n=3, cutoff=0.6)
    if not close:  # the same file name in another folder
        close = [n for n in names if osp.basename(n) == osp.basename(target)][:3]
    return f' Did you mean: {", ".join(close)}?' if close else ''
