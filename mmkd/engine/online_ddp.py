"""Distributed wrapping of online distillers: every trained part on its own DDP.

mmengine's ``MMSeparateDistributedDataParallel`` wraps each direct child that has trainable
parameters in its own ``MMDistributedDataParallel``; an online distiller
(:class:`~mmkd.models.distillers.online_base.BaseOnlineDistiller`) keeps each part as a direct
child and calls it through its ``__call__``, so every part's gradients are all-reduced by its own
wrapper when that part's optimizer steps. :class:`CPUSyncSeparateDistributedDataParallel` is the
same for CPU/gloo runs with ``sync_bn`` set: BatchNorm statistics of every part are synchronised
over the process group first (:mod:`mmkd.engine.cpu_sync_bn`), so N processes with batch B train
what one process trains with batch N·B.
"""
import torch.nn as nn
from mmengine.model import MMSeparateDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS as ROOT_MODEL_WRAPPERS

from mmkd.registry import MODEL_WRAPPERS
from .cpu_sync_bn import convert_cpu_sync_batchnorm


@MODEL_WRAPPERS.register_module()
class CPUSyncSeparateDistributedDataParallel(MMSeparateDistributedDataParallel):
    """``MMSeparateDistributedDataParallel`` whose parts' BatchNorms are synchronised (gloo)."""

    def __init__(self, module: nn.Module, **kwargs):
        super().__init__(module=convert_cpu_sync_batchnorm(module), **kwargs)


#: the wrapper types that wrap an online distiller's parts separately
SEPARATE_WRAPPERS = ('MMSeparateDistributedDataParallel', 'CPUSyncSeparateDistributedDataParallel')

ROOT_MODEL_WRAPPERS.register_module(module=CPUSyncSeparateDistributedDataParallel, force=True)
