"""Learning curves of one or several runs as a PNG.

    python tools/analysis_tools/plot_curves.py WORK_DIR [WORK_DIR ...] \
        [--keys loss_kd loss_cls lr accuracy/top1] [--out curves.png]

One panel per key. Training scalars (``loss*``, ``lr``, ...) are drawn against the epoch (as a
fraction: iteration / iterations per epoch), validation metrics (``accuracy/top1``, ...) per
epoch; for ``accuracy/top1`` the teacher's top-1 that the run measured is a dashed reference
line. Each work dir is one line per panel (labelled by its folder name); a resumed run is read
across all its starts. Reads mmengine's ``vis_data/scalars.json`` and logs (see
``mmkd.utils.run_records``).
"""
import argparse
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmkd.utils.run_records import find_runs, read_run  # noqa: E402


def train_curve(record, key):
    """(epochs as fractions, values) of a training scalar."""
    rows = [r for r in record.train if key in r and 'step' in r]
    if not rows:
        return [], []
    per_epoch = {}
    for r in rows:
        per_epoch[r['epoch']] = max(per_epoch.get(r['epoch'], 0), r.get('iter', r['step']))
    # mmengine's ``iter`` counts from the start of training: iterations per epoch from epoch 1
    epochs = sorted(per_epoch)
    ipe = per_epoch[epochs[0]] / epochs[0] if epochs else 1
    return [r.get('iter', r['step']) / ipe for r in rows], [r[key] for r in rows]


def plot(work_dirs, keys, out):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    runs = [read_run(w) for w in find_runs(work_dirs)]
    if not runs:
        raise SystemExit(f'mmkd error: no training runs under {", ".join(work_dirs)}.')
    available = set()
    for r in runs:
        for row in r.train:
            available.update(row)
        for metrics in r.val.values():
            available.update(metrics)
    unknown = [k for k in keys if k not in available]
    if unknown:
        raise SystemExit(f'mmkd error: no values for {", ".join(unknown)} in these runs; '
                         f'logged keys: {", ".join(sorted(available))}.')
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 2.6 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        for r in runs:
            label = osp.relpath(r.work_dir) if len(runs) > 1 else osp.basename(r.work_dir)
            if r.metric(key):
                values = r.metric(key)
                ax.plot(list(values), list(values.values()), marker='o', ms=3, label=label)
                if key == 'accuracy/top1' and r.teacher_top1 is not None:
                    ax.axhline(
                        r.teacher_top1,
                        ls='--',
                        lw=1,
                        color='grey',
                        label=f'teacher {r.teacher_top1:.2f}')
            else:
                x, y = train_curve(r, key)
                ax.plot(x, y, lw=1, label=label)
        ax.set_ylabel(key)
        ax.set_xlabel('epoch')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('work_dirs', nargs='+', help='work dirs, or folders holding work dirs')
    parser.add_argument(
        '--keys',
        nargs='+',
        default=['loss', 'lr', 'accuracy/top1'],
        help='scalars to plot, one panel each (default: loss lr accuracy/top1)')
    parser.add_argument('--out', default='curves.png', help='PNG file to write')
    args = parser.parse_args(argv)
    print(f'wrote {plot(args.work_dirs, args.keys, args.out)}')


if __name__ == '__main__':
    main()
