"""Factor transfer (Kim et al., NeurIPS 2018) as in RepDistiller
distiller_zoo/FT.py, models/util.py ``Paraphraser``/``Translator`` and helper/pretrain.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from .at import attention_map, pool_to_smaller


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def ft_loss(s_factor: torch.Tensor,
            t_factor: torch.Tensor,
            p1: int = 2,
            p2: int = 1) -> torch.Tensor:
    """``mean |φ(s) − φ(t)|^p2`` (``p2 = 1``: L1) with the AT-style
    ``φ(F) = L2normalize(flatten(mean_c F^p1))``, after pooling the larger map to the smaller."""
    s, t = pool_to_smaller(s_factor.float(), t_factor.float())
    diff = attention_map(s, p1) - attention_map(t, p1)
    if p2 == 1:
        return diff.abs().mean()
    return diff.pow(p2).mean()


@torch.autocast('cuda', enabled=False)
@torch.autocast('cpu', enabled=False)
def ft_reconstruction_loss(t_rec: torch.Tensor, t_feat: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the paraphraser's reconstruction and the teacher map."""
    return F.mse_loss(t_rec.float(), t_feat.float())


@MODELS.register_module()
class FTLoss(nn.Module):
    """Factor transfer: ``L = loss_weight · mean |φ(T(F_s)) − φ(P_enc(F_t))|``.

    ``T`` is the translator and ``P_enc`` the paraphraser's encoder of
    :class:`mmkd.models.connectors.FTConnector` (attach it), on the last stage map; ``φ`` is the
    code's AT-style factor ``L2normalize(flatten(mean_c F²))`` — not the paper's full factor
    vector — compared with L1 (``p1 = 2``, ``p2 = 1``). β = 200 (RepDistiller
    scripts/run_cifar_distill.sh).

    Stages (RepDistiller helper/pretrain.py): first an **init stage** (30 epochs) where only the
    connector's paraphraser trains, on the reconstruction MSE (unweighted in the reference); then
    the **main stage** where this loss trains the student and the translator while the paraphraser
    stays frozen (the connector computes the teacher factors without gradient).

    Wiring: either a separate :class:`FTReconstructionLoss` fed with the connector's
    :meth:`~mmkd.models.connectors.FTConnector.reconstruct`, or this loss alone with
    ``stage='both'``: the distiller's ``set_stage('init')`` makes the connector return
    ``(reconstruction, teacher map)`` and this loss return ``init_loss_weight · MSE`` of them;
    ``set_stage('main')`` (the default) restores the factor loss.

    Args:
        p1: power inside the factor.
        p2: power of the difference (1 = L1).
        loss_weight: β (200), main stage.
        init_loss_weight: weight of the reconstruction MSE in the init stage (1).
    """

    source = 'last_stage'

    def __init__(self,
                 p1: int = 2,
                 p2: int = 1,
                 loss_weight: float = 200.0,
                 init_loss_weight: float = 1.0):
        super().__init__()
        self.p1 = p1
        self.p2 = p2
        self.loss_weight = loss_weight
        self.init_loss_weight = init_loss_weight
        self.stage = 'main'

    def set_stage(self, stage: str) -> None:
        """``'init'``: reconstruction MSE; otherwise the factor loss."""
        self.stage = stage

    def forward(self, s_feats: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        if self.stage == 'init':
            # s_feats is the paraphraser's reconstruction of the teacher map t_feats
            return self.init_loss_weight * ft_reconstruction_loss(s_feats, t_feats)
        return self.loss_weight * ft_loss(s_feats, t_feats, self.p1, self.p2)


@MODELS.register_module()
class FTReconstructionLoss(nn.Module):
    """FT init stage: ``L = loss_weight · mean((P(F_t) − F_t)²)``, the paraphraser's
    reconstruction MSE on the teacher's last stage map (RepDistiller ``nn.MSELoss``, unweighted).

    Wiring: the distiller passes ``(connector.reconstruct(t), t)`` — the reconstruction from
    :meth:`mmkd.models.connectors.FTConnector.reconstruct` of the FT loss's connector and the
    (detached) teacher map. Only the paraphraser trains on it (the student is frozen in this
    stage; RepDistiller uses lr 0.01 for CIFAR ResNet/WRN students, else the main lr).

    Args:
        loss_weight: multiplier (1).
    """

    source = 'last_stage'
    init_stage_only = True
    connector_method = 'reconstruct'

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, t_rec: torch.Tensor, t_feats: torch.Tensor) -> torch.Tensor:
        return self.loss_weight * ft_reconstruction_loss(t_rec, t_feats)
