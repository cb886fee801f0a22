"""Metrics."""
from .online_accuracy import OnlineNetworksAccuracy
from .peer_accuracy import PeerAccuracy
from .ss_accuracy import RotationSSAccuracy

__all__ = ['RotationSSAccuracy', 'OnlineNetworksAccuracy', 'PeerAccuracy']
