"""TextCachedConfig: the text mmengine's Config.pretty_text gives, laid out once per config."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmkd.utils import config_text
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.config_text import TextCachedConfig
from tests.utils import ROOT

CONFIGS = [
    'configs/baselines/resnet8_cifar100.py', 'configs/kd/resnet32x4_resnet8x4.py',
    'configs/hsakd/wrn40_2_wrn16_2.py', 'configs/ffsd/resnet20.py', 'configs/crd/wrn40_2_wrn16_2.py'
]


@pytest.mark.parametrize('config', CONFIGS)
def test_same_text_as_mmengine(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    cached = TextCachedConfig.of(cfg)
    assert cached.pretty_text == cfg.pretty_text
    assert cached.filename == cfg.filename and cached.text == cfg.text
    assert cached.to_dict() == cfg.to_dict()


def test_each_distinct_text_is_laid_out_once(monkeypatch):
    import yapf.yapflib.yapf_api as yapf_api
    calls = []
    format_code = yapf_api.FormatCode

    def counting(text, **kwargs):
        calls.append(text)
        return format_code(text, **kwargs)

    monkeypatch.setattr(yapf_api, 'FormatCode', counting)
    config_text.format_config_text.cache_clear()
    cfg = TextCachedConfig.of(Config.fromfile(osp.join(ROOT, CONFIGS[1])))
    first = cfg.pretty_text
    assert cfg.pretty_text == first and len(calls) == 1
    cfg.train_cfg.max_epochs = 7  # another config: laid out again, and the change is in it
    assert 'max_epochs=7' in cfg.pretty_text and len(calls) == 2
    copied = copy.deepcopy(cfg)  # what the Runner keeps: still this class
    assert isinstance(copied, TextCachedConfig) and copied.pretty_text == cfg.pretty_text
    assert len(calls) == 2


def test_runner_of_the_train_tool_writes_mmengines_text(trained_resnet8):
    """Through tools/train.py: the config dumped into the work dir and the one in the checkpoint
    are the text mmengine gives for that config."""
    ckpt_text = safe_load(osp.join(trained_resnet8, 'epoch_1.pth'))['meta']['cfg']
    (dumped, ) = glob.glob(osp.join(trained_resnet8, 'resnet8_cifar100.py'))
    assert open(dumped).read() == ckpt_text
    assert Config(Config.fromstring(ckpt_text, '.py').to_dict()).pretty_text == ckpt_text
