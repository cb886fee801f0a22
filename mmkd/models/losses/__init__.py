"""Distillation losses: a registered ``nn.Module`` per method and its functional form."""
from .ab import ABLoss, ab_loss
from .at import ATLoss, at_loss
from .cc import CCLoss, cc_loss
from .crd import CRDLoss, crd_nce_loss
from .dkd import DKDLoss, dkd_loss
from .ffsd import (FFSDAttentionLoss, FFSDDiversityLoss, FFSDKDLoss, FFSDMutualLoss,
                   FFSDReconstructionLoss)
from .fitnet import FitNetLoss, fitnet_loss
from .fsp import FSPLoss, fsp_loss
from .ft import FTLoss, FTReconstructionLoss, ft_loss, ft_reconstruction_loss
from .hkd import HKDLoss, hkd_loss
from .irg import IRGLoss, irg_loss
from .kd import KDLoss, kd_loss
from .kdsvd import KDSVDLoss, kdsvd_loss
from .nst import NSTLoss, nst_loss
from .pkt import PKTLoss, pkt_loss
from .rkd import RKDLoss, rkd_loss
from .semckd import SemCKDLoss, semckd_loss
from .sp import SPLoss, sp_loss
from .tfkd import TfKDLabelSmoothingLoss, TfKDLoss, TfKDRegularizationLoss, tfkd_kd_loss
from .unixkd import UNIXMixupCELoss, UNIXSampleWiseSPLoss, mixup_ce_loss, sample_wise_sp_loss
from .vid import VIDLoss, vid_loss

__all__ = [
    'ABLoss', 'ab_loss', 'ATLoss', 'at_loss', 'CCLoss', 'cc_loss', 'CRDLoss', 'crd_nce_loss',
    'DKDLoss', 'dkd_loss', 'FitNetLoss', 'fitnet_loss', 'FSPLoss', 'fsp_loss', 'FTLoss',
    'FTReconstructionLoss', 'ft_loss', 'ft_reconstruction_loss', 'HKDLoss', 'hkd_loss', 'IRGLoss',
    'irg_loss', 'KDLoss', 'kd_loss', 'KDSVDLoss', 'kdsvd_loss', 'NSTLoss', 'nst_loss', 'PKTLoss',
    'pkt_loss', 'RKDLoss', 'rkd_loss', 'SemCKDLoss', 'semckd_loss', 'SPLoss', 'sp_loss',
    'TfKDLabelSmoothingLoss', 'TfKDLoss', 'TfKDRegularizationLoss', 'tfkd_kd_loss', 'VIDLoss',
    'vid_loss', 'FFSDAttentionLoss', 'FFSDDiversityLoss', 'FFSDKDLoss', 'FFSDMutualLoss',
    'FFSDReconstructionLoss', 'UNIXMixupCELoss', 'UNIXSampleWiseSPLoss', 'mixup_ce_loss',
    'sample_wise_sp_loss'
]
