"""Plot or time mmengine's json logs (mmpretrain's analyze_logs), mmkd's types registered.

    python tools/analysis_tools/analyze_logs.py plot_curve \
        WORK_DIR/<timestamp>/vis_data/<timestamp>.json --keys loss --out loss.png

All arguments are mmpretrain's (``-h`` lists them); see mmkd.utils.mmpretrain_tools.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmkd.utils.mmpretrain_tools import run_tool  # noqa: E402

if __name__ == '__main__':
    run_tool('analysis_tools/analyze_logs.py')
