"""Data preprocessors (batch-level work on the training device)."""
from .batch_augment import BatchAugmentClsDataPreprocessor, crop_flip

__all__ = ['BatchAugmentClsDataPreprocessor', 'crop_flip']
