"""CC's linear embeddings (``LinearEmbed``), RepDistiller/SemCKD distiller_zoo/CC.py."""
from typing import Sequence, Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS


def _dim(shape) -> int:
    """Flattened width of one sample given its shape (an int, ``(C,)``, ``(C, H, W)``)."""
    if isinstance(shape, int):
        return shape
    n = 1
    for s in shape:
        n *= int(s)
    return n


@MODELS.register_module()
class LinearEmbedConnector(nn.Module):
    """One ``Linear(dim → dim_out)`` (with bias, no normalisation) per side.

    Both embeddings are trainable, the teacher's included (RepDistiller puts ``embed_t`` in the
    trainable list); the teacher *features* stay detached. Inputs are flattened per sample.

    ``forward(s, t)`` returns ``(embed_s(s), embed_t(t))``, each ``(B, dim_out)``.

    Args:
        s_shape: student per-sample shape, e.g. ``(C,)`` of the pooled embedding.
        t_shape: teacher per-sample shape.
        dim_out: embedding width (``--feat_dim`` = 128).
    """

    def __init__(self, s_shape: Sequence[int], t_shape: Sequence[int], dim_out: int = 128):
        super().__init__()
        self.embed_s = nn.Linear(_dim(s_shape), dim_out)
        self.embed_t = nn.Linear(_dim(t_shape), dim_out)

    def forward(self, s: torch.Tensor, t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.embed_s(s.flatten(1)), self.embed_t(t.flatten(1))
