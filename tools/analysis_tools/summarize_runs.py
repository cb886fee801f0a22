"""Summarise training runs the way papers report them: one row per experiment.

    python tools/analysis_tools/summarize_runs.py work_dirs/kd/resnet56_resnet20 [more ...] \
        [--out results.md] [--csv results.csv] [--metric accuracy/top1]

Each argument is a work dir or a folder holding work dirs (``tools/train.py CONFIG --seeds 0 1 2``
writes ``<work_dir>/seed_<n>/``; runs in the ``seed_*`` folders of one work dir form one
experiment). Per experiment: method, teacher → student, number of runs and their seeds, the
student's **last-epoch** and **best-epoch** top-1 as mean ± std over runs (std over runs, n-1;
0 for one run), the teacher's top-1 as measured by the run, the published number from the method
folder's ``metafile.yml`` and the difference (last-epoch mean − published), processes × batch per
process, and the wall time (summed over the starts of each run, mean over runs). Everything is
read from what the runs wrote (mmengine's logs and ``vis_data``); nothing is filled in by hand.
"""
import argparse
import csv
import os.path as osp
import statistics
import sys
from typing import Dict, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmkd.utils.metafile import load_metafile  # noqa: E402
# yapf: disable
from mmkd.utils.run_records import (RunRecord, config_of_experiment, experiment_dir,  # noqa: E402
                                    find_runs, read_run)

# yapf: enable

COLUMNS = ('experiment', 'method', 'teacher → student', 'runs', 'seeds', 'last top-1', 'best top-1',
           'teacher top-1', 'published', 'last − published', 'procs × batch', 'wall time')


def _network_name(spec) -> Optional[str]:
    if isinstance(spec, dict):
        spec = spec.get('cfg_path') or spec.get('type')
    if isinstance(spec, str):
        return osp.splitext(osp.basename(spec))[0]
    return None


def published_top1(config_path: Optional[str]) -> Optional[Dict]:
    """``{'top1': x, 'source': {...}}`` for ``config_path`` from its folder's ``metafile.yml``
    (``mmkd.utils.load_metafile``), ``None`` where nothing is published."""
    if not config_path:
        return None
    meta = osp.join(ROOT, osp.dirname(config_path), 'metafile.yml')
    if not osp.isfile(meta):
        return None
    for model in load_metafile(meta):
        if osp.normpath(model.config) == osp.normpath(config_path) and model.top1 is not None:
            return dict(top1=model.top1, source=model.source)
    return None


def _mean_std(values: List[float]) -> str:
    if not values:
        return '—'
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return f'{mean:.2f} ± {std:.2f}'


def _hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f'{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}'


def summarize(paths: List[str], metric: str = 'accuracy/top1') -> List[Dict[str, str]]:
    groups: Dict[str, List[RunRecord]] = {}
    for work_dir in find_runs(paths):
        groups.setdefault(experiment_dir(work_dir), []).append(read_run(work_dir))
    rows = []
    for exp, runs in groups.items():
        config_path = config_of_experiment(exp, ROOT)
        cfg = runs[0].config
        model = cfg.get('model') or {}
        student, teacher = _network_name(model.get('student')), _network_name(model.get('teacher'))
        pair = f'{teacher} → {student}' if teacher else (
            student or _network_name(model.get('backbone')) or '—')
        method = (config_path.split('/')[1] if config_path else model.get('type')) or '—'
        last = [r.last(metric) for r in runs if r.last(metric) is not None]
        best = [r.best(metric) for r in runs if r.best(metric) is not None]
        teachers = sorted({r.teacher_top1 for r in runs if r.teacher_top1 is not None})
        published = published_top1(config_path)
        scale = sorted({f'{r.world_size or 1} × {r.batch_per_gpu}' for r in runs})
        rows.append({
            'experiment':
            config_path or exp,
            'method':
            method,
            'teacher → student':
            pair,
            'runs':
            str(len(runs)),
            'seeds':
            ' '.join(str(r.seed) for r in runs),
            'last top-1':
            _mean_std(last),
            'best top-1':
            _mean_std(best),
            'teacher top-1':
            ' / '.join(f'{t:.2f}' for t in teachers) or '—',
            'published':
            f'{published["top1"]:.2f}' if published else '—',
            'last − published':
            (f'{statistics.fmean(last) - published["top1"]:+.2f}' if published and last else '—'),
            'procs × batch':
            ', '.join(scale),
            'wall time':
            _hms(statistics.fmean(r.wall_time_s for r in runs)),
        })
    return rows


def to_markdown(rows: List[Dict[str, str]]) -> str:
    lines = ['| ' + ' | '.join(COLUMNS) + ' |', '|' + '---|' * len(COLUMNS)]
    lines += ['| ' + ' | '.join(row[c] for c in COLUMNS) + ' |' for row in rows]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding work dirs')
    parser.add_argument('--metric', default='accuracy/top1', help='validation metric to report')
    parser.add_argument('--out', help='also write the Markdown table to this file')
    parser.add_argument('--csv', help='also write the table as CSV to this file')
    args = parser.parse_args(argv)
    missing = [p for p in args.work_dirs if not osp.isdir(p)]
    if missing:
        sys.exit(f'mmkd error: {", ".join(missing)}: no such folder; pass the work dirs that '
                 'tools/train.py wrote (e.g. work_dirs/kd/resnet56_resnet20).')
    rows = summarize(args.work_dirs, args.metric)
    if not rows:
        sys.exit(f'mmkd error: no training runs under {", ".join(args.work_dirs)} (a run is a '
                 'folder with mmengine\'s <YYYYmmdd_HHMMSS>/ log folders).')
    table = to_markdown(rows)
    print(table)
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            f.write(table + '\n')
    if args.csv:
        with open(args.csv, 'w', newline='', encoding='utf-8') as f:
            writer = csv.DictWriter(f, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


if __name__ == '__main__':
    main()
