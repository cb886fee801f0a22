"""Online HSSAKD: P ≥ 2 peers with self-supervised auxiliary branches teach each other.

Paper: Yang et al., "Hierarchical Self-supervised Augmented Knowledge Distillation", IJCAI 2021,
online variant (HSSAKD). Reference: HSAKD ``train_online_kd_cifar.py``,
``train_online_kd_imagenet.py``, ``models/mutual_kd_net.py`` (two peers ``net1``/``net2``).

Parts (:class:`~mmkd.models.distillers.online_base.BaseOnlineDistiller`): ``peer1`` ..
``peerP``, P :class:`~mmkd.models.classifiers.AuxBranchClassifier` s of one architecture,
initialised independently, each with its own optimizer wrapper. The reference trains its two
peers with **one** SGD over both networks; one SGD per peer with the same hyperparameters is the
same update, because the parameter sets are disjoint, SGD (momentum, Nesterov, weight decay) acts
per parameter, and a peer's parameters get gradient only from its own terms below (the others'
outputs are stop-gradient targets).

One iteration on a batch of N images:

1. the batch becomes the 4N-row rotation batch (``rotate_batch``: sample-major, rows ``0::4`` are
   the originals, joint labels ``4y + r``);
2. every peer, in order, runs on it in train mode with gradients flowing from its branches into
   its backbone (the reference's ``grad=True``): final logits ``f_p`` ``[4N, C]``, branch logits
   ``a_l^p`` ``L x [4N, 4C]`` — all forwards before any update;
3. peer 1, then peer 2, ..., each one step on its own terms (T = 3, ``sg`` = stop-gradient,
   ``KL_T(s ‖ t) = T²·KL_batchmean(softmax(t/T) ‖ softmax(s/T))``, the reference's ``DistillKL``):

   * ``peer<p>.loss_cls``    = CE(f_p[0::4], y)
   * ``peer<p>.loss_aux``    = Σ_l CE(a_l^p (all 4N rows), 4y + r)
   * ``peer<p>.loss_kd``     = 1/(P−1) · Σ_{q≠p} KL_T(f_p ‖ sg f_q)          (4N rows, over C)
   * ``peer<p>.loss_kd_aux`` = 1/(P−1) · Σ_{q≠p} Σ_l KL_T(a_l^p ‖ sg a_l^q)  (over 4C)

   each multiplied by its weight (all 1 in the reference). The mean over the other peers is
   deep mutual learning's rule for more than two networks (Zhang et al., "Deep Mutual
   Learning", CVPR 2018, the extension to larger student cohorts: 1/(K−1) Σ_{l≠k} KL); for
   P = 2 it is the single other peer, and the sum over the two peers of each term is exactly the
   reference's loss: Σ_a CE(final_a), Σ_a Σ_l CE(aux_l^a), KL_T(final_1 ‖ sg final_2) +
   KL_T(final_2 ‖ sg final_1), and the same for every branch.

Selection and export (the reference keeps the epoch with the best ``max(top-1 of peer 1, top-1 of
peer 2)`` on the unrotated test images): validation runs **every** peer on the plain image and
:class:`~mmkd.evaluation.PeerAccuracy` reports ``peer<p>/top1`` for each and, as
``accuracy/top1``, the best of them (the number checkpoint selection uses);
:class:`~mmkd.engine.hooks.PeerSelectionHook` then tells the model which peer was best
(``best_peer``, a buffer saved in every checkpoint). That peer is the deliverable:
``predict``/``tensor``, ``tools/test.py`` and :meth:`student_state_dict`
(``student_last.pth``/``student_best.pth``) use it as the plain classifier (branches dropped), so
the export loads with ``strict=True`` into the plain config of the architecture. Before the first
validation the deliverable is peer 1.

Checkpoints of the earlier layout (one ``peers`` ModuleList: ``peers.0.*``, ``peers.1.*``) still
load: their keys are renamed to ``peer1.*``, ``peer2.*`` on load.
"""
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.evaluation.peer_accuracy import PeerAccuracy  # registered here; re-exported
from mmkd.models.losses.kd import kd_loss  # T²·KL_batchmean, the reference's DistillKL
from mmkd.models.utils.rotation import rotate_batch, unrotated_rows
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .builder_utils import build_classifier
from .online_base import BaseOnlineDistiller

__all__ = ['HSSAKDOnlineDistiller', 'PeerAccuracy']

_LEGACY_PEER_KEY = re.compile(r'peers\.(\d+)\.')


