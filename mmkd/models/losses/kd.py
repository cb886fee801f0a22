"""Vanilla knowledge distillation (Hinton et al., 2015).

Reference: RepDistiller/SemCKD distiller_zoo/KD.py ``DistillKL``.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def kd_loss(s_logits: torch.Tensor, t_logits: torch.Tensor, tau: float = 4.0) -> torch.Tensor:
    """``tau² · KL(softmax(t/tau) ‖ softmax(s/tau))``, summed over classes, averaged over the batch.

    Args:
        s_logits: student logits ``(B, K)``.
        t_logits: teacher logits ``(B, K)``.
        tau: temperature.
    """
    s_logits, t_logits = s_logits.float(), t_logits.float()
    log_p_s = F.log_softmax(s_logits / tau, dim=1)
    p_t = F.softmax(t_logits / tau, dim=1)
    # 'batchmean': sum over classes and samples, divided by B
    return F.kl_div(log_p_s, p_t, reduction='batchmean') * tau**2


@MODELS.register_module()
class KDLoss(nn.Module):
    """Vanilla KD loss ``L = loss_weight · tau² · KL(p_t ‖ p_s)`` with ``p = softmax(z / tau)``.

    The KL is summed over the classes and averaged over the batch ("batchmean"), which is what
    RepDistiller/SemCKD's ``DistillKL`` computes (sum-reduced ``kl_div`` divided by B); see
    RepDistiller/SemCKD distiller_zoo/KD.py DistillKL. ``tau = 4`` is the reference ``--kd_T``.

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
