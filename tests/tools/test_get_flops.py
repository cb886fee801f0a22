"""tools/analysis_tools/get_flops.py on a classifier and on distillation configs.

Expected parameter counts are the reference models' (RepDistiller models/*.py):
resnet8 0.084M, resnet8x4 1.234M, resnet32x4 7.434M (100 classes).
"""
import os
import re
import runpy
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

from tests import _launcher

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'tools/analysis_tools/get_flops.py'


def run_tool(*args):
    env = dict(os.environ, PYTHONWARNINGS='ignore', OMP_NUM_THREADS='1')
    env.pop('MMKD_DEBUG', None)
    return _launcher.run([sys.executable, TOOL, *args],
                         cwd=str(ROOT),
                         env=env,
                         capture_output=True,
                         text=True,
                         timeout=300)


def sections(text):
    """``{section name: (params in M, exact count, flops in M or None)}`` from the output."""
    out = {}
    pattern = re.compile(
        r'^(\S+)[^\n]*\n  Params: ([\d.]+)M \(([\d,]+)[^\n]*\n(?:  FLOPs:  ([\d.]+)M)?', re.M)
    for name, mega, exact, flops in pattern.findall(text):
        out[name] = (mega, int(exact.replace(',', '')), float(flops) if flops else None)
    return out


@pytest.fixture(scope='module')
def outputs():
    with ThreadPoolExecutor(max_workers=2) as pool:
        plain = pool.submit(run_tool, 'configs/_base_/models/resnet8.py')
        kd = pool.submit(run_tool, 'configs/kd/resnet32x4_resnet8x4.py')
        return dict(plain=plain.result(), kd=kd.result())


def test_classifier_config(outputs):
    result = outputs['plain']
    assert result.returncode == 0, result.stderr[-3000:]
    assert 'Input shape: (1, 3, 32, 32)' in result.stdout
    found = sections(result.stdout)
    assert found['model'][:2] == ('0.084', 83_892)
    assert found['model'][2] > 0  # FLOPs counted


def test_distiller_config(outputs):
    result = outputs['kd']
    assert result.returncode == 0, result.stderr[-3000:]
    found = sections(result.stdout)
    assert found['student'][0] == '1.234'
    assert found['teacher'][0] == '7.434'
    assert found['student'][2] < found['teacher'][2]
    assert found['connectors'][1] == 0  # plain KD has no connector
    assert 'TEACHER IS UNTRAINED' not in result.stderr  # the checkpoint is not needed


def test_distiller_connectors_counted_separately(tmp_path, capsys, monkeypatch):
    """FitNet on layer2 (resnet8x4 128@16 -> resnet32x4 128@16): a 1x1 conv with bias and a
    BN(128), i.e. 128*128 + 128 + 2*128 = 16,768 trainable connector parameters."""
    cfg = tmp_path / 'fitnet.py'
    cfg.write_text(
        f"_base_ = [{str(ROOT / 'configs/kd/resnet32x4_resnet8x4.py')!r}]\n"
        "model = dict(distill_losses=dict(hint=dict(type='FitNetLoss', loss_weight=100.0, "
        "source=2, connector=dict(type='ConvRegConnector'))))\n")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [TOOL, str(cfg)])
    try:
        runpy.run_path(str(ROOT / TOOL), run_name='__main__')
    finally:
        torch.set_num_threads(threads)
    found = sections(capsys.readouterr().out)
    assert found['connectors'][1] == 16_768
    assert found['student'][0] == '1.234'  # the student alone, connectors apart
