"""Read what a training run left in its work dir: metrics, seed, world size, batch, wall time.

mmengine writes, per start of ``tools/train.py`` (a resume is a new start), a folder
``<work_dir>/<YYYYmmdd_HHMMSS>/`` holding the log (``<timestamp>.log``: runtime environment with
the seed and the number of processes, then the config; mmkd adds the teacher's accuracy, measured
once), ``vis_data/scalars.json`` (one JSON object per logged training step and per validation)
and ``vis_data/config.py`` (the merged config). :func:`read_run` puts them together; nothing in
the folder is executed (the config is read as a syntax tree of literals and ``dict(...)`` calls).
"""
import ast
import json
import os
import os.path as osp
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional

TIMESTAMP_DIR = re.compile(r'^\d{8}_\d{6}$')
LOG_TIME = re.compile(r'^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) - mmengine')
TEACHER_LINE = re.compile(r'Teacher \(measured once\):.*?teacher/accuracy/top1: ([\d.]+)')
SEED_DIR = re.compile(r'^seed_?(\d+)$')


@dataclass
class RunRecord:
    """One work dir (a run, possibly resumed several times)."""
    work_dir: str
    config: Dict = field(default_factory=dict)
    seed: Optional[int] = None
    world_size: Optional[int] = None
    wall_time_s: float = 0.0
    teacher_top1: Optional[float] = None
    #: validation metrics by epoch (later starts override earlier ones: a resumed epoch)
    val: Dict[int, Dict[str, float]] = field(default_factory=dict)
    #: training scalars, in order, each with its ``step`` (iteration) and ``epoch``
    train: List[Dict[str, float]] = field(default_factory=list)

    @property
    def batch_per_gpu(self) -> Optional[int]:
        return (self.config.get('train_dataloader') or {}).get('batch_size')

    def metric(self, key: str = 'accuracy/top1') -> Dict[int, float]:
        return {e: m[key] for e, m in sorted(self.val.items()) if key in m}

    def last(self, key: str = 'accuracy/top1') -> Optional[float]:
        values = self.metric(key)
        return values[max(values)] if values else None

    def best(self, key: str = 'accuracy/top1') -> Optional[float]:
        values = self.metric(key)
        return max(values.values()) if values else None


class _LiteralConfig(ast.NodeVisitor):
    """Evaluate mmengine's dumped ``config.py``: literals, containers and ``dict(...)`` only."""

    def value(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            items = [self.value(n) for n in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Dict):
            return {self.value(k): self.value(v) for k, v in zip(node.keys, node.values)}
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == 'dict' and not node.args):
            return {kw.arg: self.value(kw.value) for kw in node.keywords if kw.arg}
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.value(node.operand)
            return -inner if isinstance(inner, (int, float)) else None
        return None  # anything else (names, calls, lambdas) is not evaluated


def read_dumped_config(path: str) -> Dict:
    """Top-level ``name = <literal>`` assignments of a dumped config, without executing it."""
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), filename=path)
    reader, cfg = _LiteralConfig(), {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                node.targets[0], ast.Name):
            cfg[node.targets[0].id] = reader.value(node.value)
    return cfg


def _read_log(path: str, record: RunRecord) -> None:
    first = last = None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            stamp = LOG_TIME.match(line)
            if stamp:
                t = datetime.strptime(stamp.group(1), '%Y/%m/%d %H:%M:%S')
                first = first or t
                last = t
            stripped = line.strip()
            if record.seed is None and stripped.startswith('seed: '):
                record.seed = int(stripped.split()[1])
            if record.world_size is None and stripped.startswith('GPU number: '):
                record.world_size = int(stripped.split()[2])
            teacher = TEACHER_LINE.search(line)
            if teacher:
                record.teacher_top1 = float(teacher.group(1))
    if first is not None:
        record.wall_time_s += (last - first).total_seconds()


def _read_scalars(path: str, record: RunRecord) -> None:
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill
            if 'epoch' in row or 'lr' in row:
                record.train.append(row)
            else:  # a validation: mmengine logs it with step = epoch (epoch-based loops)
                step = int(row.get('step', 0))
                record.val[step] = {
                    k: v
                    for k, v in row.items() if k not in ('step', 'time', 'data_time')
                }


def is_run_dir(path: str) -> bool:
    return osp.isdir(path) and any(TIMESTAMP_DIR.match(d) for d in os.listdir(path))


def read_run(work_dir: str) -> RunRecord:
    """Everything :class:`RunRecord` holds, from the timestamped folders of ``work_dir``."""
    record = RunRecord(work_dir=osp.normpath(work_dir))
    for stamp in sorted(d for d in os.listdir(work_dir) if TIMESTAMP_DIR.match(d)):
        folder = osp.join(work_dir, stamp)
        log = osp.join(folder, f'{stamp}.log')
        if osp.isfile(log):
            _read_log(log, record)
        scalars = osp.join(folder, 'vis_data', 'scalars.json')
        if osp.isfile(scalars):
            _read_scalars(scalars, record)
        config = osp.join(folder, 'vis_data', 'config.py')
        if osp.isfile(config) and not record.config:
            record.config = read_dumped_config(config)
    return record


def find_runs(paths: List[str]) -> List[str]:
    """Work dirs under ``paths`` (each path is a work dir or a folder holding some)."""
    found = []
    for path in paths:
        if is_run_dir(path):
            found.append(path)
            continue
        for root, dirs, _ in os.walk(path):
            dirs.sort()
            if is_run_dir(root):
                found.append(root)
                dirs[:] = []  # a run's own timestamp folders are not runs
    return found


def experiment_dir(work_dir: str) -> str:
    """The experiment a run belongs to: its work dir without a trailing ``seed_<n>`` folder."""
    work_dir = osp.normpath(work_dir)
    if SEED_DIR.match(osp.basename(work_dir)):
        return osp.dirname(work_dir)
    return work_dir


def config_of_experiment(exp_dir: str, repo_root: str) -> Optional[str]:
    """``work_dirs/kd/resnet56_resnet20`` -> ``configs/kd/resnet56_resnet20.py`` when it exists
    (``tools/train.py`` mirrors the config path under ``work_dirs/``)."""
    parts = osp.normpath(osp.abspath(exp_dir)).split(osp.sep)
    if 'work_dirs' not in parts:
        return None
    i = len(parts) - 1 - parts[::-1].index('work_dirs')
    rel = osp.join('configs', *parts[i + 1:]) + '.py'
    return rel if osp.isfile(osp.join(repo_root, rel)) else None