@MODELS.register_module()
class HSSAKDOnlineDistiller(BaseOnlineDistiller):
    """Online (mutual) HSSAKD with ``num_peers`` peers of the same architecture.

    Args:
        peer: config path / dict of the peer ``AuxBranchClassifier``
            (``configs/_base_/models/hsakd/<arch>_aux.py``); every peer is built from it and
            initialised independently.
        num_peers: P, the number of peers (the reference trains 2; at least 2).
        temperature: T of every KL term (reference ``--kd_T`` = 3).
        cls_weight, aux_weight, kd_weight, aux_kd_weight: weights of ``loss_cls``, ``loss_aux``,
            ``loss_kd`` and ``loss_kd_aux`` (all 1 in the reference, which has no option for
            them).

    Attributes:
        peer1 .. peerP: the peers, one optimizer each (state-dict keys ``peer<p>.*``; the
            reference's ``net1``/``net2``).
        best_peer: 0-based index of the best peer at the last validation (a buffer).
        deliverable: ``'peer<best_peer + 1>'``; ``student`` is that peer.
    """

    #: no teacher to evaluate; the better peer is selected after every validation
    required_hooks = (dict(type='DistillationEpochHook'), dict(type='PeerSelectionHook'),
                      dict(type='StudentCheckpointHook'))

    def __init__(self,
                 peer,
                 num_peers: int = 2,
                 temperature: float = 3.0,
                 cls_weight: float = 1.0,
                 aux_weight: float = 1.0,
                 kd_weight: float = 1.0,
                 aux_kd_weight: float = 1.0,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if isinstance(num_peers, bool) or not isinstance(num_peers, int) or num_peers < 2:
            raise ConfigError(f'HSSAKDOnlineDistiller: num_peers must be an integer of at least '
                              f'2 (the peers learn from each other), got {num_peers!r}.')
        self.num_peers = num_peers
        for p in range(1, num_peers + 1):
            net = build_classifier(peer)
            if not hasattr(net, 'forward_aux') or not hasattr(net, 'plain_state_dict'):
                raise ConfigError(
                    'HSSAKDOnlineDistiller: the peer must be a classifier with auxiliary branches '
                    "(type='AuxBranchClassifier', e.g. configs/_base_/models/hsakd/<arch>_aux.py)"
                    f', got {type(net).__name__}.')
            self.add_part(f'peer{p}', net)
        self.register_buffer('best_peer', torch.zeros((), dtype=torch.long))
        self.temperature = float(temperature)
        self.cls_weight = float(cls_weight)
        self.aux_weight = float(aux_weight)
        self.kd_weight = float(kd_weight)
        self.aux_kd_weight = float(aux_kd_weight)
        self.register_load_state_dict_pre_hook(_legacy_peer_keys)

    # ------------------------------------------------------------------ peers
    @property
    def deliverable(self) -> str:
        """The best peer at the last validation (``peer1`` before any validation)."""
        return f'peer{int(self.best_peer) + 1}'

    def set_best_peer(self, index: int) -> None:
        """Make the 0-based peer ``index`` the deliverable (``PeerSelectionHook``)."""
        if not 0 <= int(index) < self.num_peers:
            raise ValueError(f'best peer must be in [0, {self.num_peers}), got {index}')
        self.best_peer.fill_(int(index))

    def student_state_dict(self) -> dict:
        """The best peer as the plain classifier (branches dropped)."""
        return self.student.plain_state_dict()

    # ------------------------------------------------------------------ training
    def forward_train(self, inputs: torch.Tensor, data_samples) -> dict:
        """The 4-rotation batch through every peer (in order), before any update."""
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        num_classes = self.unwrapped_part('peer1').num_classes
        x4, joint = rotate_batch(inputs, labels, num_classes)
        outs = [self.part(name)(x4, mode='aux') for name in self.part_names]
        return dict(outs=outs, joint=joint, data_samples=data_samples)

    def part_losses(self, name: str, state: dict) -> Dict[str, torch.Tensor]:
        """Peer ``name``'s four terms (module doc); the other peers' logits are targets."""
        index = self.part_names.index(name)
        me = state['outs'][index]
        others = [o for q, o in enumerate(state['outs']) if q != index]
        T, joint = self.temperature, state['joint']
        # mmpretrain has no public loss-from-logits call: ClsHead.loss(feats) re-runs the fc layer
        loss_cls = self.unwrapped_part(name).head._get_loss(
            unrotated_rows(me['logits']), state['data_samples'])['loss']
        loss_aux = sum(F.cross_entropy(ss, joint) for ss in me['ss_logits'])
        loss_kd = sum(kd_loss(me['logits'], o['logits'].detach(), T) for o in others) / len(others)
        loss_kd_aux = sum(
            kd_loss(s, t.detach(), T) for o in others
            for s, t in zip(me['ss_logits'], o['ss_logits'])) / len(others)
        losses = OrderedDict()
        losses['loss_cls'] = self.cls_weight * loss_cls
        losses['loss_aux'] = self.aux_weight * loss_aux
        losses['loss_kd'] = self.kd_weight * loss_kd
        losses['loss_kd_aux'] = self.aux_kd_weight * loss_kd_aux
        return losses

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples=None):
        """The best peer's predictions on the plain images, each data sample also carrying
        ``peer_scores`` (``[P, C]`` softmax scores of every peer) for ``PeerAccuracy``."""
        logits = [self.part(name)(inputs, mode='tensor') for name in self.part_names]
        best = int(self.best_peer)
        # mmpretrain has no public predict-from-logits call: ClsHead.predict(feats) re-runs the fc
        results = self.student.head._get_predictions(logits[best], data_samples)
        scores = torch.stack([F.softmax(lg, dim=1) for lg in logits], dim=1)  # [B, P, C]
        for sample, score in zip(results, scores):
            sample.set_field(score, 'peer_scores', dtype=torch.Tensor)
        return results


def _legacy_peer_keys(module: nn.Module, state_dict, prefix, *args) -> None:
    """Load-state-dict pre-hook: ``peers.<i>.*`` (the earlier ModuleList) -> ``peer<i+1>.*``."""
    head = prefix + 'peers.'
    for key in [k for k in state_dict if k.startswith(head)]:
        match = _LEGACY_PEER_KEY.match(key, len(prefix))
        if match is None:
            continue
        new = f'{prefix}peer{int(match.group(1)) + 1}.{key[match.end():]}'
        if new not in state_dict:
            state_dict[new] = state_dict.pop(key)
