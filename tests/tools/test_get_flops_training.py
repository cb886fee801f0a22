"""get_flops.py counts what training runs: HSAKD/HSSAKD's 4-rotation batch through backbone, head
and auxiliary branches (each peer once), FFSD's parts, UNIXKD's computation fraction; the deployed
student is listed apart. Expected numbers come from mmengine's FlopAnalyzer run here on the
branches path (``forward_aux``) of the built networks, independently of the tool's tracing."""
import logging
import re
import runpy
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.logging import MMLogger

from mmkd.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
TOOL = 'tools/analysis_tools/get_flops.py'


def run_get_flops(config, capsys, monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(sys, 'argv', [TOOL, config])
    try:
        runpy.run_path(str(ROOT / TOOL), run_name='__main__')
    finally:
        torch.set_num_threads(threads)
    return capsys.readouterr().out


def training_parts(out):
    """``{part: FLOPs in M}`` of the training section."""
    section = out.split('Training forward FLOPs per image', 1)[1]
    return {k: float(v) for k, v in re.findall(r'^  (\S+): ([\d.]+)M', section, re.M)}


def section_names(out):
    return re.findall(r'^(\S[^\n]*)\n  Params:', out, re.M)


class BranchesPath(nn.Module):

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        out = self.net.forward_aux(x)
        return (out.logits, ) + tuple(out.ss_logits)


def branches_path_flops(net, rows, train=True):
    """FlopAnalyzer on ``forward_aux`` of ``rows`` images (in the mode training uses: batch norm
    counts more in train mode)."""
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    net.train(train)
    with torch.no_grad():
        analyzer = FlopAnalyzer(BranchesPath(net), (torch.zeros(rows, 3, 32, 32), ))
        analyzer.unsupported_ops_warnings(False)
        analyzer.uncalled_modules_warnings(False)
        return analyzer.total()


def build(config):
    cfg = Config.fromfile(str(ROOT / config))
    if 'teacher' in cfg.model:
        cfg.model.teacher_ckpt = None
        cfg.model.teacher_ckpt_required = False
    return MODELS.build(cfg.model)


def test_hsakd_counts_rotation_batch_and_branches(capsys, monkeypatch):
    config = 'configs/hsakd/wrn40_2_wrn16_2.py'
    out = run_get_flops(config, capsys, monkeypatch)
    parts = training_parts(out)
    model = build(config)
    one = branches_path_flops(model.student, 1)
    assert one > 0
    # 4 rotated copies per image through backbone, head and branches (student and teacher)
    assert parts['student'] == pytest.approx(round(4 * one / 1e6, 3), abs=1e-3)
    assert parts['teacher'] == pytest.approx(
        round(4 * branches_path_flops(model.teacher, 1, train=False) / 1e6, 3), abs=1e-3)
    assert parts['total'] == pytest.approx(parts['student'] + parts['teacher'], abs=2e-3)
    # the deployed student (plain WRN-16-2: 0.703M parameters) is listed apart, branches dropped
    assert re.search(r'^student \(deployed\).*\n  Params: 0\.703M', out, re.M)
    deployed = float(
        re.search(r'^student \(deployed\).*\n.*\n  FLOPs:  ([\d.]+)M', out, re.M).group(1))
    assert parts['student'] > 4 * deployed


@pytest.mark.slow
def test_hssakd_counts_each_peer_once(capsys, monkeypatch):
    config = 'configs/hssakd/wrn40_1.py'
    out = run_get_flops(config, capsys, monkeypatch)
    parts = training_parts(out)
    model = build(config)
    assert set(parts) == {'peer1', 'peer2', 'total'}
    for name in ('peer1', 'peer2'):
        assert parts[name] == pytest.approx(
            round(4 * branches_path_flops(getattr(model, name), 1) / 1e6, 3), abs=1e-3)
    assert parts['total'] == pytest.approx(parts['peer1'] + parts['peer2'], abs=2e-3)
    # both peers train: 2 x WRN-40-1 with branches
    trained = sum(p.numel() for p in model.parameters())
    assert 'Trained in all (every parameter with requires_grad): ' in out
    assert f'({trained:,})' in out.split('Trained in all', 1)[1].splitlines()[0]
    # the deployed student is the best peer (peer 0 before training): listed once, not twice
    assert [n.split(' ')[0] for n in section_names(out)] == ['student', 'peer2']


def test_ffsd_counts_every_part(capsys, monkeypatch):
    out = run_get_flops('configs/ffsd/resnet20.py', capsys, monkeypatch)
    parts = training_parts(out)
    assert set(parts) == {
        'student1', 'student2', 'fusion', 'leader', 'decoder_student2', 'decoder_leader', 'total'
    }
    assert all(v > 0 for v in parts.values())
    assert parts['student1'] == parts['student2']  # two copies of one architecture
    assert parts['total'] == pytest.approx(
        sum(v for k, v in parts.items() if k != 'total'), abs=4e-3)


def test_unixkd_computation_fraction(capsys, monkeypatch):
    out = run_get_flops('configs/unixkd/resnet32x4_resnet8x4.py', capsys, monkeypatch)
    f_s = float(re.search(r'^student \(deployed\).*\n.*\n  FLOPs:  ([\d.]+)M', out, re.M).group(1))
    f_t = float(re.search(r'^teacher.*\n.*\n  FLOPs:  ([\d.]+)M', out, re.M).group(1))
    fraction = float(re.search(r'Computation fraction \(UNIXKD / KD\): ([\d.]+)', out).group(1))
    # k = 48 of B = 64 (the config), k/B + F_s/(F_t + 2F_s); F rounded to 1e-3 M in the output
    assert 'k = 48 of B = 64' in out
    assert fraction == pytest.approx(48 / 64 + f_s / (f_t + 2 * f_s), abs=2e-4)


def test_hsakd_teacher_step_counts_rotation_batch(capsys, monkeypatch):
    """The HSAKD teacher step (a classifier config): 4 rotations per image, branches included."""
    config = 'configs/hsakd/teachers/wrn40_2_frozen.py'
    out = run_get_flops(config, capsys, monkeypatch)
    parts = training_parts(out)
    assert 'backbone' in parts and any(k.startswith('aux_branches') for k in parts)
    model = build(config)
    model.train()
    expected = 4 * branches_path_flops(model, 1, train=True) / 1e6
    assert parts['total'] == pytest.approx(expected, abs=1e-3)
