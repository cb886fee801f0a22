"""Necks."""
from .dropout_gap import GlobalAveragePoolingDropout

__all__ = ['GlobalAveragePoolingDropout']
