"""Online HSSAKD: two peers with self-supervised auxiliary branches teach each other.

Reference: HSAKD ``train_online_kd_cifar.py``, ``train_online_kd_imagenet.py``,
``models/mutual_kd_net.py``. Two :class:`~mmkd.models.classifiers.AuxBranchClassifier` s of the
same architecture are trained jointly by **one** optimizer (the reference's single SGD over both
networks, so the ordinary ``train_step`` is used). Per batch of N images:

1. the batch becomes the 4N-row rotation batch (``rotate_batch``: sample-major, rows ``0::4``
   are the originals, joint labels ``4y + r``);
2. peer 1, then peer 2, run on it in train mode with gradients flowing from their branches into
   their backbones (the reference's ``grad=True``): final logits ``[4N, C]``, branch logits
   ``L x [4N, 4C]``;
3. the loss, every weight 1 and T = 3 (``sg`` = stop-gradient, ``KL_T`` = ``T²·KL_batchmean``):

   * ``loss_cls``    = Σ_a CE(final_a[0::4], y)
   * ``loss_aux``    = Σ_a Σ_l CE(aux_l^a (all 4N rows), 4y + r)  (every branch of both peers)
   * ``loss_kd``     = KL_T(final_1 ‖ sg final_2) + KL_T(final_2 ‖ sg final_1)  (4N rows, over C)
   * ``loss_kd_aux`` = Σ_l [KL_T(aux_l^1 ‖ sg aux_l^2) + KL_T(aux_l^2 ‖ sg aux_l^1)]  (over 4C)

   and one backward/step over their sum.

Selection and export (the reference keeps the epoch with the best ``max(top-1 of peer 1, top-1 of
peer 2)`` on the unrotated test images): validation runs **both** peers on the plain image and
``PeerAccuracy`` reports ``peer1/top1``, ``peer2/top1`` and, as ``accuracy/top1``, the better of
the two (the number checkpoint selection uses); ``PeerSelectionHook`` then tells the model which
peer was better (``best_peer``, a buffer saved in every checkpoint). ``predict``/``tensor``,
``tools/test.py`` and :meth:`student_state_dict` (``student_last.pth``/``student_best.pth``) use
that peer as the plain classifier (branches dropped), so the export loads with ``strict=True``
into the plain config of the architecture. Before the first validation the better peer is peer 1.
"""
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.model import BaseModel

from mmkd.models.losses.kd import kd_loss  # T²·KL_batchmean, the reference's DistillKL
from mmkd.models.utils.rotation import rotate_batch, unrotated_rows
from mmkd.registry import METRICS, MODELS
from mmkd.utils.errors import ConfigError
from .base import BaseDistiller
from .builder_utils import build_classifier


