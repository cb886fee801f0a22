"""FitNet hint loss (Romero et al., ICLR 2015), RepDistiller/SemCKD distiller_zoo/FitNet.py,
models/util.py ConvReg."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def fitnet_loss(s_feat: torch.Tensor, t_feat: torch.Tensor) -> torch.Tensor:
    """Mean squared error over all elements between the (regressed) student map and the teacher
    map, which must have the same shape."""
    if s_feat.shape != t_feat.shape:
        raise ValueError(
            f'FitNet: student hint {tuple(s_feat.shape)} and teacher hint {tuple(t_feat.shape)} '
            'differ in shape; attach a connector (e.g. ConvRegConnector) to the loss')
    return F.mse_loss(s_feat.float(), t_feat.float())


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """FitNet: ``L = loss_weight · mean((r(F_s) − F_t)²)`` on the hint layer ``feat[k]``.

    ``r`` is the trainable :class:`mmkd.models.connectors.ConvRegConnector` (conv + BN + ReLU),
    attached in the config; it also aligns the spatial size (models/util.py ``ConvReg``). Single
    stage: there is no hint pre-training in either reference.

    Default ``source = 2`` (the layer2 output for CIFAR ResNets) is RepDistiller's
    ``--hint_layer``; SemCKD's default is 1 (RepDistiller/SemCKD train_student.py ``--hint_layer``).
    β = 100 in both.

    Args:
        loss_weight: β (100).
    """

    source = 2

    def __init__(self, loss_weight: float = 100.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * fitnet_loss(s_feats, t_feats)
