"""Metrics."""
from .online_accuracy import OnlineNetworksAccuracy
from .ss_accuracy import RotationSSAccuracy

__all__ = [
    'RotationSSAccuracy', 'OnlineNetworksAccuracy'
]
