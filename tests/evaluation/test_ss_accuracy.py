"""RotationSSAccuracy: HSAKD's per-branch self-supervised accuracy from per-image counts."""
import pytest
import torch

from mmkd.registry import METRICS
from mmkd.utils.errors import ConfigError


def test_percentages_over_all_4n_rows_and_best_branch():
    metric = METRICS.build(dict(type='RotationSSAccuracy'))
    # 3 images, 2 branches: how many of each image's 4 rotated rows each branch gets right
    samples = [
        dict(ss_correct=torch.tensor([4, 1]), ss_class_correct=torch.tensor([3, 2])),
        dict(ss_correct=torch.tensor([2, 3]), ss_class_correct=torch.tensor([4, 0])),
        dict(ss_correct=torch.tensor([0, 4]), ss_class_correct=torch.tensor([1, 1]))
    ]
    metric.process(None, samples)
    got = metric.evaluate(3)
    rows = 12
    assert got['ss_accuracy/aux1'] == pytest.approx(100 * 6 / rows)
    assert got['ss_accuracy/aux2'] == pytest.approx(100 * 8 / rows)
    assert got['ss_accuracy/class_aux1'] == pytest.approx(100 * 8 / rows)
    assert got['ss_accuracy/class_aux2'] == pytest.approx(100 * 3 / rows)
    assert got['ss_accuracy/top1'] == pytest.approx(100 * 8 / rows)  # the best branch


def test_predictions_without_rotation_counts_are_refused():
    metric = METRICS.build(dict(type='RotationSSAccuracy'))
    with pytest.raises(ConfigError, match='eval_rotations=True'):
        metric.process(None, [dict(pred_score=torch.zeros(3))])
