"""Accuracy of every peer of an online distiller whose deliverable is the better peer.

The reference of online HSSAKD (HSAKD ``train_online_kd_cifar.py``) keeps the epoch with the best
``max(top-1 of peer 1, top-1 of peer 2)`` on the unrotated test images, so the number checkpoint
selection uses is the best peer *of this validation*, whichever peer the model predicted with
before it. :class:`~mmkd.models.distillers.HSSAKDOnlineDistiller` puts ``peer_scores`` (``[P,
C]`` softmax scores of its P peers) on every data sample; this metric reports

* ``peer<p>/top<k>`` for every peer ``p = 1..P``;
* ``accuracy/top<k>``: the peer with the best top-1 (lowest number on ties), what
  ``save_best='accuracy/top1'`` selects;
* ``peer/best``: that peer's 1-based number, which
  :class:`~mmkd.engine.hooks.PeerSelectionHook` hands to the model.

Percentages, as mmpretrain's ``Accuracy``.
"""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmkd.registry import METRICS
from mmkd.utils.errors import ConfigError


@METRICS.register_module()
class PeerAccuracy(BaseMetric):
    """Top-k accuracy of every peer and of the better one (see the module doc).

    Args:
        topk: the k's; the better peer is chosen by top-1 (by the first k when 1 is absent).
    """

    default_prefix = ''

    def __init__(self,
                 topk: Sequence[int] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'peer_scores' not in sample:
                raise ConfigError('PeerAccuracy needs the per-peer scores of an online distiller '
                                  '(HSSAKDOnlineDistiller); use Accuracy for other models.')
            self.results.append(
                dict(
                    scores=sample['peer_scores'].cpu(),
                    label=sample['gt_label'].reshape(-1)[:1].cpu()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        scores = torch.stack([r['scores'] for r in results])  # [N, P, C]
        labels = torch.cat([r['label'] for r in results])  # [N]
        num_peers, num_classes = scores.shape[1:]
        maxk = min(max(self.topk), num_classes)
        per_peer = []
        for p in range(num_peers):
            hit = scores[:, p].topk(maxk, dim=1).indices == labels[:, None]
            per_peer.append({
                k: float(hit[:, :min(k, num_classes)].any(1).float().mean() * 100)
                for k in self.topk
            })
        sel = 1 if 1 in self.topk else self.topk[0]
        best = max(range(num_peers), key=lambda p: (per_peer[p][sel], -p))
        metrics = {f'accuracy/top{k}': per_peer[best][k] for k in self.topk}
        for p, accs in enumerate(per_peer):
            for k in self.topk:
                metrics[f'peer{p + 1}/top{k}'] = accs[k]
        metrics['peer/best'] = best + 1
        return metrics
