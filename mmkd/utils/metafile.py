"""Read the OpenMMLab-style ``metafile.yml`` of a config folder.

Each method folder under ``configs/`` has a ``metafile.yml`` (written by the config generators in
``tools/dev/``) with one record per config: the config path, the teacher/student pair, the
convention it follows and, where the reference publishes one, the top-1 accuracy and its source
(paper table and reference-repository file). Tools that compare a run with the published number
(e.g. a run summarizer) read it with :func:`load_metafile` / :func:`load_metafiles`.
"""
import glob
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional

import yaml

from .errors import ConfigError


@dataclass(frozen=True)
class MetafileModel:
    """One ``Models`` entry of a metafile.

    Attributes:
        name: unique record name, e.g. ``crd_resnet32x4_resnet8x4``.
        collection: the method (``In Collection``), e.g. ``CRD``.
        config: the config path relative to the repository root.
        teacher: the teacher's model config name (``None`` for teacher-free configs).
        student: the student's model config name.
        metadata: the whole ``Metadata`` mapping (convention, training data, source ...).
        top1: the published top-1 accuracy in %, ``None`` where none is published.
        source: where ``top1`` comes from (``Metadata.Source``: ``Paper`` and ``Code`` keys);
            empty without ``top1``.
    """
    name: str
    collection: str
    config: str
    teacher: Optional[str]
    student: Optional[str]
    metadata: Dict = field(default_factory=dict)
    top1: Optional[float] = None
    source: Dict = field(default_factory=dict)


def _require(mapping, key, where):
    if not isinstance(mapping, dict) or key not in mapping:
        raise ConfigError(f'{where} has no "{key}" key; regenerate the metafile with the config '
                          'generator in tools/dev/ that wrote it')
    return mapping[key]


def _parse_model(entry, where) -> MetafileModel:
    name = _require(entry, 'Name', where)
    where = f'{where}, model {name}'
    meta = entry.get('Metadata') or {}
    top1, source = None, {}
    for result in entry.get('Results') or []:
        metrics = _require(result, 'Metrics', where)
        if 'Top 1 Accuracy' in metrics:
            top1 = float(metrics['Top 1 Accuracy'])
            source = dict(_require(meta, 'Source', f'{where} Metadata'))
            break
    return MetafileModel(
        name=name,
        collection=_require(entry, 'In Collection', where),
        config=_require(entry, 'Config', where),
        teacher=meta.get('Teacher'),
        student=meta.get('Student'),
        metadata=dict(meta),
        top1=top1,
        source=source)


def load_metafile(path: str) -> List[MetafileModel]:
    """The model records of one ``metafile.yml``, in file order.

    Raises:
        ConfigError: the file is missing, is not YAML, or lacks a required key.
    """
    if not osp.isfile(path):
        raise ConfigError(f'no metafile at {path}; give a configs/<method>/metafile.yml path')
    try:
        with open(path, encoding='utf-8') as f:
            data = yaml.safe_load(f)
    except yaml.YAMLError as exc:
        raise ConfigError(f'{path} is not valid YAML ({exc}); regenerate it with the config '
                          'generator in tools/dev/') from exc
    models = _require(data, 'Models', path)
    if not isinstance(models, list):
        raise ConfigError(f'"Models" in {path} is not a list; regenerate it')
    return [_parse_model(entry, path) for entry in models]


def load_metafiles(root: str = 'configs') -> Dict[str, MetafileModel]:
    """Every record of every ``metafile.yml`` under ``root``, by config path.

    Raises:
        ConfigError: as :func:`load_metafile`, or when two records name the same config.
    """
    records = {}
    for path in sorted(glob.glob(osp.join(root, '**', 'metafile.yml'), recursive=True)):
        for model in load_metafile(path):
            if model.config in records:
                raise ConfigError(f'{model.config} is listed twice (in {path} and another '
                                  'metafile); keep one record per config')
            records[model.config] = model
    return records
