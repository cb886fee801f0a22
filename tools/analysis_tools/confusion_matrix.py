"""Confusion matrix of a checkpoint on the test split (mmpretrain's confusion_matrix).

mmkd's types are registered.

    python tools/analysis_tools/confusion_matrix.py configs/baselines/resnet8_cifar100.py CKPT \
        --show-path cm.png

All arguments are mmpretrain's (``-h`` lists them); see mmkd.utils.mmpretrain_tools.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmkd.utils.mmpretrain_tools import run_tool  # noqa: E402

if __name__ == '__main__':
    run_tool('analysis_tools/confusion_matrix.py')
