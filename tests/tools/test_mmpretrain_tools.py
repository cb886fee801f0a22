"""mmpretrain's analysis tools through mmkd's thin wrappers, on mmkd configs and outputs."""
import glob
import os.path as osp

import pytest

from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool


def test_print_config_merges_mmkd_bases():
    out = run_tool(['tools/misc/print_config.py', 'configs/kd/resnet56_resnet20.py']).stdout
    assert "type='SingleTeacherDistiller'" in out and "type='KDLoss'" in out
    assert "dict(type='StudentCheckpointHook')" in out


@pytest.mark.slow
def test_analyze_logs_and_confusion_matrix_on_a_run(tiny_cifar_root, trained_resnet8, tmp_path):
    work = trained_resnet8  # resnet8_cifar100 after one epoch of tools/train.py (shared, read)
    (log_json, ) = glob.glob(osp.join(work, '*', 'vis_data', '2*.json'))
    png = str(tmp_path / 'loss.png')
    run_tool([
        'tools/analysis_tools/analyze_logs.py', 'plot_curve', log_json, '--keys', 'loss', '--out',
        png
    ])
    assert open(png, 'rb').read(4) == b'\x89PNG'
    cm_png, cm_pkl = str(tmp_path / 'cm.png'), str(tmp_path / 'cm.pkl')
    out = run_tool([
        'tools/analysis_tools/confusion_matrix.py', 'configs/baselines/resnet8_cifar100.py',
        osp.join(work, 'epoch_1.pth'), '--show-path', cm_png, '--out', cm_pkl, '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root)).stdout
    assert 'The confusion matrix is saved' in out
    import pickle
    with open(cm_pkl, 'rb') as f:
        matrix = pickle.load(f)  # written by this test's own run
    assert tuple(matrix.shape) == (100, 100)
    assert int(matrix.sum()) == 100  # the tiny test split: 1 image per class
