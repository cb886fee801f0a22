"""Several seeds in one command -> summarize_runs table (last/best mean ± std) -> curves PNG;
TensorBoard event files when its backend is turned on; dumped configs are never executed."""
import glob
import json
import os.path as osp
import statistics

import pytest

from mmkd.utils.run_records import read_dumped_config, read_run
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import ROOT, run_tool

KD_SMALL = [
    'model.teacher=configs/_base_/models/resnet8.py', 'model.teacher_ckpt=None',
    'model.student=configs/_base_/models/resnet8.py', 'train_cfg.max_epochs=2',
    'train_dataloader.dataset.indices=64'
]


@pytest.fixture(scope='module')
def two_seeds(tiny_cifar_root, tmp_path_factory):
    """configs/kd/resnet56_resnet20.py trained for seeds 3 and 5 by one --seeds command."""
    work = str(tmp_path_factory.mktemp('kd_seeds'))
    opts = [o for o in TINY if not o.startswith('randomness')] + data_opts(tiny_cifar_root)
    out = run_tool([
        'tools/train.py', 'configs/kd/resnet56_resnet20.py', '--work-dir', work, '--seeds', '3',
        '5', '--cfg-options'
    ] + opts + KD_SMALL).stdout
    assert '[mmkd] seed 3' in out and '[mmkd] seed 5' in out
    return work


def _val_top1(work_dir):
    """Validation top-1 by epoch, read straight from the scalars file (independent parser)."""
    (scalars, ) = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    rows = [json.loads(line) for line in open(scalars) if line.strip()]
    return {r['step']: r['accuracy/top1'] for r in rows if 'accuracy/top1' in r}


@pytest.mark.slow
def test_seeds_summary_and_curves(two_seeds, tmp_path):
    runs = {s: osp.join(two_seeds, f'seed_{s}') for s in (3, 5)}
    for seed, work in runs.items():
        record = read_run(work)
        assert record.seed == seed and record.world_size == 1 and record.batch_per_gpu == 16
        assert sorted(record.metric()) == [1, 2]
    md, csv_file = str(tmp_path / 'table.md'), str(tmp_path / 'table.csv')
    out = run_tool(
        ['tools/analysis_tools/summarize_runs.py', two_seeds, '--out', md, '--csv',
         csv_file]).stdout
    (row, ) = [line for line in out.splitlines() if 'resnet8 → resnet8' in line]
    cells = [c.strip() for c in row.strip('|').split('|')]
    top1 = {s: _val_top1(w) for s, w in runs.items()}
    last = [t[2] for t in top1.values()]
    best = [max(t.values()) for t in top1.values()]
    assert cells[3] == '2' and cells[4] == '3 5'
    assert cells[5] == f'{statistics.fmean(last):.2f} ± {statistics.stdev(last):.2f}'
    assert cells[6] == f'{statistics.fmean(best):.2f} ± {statistics.stdev(best):.2f}'
    assert cells[10] == '1 × 16'
    assert open(md).read().strip() == out.strip()
    assert 'last top-1' in open(csv_file).readline()

    png = str(tmp_path / 'curves.png')
    run_tool([
        'tools/analysis_tools/plot_curves.py', runs[3], runs[5], '--keys', 'loss_kd', 'lr',
        'accuracy/top1', '--out', png
    ])
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    bad = run_tool(
        ['tools/analysis_tools/plot_curves.py', runs[3], '--keys', 'loss_foo', '--out', png],
        check=False)
    assert bad.returncode != 0 and 'no values for loss_foo' in bad.stdout
    assert 'loss_kd' in bad.stdout  # the keys that exist are listed


def test_summary_reads_published_number_from_metafile(tmp_path, monkeypatch):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'summarize_runs', osp.join(ROOT, 'tools', 'analysis_tools', 'summarize_runs.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    meta_dir = tmp_path / 'configs' / 'kd'
    meta_dir.mkdir(parents=True)
    (meta_dir / 'metafile.yml').write_text(
        'Models:\n  - Name: kd_resnet56_resnet20\n    Config: configs/kd/resnet56_resnet20.py\n'
        '    In Collection: KD\n    Metadata:\n      Source:\n        Paper: CRD Table 1\n'
        '    Results:\n      - Task: Image Classification\n        Dataset: CIFAR-100\n'
        '        Metrics:\n          Top 1 Accuracy: 70.66\n')
    monkeypatch.setattr(mod, 'ROOT', str(tmp_path))
    assert mod.published_top1('configs/kd/resnet56_resnet20.py')['top1'] == 70.66
    assert mod.published_top1('configs/kd/resnet32x4_resnet8x4.py') is None


def test_dumped_config_is_read_without_executing_it(tmp_path):
    marker = tmp_path / 'marker'
    path = tmp_path / 'config.py'
    path.write_text(f"train_dataloader = dict(batch_size=16, sampler=dict(type='X'))\n"
                    f"lr = -0.5\n"
                    f"x = __import__('pathlib').Path({str(marker)!r}).write_text('pwned')\n")
    cfg = read_dumped_config(str(path))
    assert cfg['train_dataloader'] == dict(batch_size=16, sampler=dict(type='X'))
    assert cfg['lr'] == -0.5 and cfg['x'] is None
    assert not marker.exists()


@pytest.mark.slow
def test_tensorboard_backend_writes_event_files(tiny_cifar_root, tmp_path):
    work = str(tmp_path / 'tb')
    run_tool([
        'tools/train.py', 'configs/baselines/resnet8_cifar100.py', '--work-dir', work,
        '--vis-backend', 'tensorboard', '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root) +
             ['train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=32'])
    assert glob.glob(osp.join(work, '*', 'vis_data', 'scalars.json'))  # the local file stays
    events = glob.glob(
        osp.join(work, '*', 'vis_data', '**', 'events.out.tfevents.*'), recursive=True)
    assert events, 'no TensorBoard event file written'
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    acc = EventAccumulator(osp.dirname(events[0]))
    acc.Reload()
    assert 'loss' in acc.Tags()['scalars'] and 'accuracy/top1' in acc.Tags()['scalars']


def test_vis_backend_flag_adds_backend_or_says_what_to_install():
    import importlib.util

    from mmengine.config import Config

    from mmkd.utils.errors import ConfigError
    from mmkd.utils.vis_backends import add_vis_backends
    cfg = Config(
        dict(visualizer=dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])))
    add_vis_backends(cfg, ['tensorboard', 'tensorboard'])
    assert [b['type']
            for b in cfg.visualizer.vis_backends] == ['LocalVisBackend', 'TensorboardVisBackend']
    if importlib.util.find_spec('wandb') is None:
        with pytest.raises(ConfigError, match='pip install wandb'):
            add_vis_backends(cfg, ['wandb'])


def test_seeds_refuses_launcher_and_repeats():
    from mmkd.utils.errors import ConfigError
    from mmkd.utils.seeds import run_seeds, strip_option
    with pytest.raises(ConfigError, match='for s in 0 1 2'):
        run_seeds('train.py', [], [0, 1], 'w', 'pytorch')
    with pytest.raises(ConfigError, match='repeats a seed'):
        run_seeds('train.py', [], [1, 1], 'w', 'none')
    assert strip_option(['c.py', '--seeds', '0', '1', '--work-dir', 'w', '--amp'], '--seeds',
                        '+') == ['c.py', '--work-dir', 'w', '--amp']
    assert strip_option(['--seeds', '2', 'c.py'], '--seeds', '+') == ['c.py']
