"""Print a config with its _base_ files merged (mmpretrain's print_config), mmkd registered.

    python tools/misc/print_config.py configs/kd/resnet56_resnet20.py

All arguments are mmpretrain's (``-h`` lists them); see mmkd.utils.mmpretrain_tools.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmkd.utils.mmpretrain_tools import run_tool  # noqa: E402

if __name__ == '__main__':
    run_tool('misc/print_config.py')
