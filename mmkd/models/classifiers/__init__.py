"""Classifiers beyond mmpretrain's ``ImageClassifier``: HSAKD auxiliary branches, linear eval,
FFSD's classifier."""
from .aux_classifier import AuxBranchClassifier, AuxOutputs
from .ffsd_classifier import FFSDClassifier
from .hsakd_teacher import HSAKDTeacher
from .linear_eval import LinearEvalClassifier

__all__ = [
    'AuxBranchClassifier', 'AuxOutputs', 'FFSDClassifier', 'HSAKDTeacher', 'LinearEvalClassifier'
]
