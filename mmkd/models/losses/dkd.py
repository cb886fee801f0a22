"""Decoupled knowledge distillation (DKD, Zhao et al., CVPR 2022).

Reference: mdistiller ``mdistiller/distillers/DKD.py`` (mdistiller
CIFAR-100 defaults ``CE_WEIGHT 1.0, ALPHA 1.0, BETA 8.0, T 4.0, WARMUP 20``).
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def dkd_loss(s_logits: torch.Tensor,
             t_logits: torch.Tensor,
             labels: torch.Tensor,
             alpha: float = 1.0,
             beta: float = 8.0,
             tau: float = 4.0) -> torch.Tensor:
    """``alpha · TCKD + beta · NCKD`` (no warm-up factor).

    With ``p = softmax(z / tau)`` over the K classes and ``g`` the ground-truth class:

    * TCKD ``= tau² · mean_b KL(b_t ‖ b_s)`` with the binary distribution
      ``b = [p_g, Σ_{k≠g} p_k]``;
    * NCKD ``= tau² · mean_b KL(p̂_t ‖ p̂_s)`` with ``p̂ = softmax`` of the K−1 non-target logits
      (divided by tau), i.e. the distribution among the non-target classes.

    The binary probabilities are taken in log space (log-sum-exp of the non-target
    log-probabilities), which equals the reference's ``log`` of summed probabilities without its
    underflow to ``log 0``.

    Args:
        s_logits: student logits ``(B, K)``.
        t_logits: teacher logits ``(B, K)``.
        labels: ground-truth class indices ``(B,)``.
        alpha: weight of TCKD.
        beta: weight of NCKD.
        tau: temperature.
    """
    s_logits, t_logits = s_logits.float(), t_logits.float()
    B, K = s_logits.shape
    labels = labels.reshape(-1).long()
    gt_mask = F.one_hot(labels, K).bool()

    log_p_s = F.log_softmax(s_logits / tau, dim=1)
    log_p_t = F.log_softmax(t_logits / tau, dim=1)

    def binary_log_probs(log_p):
        log_gt = log_p.gather(1, labels[:, None])
        log_other = log_p.masked_fill(gt_mask, float('-inf')).logsumexp(dim=1, keepdim=True)
        return torch.cat([log_gt, log_other], dim=1)

    log_b_s = binary_log_probs(log_p_s)
    log_b_t = binary_log_probs(log_p_t)
    tckd = F.kl_div(log_b_s, log_b_t.exp(), reduction='batchmean') * tau**2

    # non-target classes only: (B, K-1), order of the remaining classes kept
    s_other = s_logits[~gt_mask].view(B, K - 1)
    t_other = t_logits[~gt_mask].view(B, K - 1)
    nckd = F.kl_div(
        F.log_softmax(s_other / tau, dim=1),
        F.softmax(t_other / tau, dim=1),
        reduction='batchmean') * tau**2

    return alpha * tckd + beta * nckd


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled KD: ``L = loss_weight · w(epoch) · (alpha · TCKD + beta · NCKD)``.

    TCKD is the temperature-scaled KL between the teacher's and the student's binary
    (target vs. all non-target classes) distributions; NCKD the KL between their distributions
    among the non-target classes (see :func:`dkd_loss`). Defaults are mdistiller's CIFAR-100 ones:
    ``tau = 4``, ``alpha = 1``, ``beta = 8`` (mdistiller tunes β per pair: 2, 6 or 8;
    mdistiller configs/cifar100/dkd/*.yaml), CE weight 1 (set on the classification loss, not here).

    Warm-up: mdistiller multiplies the DKD term by ``w = min(e / warmup_epochs, 1)`` where ``e``
    is its **1-indexed** epoch (``w = 1/20`` in the first epoch). :meth:`set_epoch` takes mmkd's
    **0-indexed** epoch (``runner.epoch``, as :class:`mmkd.engine.DistillationEpochHook` passes it
    through the distiller before every training epoch, resumes included), so
    ``w = min((epoch + 1) / warmup_epochs, 1)``. Until the first call the factor is that of the
    first epoch. ``warmup_epochs=0`` or ``None`` disables the warm-up (``w = 1``).

    Args:
        tau: temperature T.
        alpha: weight of TCKD.
        beta: weight of NCKD.
        warmup_epochs: length of the linear warm-up, in epochs.
        loss_weight: extra multiplier (1 in mdistiller).
    """

    source = 'logits'

    def __init__(self,
                 tau: float = 4.0,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 warmup_epochs: Optional[int] = 20,
                 loss_weight: float = 1.0):
        super().__init__()
        self.tau = tau
        self.alpha = alpha
        self.beta = beta
        self.warmup_epochs = warmup_epochs
        self.loss_weight = loss_weight
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Set the current **0-indexed** training epoch (mmengine's ``runner.epoch``)."""
        self.epoch = epoch

    @property
    def warmup_factor(self) -> float:
        """``min((epoch + 1) / warmup_epochs, 1)``: mdistiller's ``min(epoch / 20, 1)`` with its
        1-indexed epoch."""
        if not self.warmup_epochs:
            return 1.0
        return min((self.epoch + 1) / self.warmup_epochs, 1.0)

    def forward(self, s_logits: torch.Tensor, t_logits: torch.Tensor,
                labels: torch.Tensor) -> torch.Tensor:
        loss = dkd_loss(s_logits, t_logits, labels, self.alpha, self.beta, self.tau)
        return self.loss_weight * self.warmup_factor * loss
