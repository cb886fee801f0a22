"""Distillers: the models that train a student from a teacher (or peers)."""
from .base import BaseDistiller, NetworkOutputs
from .ffsd import FFSDDistiller
from .hsakd import HSAKDDistiller
from .online_base import BaseOnlineDistiller
from .online_hssakd import HSSAKDOnlineDistiller, PeerAccuracy
from .single_teacher import SingleTeacherDistiller
from .unixkd import UNIXKDDistiller
from .unixkd_transform import UNIXKDBatchTransform

__all__ = [
    'BaseDistiller', 'NetworkOutputs', 'HSAKDDistiller', 'HSSAKDOnlineDistiller', 'PeerAccuracy',
    'SingleTeacherDistiller', 'FFSDDistiller', 'BaseOnlineDistiller', 'UNIXKDDistiller',
    'UNIXKDBatchTransform'
]
