"""Heads: HSAKD's self-supervised auxiliary branches, one builder per architecture."""
from .ffsd_modules import FFSDDecoder, FFSDFusionModule, FFSDTransFusion
from .hsakd_branches import (AuxBranch, AuxBranches, MobileNetV2AuxBranches, ResNetCifarAuxBranches,
                             ResNetImageNetAuxBranches, ResNetV2CifarAuxBranches,
                             ShuffleV1AuxBranches, ShuffleV2AuxBranches, VGGAuxBranches,
                             WRNAuxBranches)

__all__ = [
    'AuxBranch', 'AuxBranches', 'MobileNetV2AuxBranches', 'ResNetCifarAuxBranches',
    'ResNetImageNetAuxBranches', 'ResNetV2CifarAuxBranches', 'ShuffleV1AuxBranches',
    'ShuffleV2AuxBranches', 'VGGAuxBranches', 'WRNAuxBranches', 'FFSDDecoder', 'FFSDFusionModule',
    'FFSDTransFusion'
]
