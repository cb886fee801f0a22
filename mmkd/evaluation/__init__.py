"""Metrics."""
from .ss_accuracy import RotationSSAccuracy

__all__ = [
    'RotationSSAccuracy'
]
