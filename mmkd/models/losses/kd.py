"""Vanilla knowledge distillation (Hinton et al., 2015) and mmkd's one KD formula.

:func:`kd_loss` is the temperature-scaled KL every KD term in mmkd computes: ``KDLoss``, the
HSAKD/HSSAKD final and per-branch terms (as ``KDLoss`` entries with ``T = 3``), Tf-KD's KD term
(``reduction='elementwise_mean'``, the reference's ``nn.KLDivLoss()`` scale) and UNIXKD's KD term.
Reference: RepDistiller ``distiller_zoo/KD.py`` (``DistillKL``).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS

KD_REDUCTIONS = ('batchmean', 'elementwise_mean')


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def kd_loss(s_logits: torch.Tensor,
            t_logits: torch.Tensor,
            tau: float = 4.0,
            reduction: str = 'batchmean') -> torch.Tensor:
    """``tau² · KL(softmax(t/tau) ‖ softmax(s/tau))``, summed over classes, averaged over the batch.

    Args:
        s_logits: student logits ``(B, K)``.
        t_logits: teacher logits ``(B, K)``.
        tau: temperature.
        reduction: ``'batchmean'`` (sum over classes and samples / B: the proper KL, RepDistiller's
            ``DistillKL``) or ``'elementwise_mean'`` (/ (B·K): torch ≤ 1.2's default
            ``nn.KLDivLoss()``, which Tf-KD's reference uses).
    """
    if reduction not in KD_REDUCTIONS:
        raise ValueError(f'reduction must be one of {KD_REDUCTIONS}, got {reduction!r}')
    s_logits, t_logits = s_logits.float(), t_logits.float()
    log_p_s = F.log_softmax(s_logits / tau, dim=1)
    p_t = F.softmax(t_logits / tau, dim=1)
    # 'batchmean': sum over classes and samples, divided by B
    kl = F.kl_div(log_p_s, p_t, reduction='batchmean')
    if reduction == 'elementwise_mean':
        kl = kl / s_logits.shape[1]
    return kl * tau**2


@MODELS.register_module()
class KDLoss(nn.Module):
    """Vanilla KD loss ``L = loss_weight · tau² · KL(p_t ‖ p_s)`` with ``p = softmax(z / tau)``.

    The KL is summed over the classes and averaged over the batch ("batchmean"), which is what
    RepDistiller/SemCKD's ``DistillKL`` computes (sum-reduced ``kl_div`` divided by B); see
    RepDistiller ``distiller_zoo/KD.py``. ``tau = 4`` is the reference ``--kd_T``.

    ``loss_weight`` is the reference α: 1 in SemCKD's convention (``-r 1 -a 1``), 0.9 for
    RepDistiller's KD row (``-r 0.1 -a 0.9``), RepDistiller/SemCKD helper/loops.py train_distill.

    Args:
        tau: temperature T.
        loss_weight: multiplier α applied to the returned loss.
    """

    source = 'logits'

    def __init__(self, tau: float = 4.0, loss_weight: float = 1.0):
        super().__init__()
        self.tau = tau
        self.loss_weight = loss_weight

    def forward(self, s_logits: torch.Tensor, t_logits: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * kd_loss(s_logits, t_logits, self.tau)
