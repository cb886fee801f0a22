"""Distillers: the models that train a student from a teacher (or peers), and the services they
compose (feature access, loss wiring, weight schedules)."""
from .base import BaseDistiller, NetworkOutputs, merge_required_hooks
from .feature_access import ModuleRecorder, network_outputs
from .ffsd import FFSDDistiller
from .hsakd import HSAKDDistiller
from .loss_wiring import LossEntry, LossWiring
from .online_base import BaseOnlineDistiller
from .online_hssakd import HSSAKDOnlineDistiller, PeerAccuracy
from .single_teacher import SingleTeacherDistiller
from .unixkd import UNIXKDDistiller
from .unixkd_transform import UNIXKDBatchTransform
from .weight_schedules import WEIGHT_SCHEDULES, ExpRampUp, LinearWarmup, StepWeights, WeightSchedule

__all__ = [
    'BaseDistiller', 'NetworkOutputs', 'merge_required_hooks', 'ModuleRecorder', 'network_outputs',
    'FFSDDistiller', 'HSAKDDistiller', 'LossEntry', 'LossWiring', 'BaseOnlineDistiller',
    'HSSAKDOnlineDistiller', 'PeerAccuracy', 'SingleTeacherDistiller', 'UNIXKDDistiller',
    'UNIXKDBatchTransform', 'WEIGHT_SCHEDULES', 'ExpRampUp', 'LinearWarmup', 'StepWeights',
    'WeightSchedule'
]
