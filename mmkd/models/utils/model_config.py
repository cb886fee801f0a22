"""Model configs of students and teachers: by file path, ``mmkd::``/``mmpretrain::`` path or
inline dict, and the classifiers built from them."""
import os.path as osp
from typing import List, Union

import torch.nn as nn
from mmengine.config import Config

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

#: the repository (or installed package) root that holds ``configs/``
PACKAGE_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
#: ``<package>::<path under its configs/>`` prefixes that resolve to a package's configs
PACKAGE_PREFIXES = ('mmkd::', 'mmpretrain::')


def _package_config_dirs(package: str) -> List[str]:
    if package == 'mmkd':
        return [
            osp.join(PACKAGE_ROOT, 'configs'),
            osp.join(PACKAGE_ROOT, 'mmkd', '.mim', 'configs')
        ]
    import importlib
    module = importlib.import_module(package)
    root = osp.dirname(osp.abspath(module.__file__))
    # pip install: <pkg>/.mim/configs; source checkout: <repo>/configs next to the package
    return [osp.join(root, '.mim', 'configs'), osp.join(osp.dirname(root), 'configs')]


def resolve_config_path(path: str) -> str:
    """Find a config file: as given, ``mmkd::<path under configs/>``,
    ``mmpretrain::<path under mmpretrain's configs/>`` (e.g.
    ``mmpretrain::resnet/resnet18_8xb32_in1k.py``), or relative to mmkd's root."""
    candidates = []
    for prefix in PACKAGE_PREFIXES:
        if path.startswith(prefix):
            rel = path[len(prefix):]
            candidates += [osp.join(d, rel) for d in _package_config_dirs(prefix[:-2])]
            break
    else:
        candidates += [path, osp.join(PACKAGE_ROOT, path)]
    for candidate in candidates:
        if osp.isfile(candidate):
            return candidate
    raise ConfigError(f'Model config {path!r} not found (looked at {", ".join(candidates)}).')


def model_cfg_from(spec: Union[str, dict]) -> dict:
    """Turn a student/teacher spec into a model config dict.

    ``spec`` is a config file path (its ``model`` is used), an inline model dict, or a dict with
    ``cfg_path`` plus keys that override the file's model (e.g. ``head=dict(num_classes=10)``).
    """
    if isinstance(spec, str):
        spec = dict(cfg_path=spec)
    spec = dict(spec)
    cfg_path = spec.pop('cfg_path', None)
    if cfg_path is None:
        if 'type' not in spec:
            raise ConfigError('A student/teacher must be a config path, a dict with `cfg_path`, '
                              f'or an inline model dict with `type`; got keys {sorted(spec)}.')
        return spec
    file_cfg = Config.fromfile(resolve_config_path(cfg_path))
    if 'model' not in file_cfg:
        raise ConfigError(f'{cfg_path} has no `model` to use as a student/teacher.')
    model = file_cfg.model.to_dict()
    if spec:  # merged recursively (``_delete_=True`` honoured), as ``--cfg-options`` does
        merged = Config(dict(model=model))
        merged.merge_from_dict(dict(model=spec))
        model = merged.model.to_dict()
    return dict(model)


def build_classifier(spec: Union[str, dict]) -> nn.Module:
    """Build a student/teacher classifier (its own ``data_preprocessor`` is dropped: the owner
    preprocesses the batch once for all its networks)."""
    cfg = model_cfg_from(spec)
    cfg.pop('data_preprocessor', None)
    return MODELS.build(cfg)


def num_classes_of(classifier: nn.Module):
    """``head.num_classes`` of a classifier, ``None`` if it has no such head."""
    head = getattr(classifier, 'head', None)
    return getattr(head, 'num_classes', None)
