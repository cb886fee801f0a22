"""Self-supervised ("ss") accuracy of HSAKD's auxiliary branches (HSAKD train_teacher_cifar.py,
issue #5).

An :class:`~mmkd.models.classifiers.AuxBranchClassifier` with ``eval_rotations=True`` runs every
validation image in its four rotations and stores, per image, how many of its 4 rotated rows each
branch gets right: ``ss_correct`` (top-1 over the 4C joint labels ``4y + r``) and
``ss_class_correct`` (the rotation-summed class logits of the branch against ``y``). This metric
turns them into the reference's logged numbers (``train_teacher_cifar.py``'s ``test()``):

* ``ss_accuracy/aux<l>``: ss top-1 of branch ``l`` over all 4N rows, %;
* ``ss_accuracy/class_aux<l>``: rotation-summed class top-1 of branch ``l`` over all 4N rows, %;
* ``ss_accuracy/top1``: the maximum over the branches of ``aux<l>``: the number the reference
  teacher script returns and selects its ``_best`` checkpoint by.
"""
from typing import List, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmkd.registry import METRICS
from mmkd.utils.errors import ConfigError


@METRICS.register_module()
class RotationSSAccuracy(BaseMetric):
    """Per-branch self-supervised accuracy on the 4-rotation test batch (see module doc)."""

    default_prefix = 'ss_accuracy'

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'ss_correct' not in sample:
                raise ConfigError(
                    'RotationSSAccuracy needs predictions of an AuxBranchClassifier with '
                    'eval_rotations=True (model.eval_rotations=True).')
            self.results.append((torch.as_tensor(sample['ss_correct']).cpu(),
                                 torch.as_tensor(sample['ss_class_correct']).cpu()))

    def compute_metrics(self, results: List) -> dict:
        ss = torch.stack([r[0] for r in results]).double()
        cls = torch.stack([r[1] for r in results]).double()
        rows = 4 * len(results)
        ss_acc = ss.sum(0) / rows * 100
        cls_acc = cls.sum(0) / rows * 100
        metrics = {}
        for i in range(ss.shape[1]):
            metrics[f'aux{i + 1}'] = ss_acc[i].item()
            metrics[f'class_aux{i + 1}'] = cls_acc[i].item()
        metrics['top1'] = ss_acc.max().item()
        return metrics
