"""Experiment chains: the runs a config needs before it can run (teachers, HSAKD teachers, ...).

A config names what it needs by checkpoint path: ``model.teacher_ckpt`` (distillers),
``backbone_ckpt`` (HSAKD teachers), ``student_ckpt`` (linear evaluation), ``init_cfg.checkpoint``
and so on. ``tools/train.py`` writes ``configs/<rel>.py`` into ``work_dirs/<rel>/`` (a mirror of
the config path), so a path ``work_dirs/<rel>/[keep/]<file>.pth`` is produced by the config
``configs/<rel>.py``: that is the whole rule. :func:`resolve_chain` applies it recursively and
returns the steps in the order they must run (prerequisites first, each once).

With ``work_root`` every step's work dir is ``<work_root>/<rel>`` instead of ``work_dirs/<rel>``
and the references between steps are rewritten to match. When a step was trained with other
settings (fewer epochs) and did not write the exact file the next step names, the next step gets
the checkpoint the step did write (its ``last_checkpoint``).
"""
import os.path as osp
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .errors import ConfigError

CKPT_REF = re.compile(r'^(?:\./)?work_dirs/(?P<rel>.+)/(?P<file>[^/]+\.pth)$')


@dataclass
class Reference:
    key: str  # dotted config key holding the path, e.g. ``model.teacher_ckpt``
    path: str  # the path as the config writes it (``work_dirs/...``)
    producer: Optional[str]  # config that writes it, ``None`` when no config in the repo does


@dataclass
class Step:
    config: str
    work_dir: str
    references: List[Reference] = field(default_factory=list)
    max_epochs: Optional[int] = None


def find_checkpoint_references(cfg, prefix: str = '') -> List[Tuple[str, str]]:
    """(dotted key, path) for every ``work_dirs/...pth`` string in a config dict."""
    found = []
    items = cfg.items() if isinstance(
        cfg, dict) else enumerate(cfg) if isinstance(cfg, (list, tuple)) else []
    for key, value in items:
        dotted = f'{prefix}.{key}' if prefix else str(key)
        if isinstance(value, str) and CKPT_REF.match(value):
            found.append((dotted, value))
        elif isinstance(value, (dict, list, tuple)):
            found.extend(find_checkpoint_references(value, dotted))
    return found


def producer_of(path: str, repo_root: str) -> Optional[str]:
    """``work_dirs/hsakd/teachers/x/epoch_100.pth`` -> ``configs/hsakd/teachers/x.py``."""
    match = CKPT_REF.match(path)
    if not match:
        return None
    rel = match.group('rel')
    if osp.basename(rel) == 'keep':  # KeepCheckpointsHook's folder of kept epochs
        rel = osp.dirname(rel)
    config = osp.join('configs', rel + '.py')
    return config if osp.isfile(osp.join(repo_root, config)) else None


def mirrored_work_dir(config: str, work_root: Optional[str]) -> str:
    rel = osp.splitext(osp.relpath(config, 'configs'))[0]
    return osp.join(work_root or 'work_dirs', rel)


def relocate(path: str, work_root: Optional[str]) -> str:
    """A ``work_dirs/...`` reference under ``work_root`` (unchanged without one)."""
    if not work_root:
        return path
    match = CKPT_REF.match(path)
    return osp.join(work_root, match.group('rel'), match.group('file')) if match else path


def resolve_chain(config: str,
                  repo_root: str,
                  work_root: Optional[str] = None,
                  load=None) -> List[Step]:
    """Steps to run for ``config`` (a path relative to ``repo_root``), prerequisites first."""
    if load is None:
        from mmengine.config import Config

        def load(path):
            return Config.fromfile(osp.join(repo_root, path)).to_dict()

    order: List[Step] = []
    visiting: Dict[str, bool] = {}

    def visit(cfg_path: str, trail: Tuple[str, ...]):
        if cfg_path in visiting:
            if not visiting[cfg_path]:
                raise ConfigError('The configs need each other in a cycle: ' +
                                  ' -> '.join(trail + (cfg_path, )))
            return
        visiting[cfg_path] = False
        cfg = load(cfg_path)
        step = Step(
            cfg_path,
            mirrored_work_dir(cfg_path, work_root),
            max_epochs=(cfg.get('train_cfg') or {}).get('max_epochs'))
        for key, path in find_checkpoint_references(cfg):
            producer = producer_of(path, repo_root)
            step.references.append(Reference(key, path, producer))
            if producer is not None:
                visit(producer, trail + (cfg_path, ))
        visiting[cfg_path] = True
        order.append(step)

    visit(osp.normpath(config), ())
    return order


def final_checkpoint(step: Step) -> Optional[str]:
    """The checkpoint the step's finished run wrote (``epoch_<max_epochs>.pth``), if any."""
    if step.max_epochs is None:
        return None
    path = osp.join(step.work_dir, f'epoch_{step.max_epochs}.pth')
    return path if osp.isfile(path) else None


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """What mmengine's ``last_checkpoint`` file names, when that file exists."""
    pointer = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(pointer):
        return None
    with open(pointer) as f:
        path = f.read().strip()
    return path if osp.isfile(path) else None