@MODELS.register_module()
class HSSAKDOnlineDistiller(BaseDistiller):
    """Online (mutual) HSSAKD with two peers of the same architecture.

    Args:
        peer: config path / dict of the peer ``AuxBranchClassifier``
            (``configs/_base_/models/hsakd/<arch>_aux.py``); both peers are built from it and
            initialised independently.
        temperature: T of every KL term (reference ``--kd_T`` = 3).
        cls_weight, aux_weight, kd_weight, aux_kd_weight: weights of ``loss_cls``, ``loss_aux``,
            ``loss_kd`` and ``loss_kd_aux`` (all 1 in the reference, which has no option for
            them).

    Attributes:
        peers: ``nn.ModuleList`` of the two peers (state-dict keys ``peers.0.*``, ``peers.1.*``;
            the reference's ``net1``/``net2``).
        best_peer: 0-based index of the better peer at the last validation (a buffer).
        student: the better peer (what ``predict``/``tensor`` and the export use).
    """

    num_peers = 2
    #: no teacher to evaluate; the better peer is selected after every validation
    required_hooks = (dict(type='DistillationEpochHook'), dict(type='PeerSelectionHook'),
                      dict(type='StudentCheckpointHook'))

    def __init__(self,
                 peer,
                 temperature: float = 3.0,
                 cls_weight: float = 1.0,
                 aux_weight: float = 1.0,
                 kd_weight: float = 1.0,
                 aux_kd_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        # BaseDistiller builds one `student`; here the student is whichever peer is better, so the
        # model is set up directly (same data-preprocessor default as every distiller).
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        elif isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
        BaseModel.__init__(self, data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.epoch = 0
        self.peers = nn.ModuleList([build_classifier(peer) for _ in range(self.num_peers)])
        for i, net in enumerate(self.peers):
            if not hasattr(net, 'forward_aux') or not hasattr(net, 'plain_state_dict'):
                raise ConfigError(
                    'HSSAKDOnlineDistiller: the peer must be a classifier with auxiliary branches '
                    "(type='AuxBranchClassifier', e.g. configs/_base_/models/hsakd/<arch>_aux.py)"
                    f', got {type(net).__name__}.')
        self.register_buffer('best_peer', torch.zeros((), dtype=torch.long))
        self.temperature = float(temperature)
        self.cls_weight = float(cls_weight)
        self.aux_weight = float(aux_weight)
        self.kd_weight = float(kd_weight)
        self.aux_kd_weight = float(aux_kd_weight)

    # ------------------------------------------------------------------ peers
    @property
    def student(self) -> nn.Module:
        """The better peer at the last validation (peer 1 before any validation)."""
        return self.peers[int(self.best_peer)]

    def set_best_peer(self, index: int) -> None:
        if not 0 <= int(index) < len(self.peers):
            raise ValueError(f'best peer must be in [0, {len(self.peers)}), got {index}')
        self.best_peer.fill_(int(index))

    def student_state_dict(self) -> dict:
        """The better peer as the plain classifier (branches dropped)."""
        return self.student.plain_state_dict()

    # ------------------------------------------------------------------ training
    def loss(self, inputs: torch.Tensor, data_samples) -> Dict[str, torch.Tensor]:
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        x4, joint = rotate_batch(inputs, labels, self.student.num_classes)
        outs = [net.forward_aux(x4, detach_features=False) for net in self.peers]  # 1, then 2
        T = self.temperature
        (out1, out2) = outs

        # mmpretrain has no public loss-from-logits call: ClsHead.loss(feats) re-runs the fc layer
        loss_cls = sum(
            net.head._get_loss(unrotated_rows(out.logits), data_samples)['loss']
            for net, out in zip(self.peers, outs))
        loss_aux = sum(F.cross_entropy(ss, joint) for out in outs for ss in out.ss_logits)
        loss_kd = (kd_loss(out1.logits, out2.logits.detach(), T) +
                   kd_loss(out2.logits, out1.logits.detach(), T))
        loss_kd_aux = sum(
            kd_loss(ss1, ss2.detach(), T) + kd_loss(ss2, ss1.detach(), T)
            for ss1, ss2 in zip(out1.ss_logits, out2.ss_logits))

        losses = OrderedDict()
        losses['loss_cls'] = self.cls_weight * loss_cls
        losses['loss_aux'] = self.aux_weight * loss_aux
        losses['loss_kd'] = self.kd_weight * loss_kd
        losses['loss_kd_aux'] = self.aux_kd_weight * loss_kd_aux
        return losses

    # ------------------------------------------------------------------ evaluation
    def forward(self, inputs: torch.Tensor, data_samples=None, mode: str = 'tensor'):
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        return super().forward(inputs, data_samples, mode)

    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples=None):
        """The better peer's predictions on the plain images, each data sample also carrying
        ``peer_scores`` (``[2, C]`` softmax scores of both peers) for ``PeerAccuracy``."""
        logits = [net.head(net.extract_feat(inputs)) for net in self.peers]
        best = int(self.best_peer)
        # mmpretrain has no public predict-from-logits call: ClsHead.predict(feats) re-runs the fc
        results = self.peers[best].head._get_predictions(logits[best], data_samples)
        scores = torch.stack([F.softmax(lg, dim=1) for lg in logits], dim=1)  # [B, 2, C]
        for sample, score in zip(results, scores):
            sample.set_field(score, 'peer_scores', dtype=torch.Tensor)
        return results


@METRICS.register_module()
class PeerAccuracy(BaseMetric):
    """Top-k accuracy of every peer of an online distiller, and of the better one.

    Reads ``peer_scores`` (``[P, C]``) and ``gt_label`` of each data sample (what
    :class:`HSSAKDOnlineDistiller` predicts). Reports ``peer<p>/top<k>`` for every peer,
    ``accuracy/top<k>`` of the peer with the best top-1 (lowest index on ties; the reference's
    ``max(top-1 of peer 1, peer 2)``, and the number checkpoint selection uses) and ``peer/best``,
    that peer's 1-based number. Percentages, as mmpretrain's ``Accuracy``.
    """

    default_prefix = ''

    def __init__(self, topk: Sequence[int] = (1, 5), collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = tuple(topk)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'peer_scores' not in sample:
                raise ConfigError('PeerAccuracy needs the per-peer scores of an online distiller '
                                  '(HSSAKDOnlineDistiller); use Accuracy for other models.')
            self.results.append(dict(scores=sample['peer_scores'].cpu(),
                                     label=sample['gt_label'].reshape(-1)[:1].cpu()))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        scores = torch.stack([r['scores'] for r in results])  # [N, P, C]
        labels = torch.cat([r['label'] for r in results])  # [N]
        num_peers, num_classes = scores.shape[1:]
        per_peer = []
        for p in range(num_peers):
            maxk = min(max(self.topk), num_classes)
            top = scores[:, p].topk(maxk, dim=1).indices
            hit = top == labels[:, None]
            per_peer.append({k: float(hit[:, :min(k, num_classes)].any(1).float().mean() * 100)
                             for k in self.topk})
        sel = 1 if 1 in self.topk else self.topk[0]
        best = max(range(num_peers), key=lambda p: (per_peer[p][sel], -p))
        metrics = {}
        for k in self.topk:
            metrics[f'accuracy/top{k}'] = per_peer[best][k]
        for p, accs in enumerate(per_peer):
            for k in self.topk:
                metrics[f'peer{p + 1}/top{k}'] = accs[k]
        metrics['peer/best'] = best + 1
        return metrics
