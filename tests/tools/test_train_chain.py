"""tools/train_chain.py: prerequisites found from checkpoint paths, run in order, resumable."""
import os.path as osp

import pytest

from mmkd.utils.chain import producer_of, resolve_chain
from mmkd.utils.errors import ConfigError
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import ROOT, run_tool

HEADLINE = 'configs/hsakd/wrn40_2_wrn16_2.py'


def test_headline_chain_is_baseline_then_hsakd_teacher_then_student():
    steps = resolve_chain(HEADLINE, ROOT)
    assert [s.config for s in steps] == [
        'configs/baselines/wrn40_2_cifar100.py', 'configs/hsakd/teachers/wrn40_2_frozen.py',
        HEADLINE
    ]
    assert [(r.key, r.producer) for r in steps[1].references
            ] == [('model.backbone_ckpt', 'configs/baselines/wrn40_2_cifar100.py')]
    assert steps[2].references[0].path == ('work_dirs/hsakd/teachers/wrn40_2_frozen/epoch_100.pth')
    assert [s.max_epochs for s in steps] == [240, 100, 240]


def test_producers_of_kept_and_student_checkpoints():
    assert producer_of('work_dirs/tfkd/baselines/resnet50_cifar100/keep/epoch_51.pth',
                       ROOT) == 'configs/tfkd/baselines/resnet50_cifar100.py'
    assert producer_of('work_dirs/hkd/resnet32x4_resnet8x4_double_pkt/student_last.pth',
                       ROOT) == 'configs/hkd/resnet32x4_resnet8x4_double_pkt.py'
    assert producer_of('work_dirs/teachers/resnet32x4.pth', ROOT) is None  # converted by hand
    assert producer_of('/abs/elsewhere.pth', ROOT) is None


def test_cycle_is_one_message(tmp_path):
    for name, other in (('a', 'b'), ('b', 'a')):
        (tmp_path / 'configs').mkdir(exist_ok=True)
        (tmp_path / 'configs' / f'{name}.py').write_text('')
    cfgs = {
        'configs/a.py': dict(model=dict(teacher_ckpt='work_dirs/b/epoch_1.pth')),
        'configs/b.py': dict(model=dict(teacher_ckpt='work_dirs/a/epoch_1.pth'))
    }
    with pytest.raises(ConfigError, match='cycle: configs/a.py -> configs/b.py -> configs/a.py'):
        resolve_chain('configs/a.py', str(tmp_path), load=cfgs.__getitem__)


@pytest.mark.slow
def test_tiny_real_chain_for_the_headline_config(tiny_cifar_root, tmp_path):
    root = str(tmp_path / 'work')
    opts = TINY + data_opts(tiny_cifar_root) + [
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=16',
        'val_dataloader.dataset.indices=20', 'test_dataloader.dataset.indices=20'
    ]
    tool = ['tools/train_chain.py', HEADLINE, '--work-root', root, '--cfg-options'] + opts
    dry = run_tool(tool[:2] + ['--dry-run'] + tool[2:]).stdout
    assert dry.count('status:   to train') == 3
    assert not osp.exists(root)  # a dry run writes nothing

    out = run_tool(tool).stdout
    base = osp.join(root, 'baselines', 'wrn40_2_cifar100', 'epoch_1.pth')
    teacher = osp.join(root, 'hsakd', 'teachers', 'wrn40_2_frozen', 'epoch_1.pth')
    # the short teacher runs wrote epoch_1.pth, which the next steps were pointed at
    assert f'model.backbone_ckpt={base}' in out
    assert f'model.teacher_ckpt={teacher}' in out
    assert osp.isfile(osp.join(root, 'hsakd', 'wrn40_2_wrn16_2', 'student_last.pth'))
    assert '[chain] configs/hsakd/wrn40_2_wrn16_2.py: all 3 steps done.' in out

    again = run_tool(tool).stdout
    assert again.count('done, skipped') == 3
