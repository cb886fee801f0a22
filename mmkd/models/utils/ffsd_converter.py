"""Reading FFSD's released checkpoints (``--layout ffsd``).

SJLeo/FFSD ``CIFARTrainer.py:save_models`` writes ``{'weight': state_dict, 'epoch', 'cfg': model
name, 'index': '0' | '1' | 'fusion' | 'leader'}``: ``modelleader_best.pth`` (the student leader,
the published model), ``model{i}_best.pth`` / ``model{i}_{epoch}.pth`` (common students).
The state dict is the reference network's (``conv1``, ``layer*``, ``fc`` ... and, for the
leader, ``trans_fusion_module.*``): the plain part maps as every reference classifier does
(classifier layer → ``head.fc.*``, the rest → ``backbone.*``) and ``trans_fusion_module.*`` is
kept as it is (the attribute of :class:`~mmkd.models.classifiers.ffsd_classifier.FFSDClassifier`).
Converting a leader into a common-student config (no trans-fusion head) drops those keys.
"""
from collections import OrderedDict
from typing import Any, Dict, Mapping

import torch.nn as nn

from .reference_converter import (ReferenceLayout, map_classifier_keys, register_layout,
                                  strip_data_parallel)

TRANS_FUSION_PREFIX = 'trans_fusion_module.'


def map_ffsd_keys(state_dict: Mapping[str, Any], model: nn.Module) -> Dict[str, Any]:
    """FFSD ``weight`` state dict → mmkd keys of ``model`` (an FFSD leader or student)."""
    state_dict = strip_data_parallel(state_dict)
    plain = OrderedDict(
        (k, v) for k, v in state_dict.items() if not k.startswith(TRANS_FUSION_PREFIX))
    out = OrderedDict(map_classifier_keys(plain, model))
    if getattr(model, 'trans_fusion_module', None) is not None:
        out.update((k, v) for k, v in state_dict.items() if k.startswith(TRANS_FUSION_PREFIX))
    return out


register_layout(
    ReferenceLayout(
        name='ffsd',
        description="FFSD CIFARTrainer.py / ImageNetTrainer.py: {'weight': state_dict, 'epoch', "
        "'cfg', 'index'} (modelleader_best.pth into configs/_base_/models/ffsd/<arch>_leader.py, "
        'model<i>_best.pth into <arch>.py)',
        containers=('weight', ),
        map_keys=map_ffsd_keys,
        meta_keys=('epoch', 'cfg', 'index')))
