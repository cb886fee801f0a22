"""Tf-KD losses (Yuan et al., CVPR 2020, "Revisiting Knowledge Distillation via Label Smoothing
Regularization"), faithful to the reference code (``my_loss_function.py``); docs/tfkd.md.

Three losses:

* :class:`TfKDLoss` — the KD term of normal KD, Re-KD, De-KD (``loss_kd``) and Tf-KD self-training
  (``loss_kd_self``), for :class:`SingleTeacherDistiller`.
* :class:`TfKDRegularizationLoss` — Tf-KD_reg, the manually designed virtual teacher
  (``loss_kd_regularization``), a classification-head loss (no teacher network).
* :class:`TfKDLabelSmoothingLoss` — the reference label smoothing (``loss_label_smoothing``), a
  classification-head loss.

**KL scale (Tf-KD my_loss_function.py; docs/tfkd.md G1).** The reference computes every KL with
``nn.KLDivLoss()``, whose default reduction in torch 1.2 averages over all ``N·K`` elements, i.e.
the proper per-sample KL averaged over the batch (``batchmean``) divided by the number of classes
``K``. These losses take ``reduction='elementwise_mean'`` (the default: the reference's scale, so
the reference's ``alpha``/``multiplier`` values are used as they are) or ``reduction='batchmean'``
(the mathematically proper KL; then the reference's weights must be divided by ``K`` to reproduce
it).
Conversion to mmkd's :class:`KDLoss` (batchmean, multiplies ``tau²``)::

    TfKDLoss(alpha=a, tau=T, multiplier=m)  ==  KDLoss(tau=T, loss_weight=a * m / K)

e.g. α = 0.95, T = 20, m = 1 on CIFAR-100: ``KDLoss(tau=20, loss_weight=0.0095)``, i.e. an
effective ``3.8·KL_batchmean``.
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .kd import kd_loss

REDUCTIONS = ('elementwise_mean', 'batchmean')
#: the probability of the true class in the virtual teacher, hard-coded in the reference
REFERENCE_CORRECT_PROB = 0.99
#: the label-smoothing epsilon, hard-coded in the reference
REFERENCE_EPSILON = 0.1


def _check_reduction(reduction: str) -> str:
    if reduction not in REDUCTIONS:
        raise ValueError(f'reduction must be one of {REDUCTIONS}, got {reduction!r}')
    return reduction


def _class_indices(label: torch.Tensor, logits: torch.Tensor, who: str) -> torch.Tensor:
    """Class indices ``(N,)`` from a ``(N,)``/``(N, 1)`` label tensor."""
    if label.dim() == 2 and label.shape[1] == 1:
        label = label[:, 0]
    if label.dim() != 1 or label.shape[0] != logits.shape[0] or label.is_floating_point():
        raise ValueError(
            f'{who} needs integer class indices of shape ({logits.shape[0]},); got a '
            f'{label.dtype} tensor of shape {tuple(label.shape)}. Soft targets (mixup/cutmix '
            'batch augmentation) are not supported: the reference builds its targets from hard '
            'labels.')
    return label.long()


def kl_per_sample(log_q: torch.Tensor, p: torch.Tensor) -> torch.Tensor:
    """``sum_k p_k (log p_k − log q_k)`` for every row, as ``F.kl_div`` computes it (``(N,)``)."""
    return F.kl_div(log_q, p, reduction='none').sum(dim=1)


def reduce_kl(per_sample: torch.Tensor, num_classes: int, reduction: str) -> torch.Tensor:
    """Per-sample KLs ``(N,)`` divided by ``K`` for ``'elementwise_mean'`` (the reference's
    ``nn.KLDivLoss()``), left as they are for ``'batchmean'`` (averaging over N is the caller's)."""
    return per_sample / num_classes if _check_reduction(reduction) == 'elementwise_mean' \
        else per_sample


def tfkd_kd_loss(s_logits: torch.Tensor,
                 t_logits: torch.Tensor,
                 tau: float,
                 reduction: str = 'elementwise_mean') -> torch.Tensor:
    """``tau² · KL(softmax(t/tau) ‖ softmax(s/tau))`` averaged as ``reduction`` says: mmkd's one
    KD formula (:func:`mmkd.models.losses.kd.kd_loss`) at the reference's scale by default.

    ``'elementwise_mean'``: ``sum over N·K elements / (N·K)`` (the reference's ``nn.KLDivLoss()``);
    ``'batchmean'``: ``sum / N``.
    """
    return kd_loss(s_logits, t_logits, tau, _check_reduction(reduction))


@MODELS.register_module()
class TfKDLoss(nn.Module):
    """The KD term of Tf-KD's ``loss_kd`` / ``loss_kd_self`` (Tf-KD my_loss_function.py).

    Reference (``my_loss_function.py``)::

        L = (1 − α)·CE(z_s, y) + α·T²·m·KLel(softmax(z_t/T) ‖ softmax(z_s/T))

    with ``KLel`` averaged over all N·K elements and ``m`` = ``params.multiplier`` (self-training
    only; ``loss_kd`` has none, i.e. ``m = 1``).

    In a :class:`SingleTeacherDistiller` the CE part is the student head's own loss, weighted by
    ``student_loss_weight = 1 − α``; this loss returns the KD part ``α·T²·m·KL``. Tf-KD configs set
    both from the same α (a test checks that every config under ``configs/tfkd`` agrees).
    ``with_ce=True`` instead returns the reference's whole value (CE included; then set
    ``student_loss_weight=0``).

    Equivalent mmkd ``KDLoss`` (batchmean, ``tau²`` included): ``KDLoss(tau=T,
    loss_weight=α·m/K)`` — ``TfKDLoss(..., reduction='batchmean')`` would be ``K`` times larger.

    Args:
        alpha: α (``params.alpha``), the KD weight; the CE weight is ``1 − α``.
        tau: T (``params.temperature``), applied to both teacher and student logits.
        multiplier: m (``params.multiplier``; 1 for ``loss_kd``).
        reduction: ``'elementwise_mean'`` (reference, default) or ``'batchmean'``.
        with_ce: also add ``(1 − α)·CE`` (the reference function's complete value).
    """

    source = 'logits'

    def __init__(self,
                 alpha: float,
                 tau: float,
                 multiplier: float = 1.0,
                 reduction: str = 'elementwise_mean',
                 with_ce: bool = False):
        super().__init__()
        self.alpha = float(alpha)
        self.tau = float(tau)
        self.multiplier = float(multiplier)
        self.reduction = _check_reduction(reduction)
        self.with_ce = with_ce

    def forward(self,
                s_logits: torch.Tensor,
                t_logits: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        loss = self.alpha * self.multiplier * tfkd_kd_loss(s_logits, t_logits, self.tau,
                                                           self.reduction)
        if self.with_ce:
            if labels is None:
                raise ValueError('TfKDLoss(with_ce=True) needs the labels.')
            labels = _class_indices(labels, s_logits, 'TfKDLoss')
            loss = loss + (1.0 - self.alpha) * F.cross_entropy(s_logits.float(), labels)
        return loss

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, tau={self.tau}, multiplier={self.multiplier}, '
                f'reduction={self.reduction!r}, with_ce={self.with_ce}')


class _HeadLoss(nn.Module):
    """Common part of the classification-head losses: mmpretrain's call convention
    ``loss(cls_score, target, weight=None, avg_factor=None, reduction_override=None)``
    (``ClsHead._get_loss`` passes ``avg_factor=N``) on per-sample losses."""

    def per_sample(self, cls_score: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    @torch.autocast('cuda', enabled=False)
    @torch.autocast('cpu', enabled=False)
    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        reduction = reduction_override or 'mean'
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f"reduction_override must be 'none', 'mean' or 'sum', got "
                             f'{reduction!r}')
        cls_score = cls_score.float()
        labels = _class_indices(label, cls_score, type(self).__name__)
        loss = self.per_sample(cls_score, labels)
        if weight is not None:
            loss = loss * weight.float().reshape(-1)
        if reduction == 'none':
            return self.loss_weight * loss
        if reduction == 'sum':
            return self.loss_weight * loss.sum()
        denom = loss.shape[0] if avg_factor is None else avg_factor
        return self.loss_weight * loss.sum() / denom


def virtual_teacher(labels: torch.Tensor,
                    num_classes: int,
                    temperature: float,
                    correct_prob: float = REFERENCE_CORRECT_PROB) -> torch.Tensor:
    """The Tf-KD_reg target ``softmax(P / T)`` (Tf-KD my_loss_function.py): ``P[i, y_i] = a``, ``(1
    − a)/(K − 1)`` elsewhere — *probabilities* fed to softmax as if they were logits, as the
    reference does. With K = 100 the target is almost uniform (true class ≈ 0.0110 at T = 10)."""
    p = torch.full((labels.shape[0], num_classes), (1.0 - correct_prob) / (num_classes - 1),
                   dtype=torch.float32,
                   device=labels.device)
    p.scatter_(1, labels.reshape(-1, 1), correct_prob)
    return F.softmax(p / temperature, dim=1)


@MODELS.register_module()
class TfKDRegularizationLoss(_HeadLoss):
    """Tf-KD_reg, the manually designed virtual teacher (``--regularization``; Tf-KD
    my_loss_function.py; docs/tfkd.md G2), as the ``loss`` of a plain classification head
    (``LinearClsHead(loss=dict(type=...))``).

    ``variant='code'`` (default, the reference code)::

        L = (1 − α)·CE(z, y) + α·m·KLel(softmax(P/T) ‖ softmax(z))

    — the student side has **no temperature and no T²**; ``P`` holds probabilities (``a`` = 0.99
    on the true class, ``(1 − a)/(K − 1)`` elsewhere).

    ``variant='paper'`` (Eq. 9 of the paper, and what the author says Tiny-ImageNet/ImageNet use,
    reference issue #3): the student is softened too and the term gets ``T²``::

        L = (1 − α)·CE(z, y) + α·m·T²·KLel(softmax(P/T) ‖ softmax(z/T))

    Batchmean equivalent of the default: KL weight ``α·m/K``. The CE is averaged over the batch
    (``avg_factor``, given by the head, is the batch size).

    Args:
        alpha: ``reg_alpha``.
        temperature: ``reg_temperature`` T.
        multiplier: ``multiplier`` m.
        correct_prob: ``a``, the virtual teacher's true-class probability (0.99, hard-coded in the
            reference; the paper says ``a ≥ 0.9``).
        variant: ``'code'`` (reference code) or ``'paper'`` (student ``/T`` and ``·T²``).
        reduction: KL averaging, ``'elementwise_mean'`` (reference) or ``'batchmean'``.
        loss_weight: an overall factor (1 in the reference).
    """

    VARIANTS = ('code', 'paper')

    def __init__(self,
                 alpha: float,
                 temperature: float,
                 multiplier: float = 1.0,
                 correct_prob: float = REFERENCE_CORRECT_PROB,
                 variant: str = 'code',
                 reduction: str = 'elementwise_mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if variant not in self.VARIANTS:
            raise ValueError(f'variant must be one of {self.VARIANTS}, got {variant!r}')
        if not 0.0 < correct_prob <= 1.0:
            raise ValueError(f'correct_prob must be in (0, 1], got {correct_prob}')
        self.alpha = float(alpha)
        self.temperature = float(temperature)
        self.multiplier = float(multiplier)
        self.correct_prob = float(correct_prob)
        self.variant = variant
        self.reduction = _check_reduction(reduction)
        self.loss_weight = float(loss_weight)

    def per_sample(self, cls_score: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        num_classes = cls_score.shape[1]
        target = virtual_teacher(labels, num_classes, self.temperature, self.correct_prob)
        if self.variant == 'code':
            kl = kl_per_sample(F.log_softmax(cls_score, dim=1), target)
        else:
            kl = kl_per_sample(F.log_softmax(cls_score / self.temperature, dim=1), target) * \
                self.temperature ** 2
        ce = F.cross_entropy(cls_score, labels, reduction='none')
        return (1.0 - self.alpha) * ce + \
            self.alpha * self.multiplier * reduce_kl(kl, num_classes, self.reduction)

    def extra_repr(self) -> str:
        return (f'alpha={self.alpha}, temperature={self.temperature}, '
                f'multiplier={self.multiplier}, correct_prob={self.correct_prob}, '
                f'variant={self.variant!r}, reduction={self.reduction!r}')


def smoothed_targets(labels: torch.Tensor,
                     num_classes: int,
                     epsilon: float = REFERENCE_EPSILON) -> torch.Tensor:
    """``1 − ε`` on the true class and ``ε/(K − 1)`` on every other class (docs/tfkd.md G3)."""
    t = torch.full((labels.shape[0], num_classes),
                   epsilon / (num_classes - 1),
                   dtype=torch.float32,
                   device=labels.device)
    return t.scatter_(1, labels.reshape(-1, 1), 1.0 - epsilon)


@MODELS.register_module()
class TfKDLabelSmoothingLoss(_HeadLoss):
    """The reference's label smoothing (``--label_smoothing``; Tf-KD my_loss_function.py;
    docs/tfkd.md G3), a head loss::

        L = −(1/N) Σ_i Σ_k t_ik · log_softmax(z)_ik,   t = 1 − ε (true class), ε/(K − 1) (others)

    ε = 0.1. Not mmpretrain's ``LabelSmoothLoss`` (``mode='original'`` gives ``1 − ε + ε/K`` and
    ``ε/K``).

    Args:
        epsilon: ε (0.1 in the reference).
        loss_weight: an overall factor (1 in the reference).
    """

    def __init__(self, epsilon: float = REFERENCE_EPSILON, loss_weight: float = 1.0):
        super().__init__()
        if not 0.0 <= epsilon < 1.0:
            raise ValueError(f'epsilon must be in [0, 1), got {epsilon}')
        self.epsilon = float(epsilon)
        self.loss_weight = float(loss_weight)

    def per_sample(self, cls_score: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        target = smoothed_targets(labels, cls_score.shape[1], self.epsilon)
        return -(target * F.log_softmax(cls_score, dim=1)).sum(dim=1)

    def extra_repr(self) -> str:
        return f'epsilon={self.epsilon}'
