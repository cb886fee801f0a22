"""Accuracy of every network of an online distiller, with the deliverable's as ``accuracy/top*``.

The online distiller's ``predict`` returns the deliverable's predictions (``pred_score``) and puts
``network_scores`` (name -> ``[C]`` softmax scores) on every data sample. This metric reports

* ``accuracy/top<k>``: the deliverable (what ``save_best='accuracy/top1'`` selects);
* ``<name>/top<k>`` for every network in ``network_scores``;
* for the networks in ``group`` (e.g. the common students): ``<group_name>_mean/top1``, the mean
  of their top-1 (the reference's "average"), and ``<group_name>_any_correct/top1``, the share of
  samples that *at least one* of them classifies right (what FFSD's ``utils/util.py:
  ensemble_accuracy`` really computes: it adds boolean masks, a logical OR, and the reference
  logs it as "ensemble").

Percentages, as mmpretrain's ``Accuracy``.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmkd.registry import METRICS
from mmkd.utils.errors import ConfigError


@METRICS.register_module()
class OnlineNetworksAccuracy(BaseMetric):
    """Top-k of the deliverable and of every network of an online distiller.

    Args:
        topk: the k's.
        group: names (glob patterns allowed) of networks summarised together (mean and
            any-correct top-1); empty for none.
        group_name: prefix of the group metrics.
    """

    default_prefix = ''

    def __init__(self,
                 topk: Sequence[int] = (1, 5),
                 group: Sequence[str] = ('student*', ),
                 group_name: str = 'students',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)
        self.group = tuple(group)
        self.group_name = group_name

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'network_scores' not in sample:
                raise ConfigError('OnlineNetworksAccuracy needs the per-network scores of an '
                                  'online distiller (e.g. FFSDDistiller with '
                                  'eval_all_networks=True); use Accuracy for other models.')
            scores = {k: v.cpu() for k, v in sample['network_scores'].items()}
            scores['__deliverable__'] = sample['pred_score'].cpu()
            self.results.append(dict(scores=scores, label=sample['gt_label'].reshape(-1)[:1].cpu()))

    def _hits(self, scores: torch.Tensor, labels: torch.Tensor, k: int) -> torch.Tensor:
        k = min(k, scores.shape[1])
        return (scores.topk(k, dim=1).indices == labels[:, None]).any(1)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        import fnmatch
        labels = torch.cat([r['label'] for r in results])
        names = list(results[0]['scores'])
        metrics = {}
        hits1 = {}
        for name in names:
            scores = torch.stack([r['scores'][name] for r in results])
            key = 'accuracy' if name == '__deliverable__' else name
            for k in self.topk:
                hit = self._hits(scores, labels, k)
                metrics[f'{key}/top{k}'] = float(hit.float().mean() * 100)
                if k == 1:
                    hits1[name] = hit
        members = [
            n for n in names
            if n != '__deliverable__' and any(fnmatch.fnmatchcase(n, g) for g in self.group)
        ]
        if members:
            if 1 not in self.topk:
                for name in members:
                    scores = torch.stack([r['scores'][name] for r in results])
                    hits1[name] = self._hits(scores, labels, 1)
            stacked = torch.stack([hits1[n] for n in members])
            metrics[f'{self.group_name}_mean/top1'] = float(stacked.float().mean() * 100)
            metrics[f'{self.group_name}_any_correct/top1'] = float(
                stacked.any(0).float().mean() * 100)
        return metrics
