"""SemCKD's cross-layer self-attention connector (``SelfA`` in the reference).

Reference: SemCKD models/util.py ``SelfA``,
``MLPEmbed``, ``AAEmbed``.
"""
import contextlib
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


class SemCKDBatchSizeError(ConfigError, ValueError):
    """A batch whose size differs from the one SelfA's key/query MLPs were built for."""


def _fp32_region(t: torch.Tensor):
    """A context where autocast is off, so the math below runs in float32."""
    try:
        return torch.autocast(device_type=t.device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know
        return contextlib.nullcontext()


class SemCKDMLPEmbed(nn.Module):
    """``Linear(B -> 2*(B//factor)) -> ReLU -> Linear(-> B//factor) -> row L2 norm``; no BN."""

    def __init__(self, dim_in: int, dim_out: int):
        super().__init__()
        self.linear1 = nn.Linear(dim_in, 2 * dim_out)
        self.relu = nn.ReLU(inplace=True)
        self.linear2 = nn.Linear(2 * dim_out, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.linear1(x.reshape(x.shape[0], -1)))
        return F.normalize(self.linear2(x), p=2, dim=1)


class SemCKDRegressor(nn.Sequential):
    """``conv1x1(Cs->2Ct) BN ReLU conv3x3(2Ct->2Ct) BN ReLU conv1x1(2Ct->Ct)``, no bias, stride 1.

    The output is linear (no BN/ReLU after the last conv). The reference's ``AAEmbed``.
    """

    def __init__(self, in_channels: int, out_channels: int):
        mid = 2 * out_channels
        super().__init__(
            nn.Conv2d(in_channels, mid, kernel_size=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, mid, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(mid),
            nn.ReLU(inplace=True),
            nn.Conv2d(mid, out_channels, kernel_size=1, bias=False),
        )


def _shape_list(shapes, side: str) -> List[torch.Size]:
    if isinstance(shapes, torch.Size) or (isinstance(shapes, (list, tuple)) and shapes
                                          and isinstance(shapes[0], int)):
        shapes = [shapes]
    out = [torch.Size(s) for s in shapes]
    if not out:
        raise ValueError(f'SelfAttentionConnector needs at least one {side} feature map')
    for s in out:
        if len(s) != 3:
            raise ValueError(f'SelfAttentionConnector expects (C, H, W) {side} shapes '
                             f"(source='stages'), got {tuple(s)}")
    return out


@MODELS.register_module()
class SelfAttentionConnector(nn.Module):
    """SemCKD's ``SelfA``: per-instance attention of every student stage over the teacher stages.

    Built with ``s_shape``/``t_shape`` = lists of ``(C, H, W)`` (``source='stages'`` on both
    sides: S student maps, T teacher maps) and the **per-GPU training batch size** ``batch_size``.

    Modules (SemCKD models/util.py SelfA):

    * ``query_mlps[i]`` (one per student map) and ``key_mlps[j]`` (one per teacher map):
      ``Linear(B -> B/2) -> ReLU -> Linear(B/2 -> B/4) -> row L2 norm`` (``B/4 = batch_size //
      factor``), with biases and no BN. **Their input width is the batch size**: the input of
      sample b is row b of the batch Gram matrix. Hence every batch must have exactly
      ``batch_size`` samples (train loader with ``drop_last=True``), and a checkpoint only fits the
      batch size it was trained with.
    * ``regressors[i][j]`` (one per pair): 1x1-3x3-1x1 convs with BN+ReLU, ``Cs_i -> Ct_j``
      (the reference's ``regressor{i}{j}``).

    ``forward(s_list, t_list)`` (SemCKD models/util.py SelfA.forward) returns ``(proj_s, t_aligned,
    alpha)``:

    1. ``G = F F^T`` per map, ``F`` the map flattened to ``(B, C*H*W)`` (no normalisation).
    2. ``q_i = query_i(G_s_i)`` and ``k_j = key_j(G_t_j)``, each ``(B, B/4)`` with unit rows.
    3. ``alpha[b, i, :] = softmax_j(<q_i[b], k_j[b]>)``: ``(B, S, T)``, no scaling, no temperature.
    4. For every pair: if the student map is larger (``s_H > t_H``) it is adaptive-avg-pooled to
       the teacher's size and then regressed, the target is the teacher map; otherwise the student
       map is regressed at its own size and the target is the teacher map adaptive-avg-pooled to
       the student's size. ``proj_s[i][j]`` and ``t_aligned[i][j]`` are ``(B, Ct_j, h, w)``.

    Steps 1-3 run in float32 with autocast disabled (a batch Gram matrix of a large stage map can
    overflow fp16); the regressors follow the ambient autocast. Teacher maps are detached here as
    well, so no gradient reaches the teacher; ``alpha`` is returned with its graph (it is **not**
    detached: the loss trains the query and key MLPs and reaches the student through both paths).

    Spatial sizes are compared and pooled with (H, W); the reference uses H for both dimensions,
    which is the same for the square maps of every reference model.

    Args:
        s_shape (list): student map shapes ``(C, H, W)``.
        t_shape (list): teacher map shapes ``(C, H, W)``.
        batch_size (int): per-GPU training batch size B (64 on CIFAR, 32 on ImageNet-8-GPU).
        factor (int): MLP output width is ``batch_size // factor`` (4).
    """

    def __init__(self, s_shape: Sequence, t_shape: Sequence, batch_size: int, factor: int = 4):
        super().__init__()
        self.s_shapes = _shape_list(s_shape, 'student')
        self.t_shapes = _shape_list(t_shape, 'teacher')
        self.batch_size = int(batch_size)
        self.factor = int(factor)
        dim_out = self.batch_size // self.factor
        if dim_out < 1:
            raise ValueError(f'SelfAttentionConnector: batch_size // factor must be >= 1, got '
                             f'batch_size={batch_size}, factor={factor}')
        self.key_mlps = nn.ModuleList(
            SemCKDMLPEmbed(self.batch_size, dim_out) for _ in self.t_shapes)
        self.query_mlps = nn.ModuleList(
            SemCKDMLPEmbed(self.batch_size, dim_out) for _ in self.s_shapes)
        self.regressors = nn.ModuleList(
            nn.ModuleList(SemCKDRegressor(s[0], t[0]) for t in self.t_shapes)
            for s in self.s_shapes)

    def extra_repr(self) -> str:
        return (f'num_student_maps={len(self.s_shapes)}, num_teacher_maps={len(self.t_shapes)}, '
                f'batch_size={self.batch_size}, factor={self.factor}')

    def _check(self, s_list, t_list) -> int:
        if len(s_list) != len(self.s_shapes) or len(t_list) != len(self.t_shapes):
            raise ValueError(
                f'SelfAttentionConnector was built for {len(self.s_shapes)} student and '
                f'{len(self.t_shapes)} teacher maps, got {len(s_list)} and {len(t_list)}')
        sizes = {int(f.shape[0]) for f in list(s_list) + list(t_list)}
        if len(sizes) != 1:
            raise ValueError(f'SelfAttentionConnector: student and teacher maps have different '
                             f'batch sizes {sorted(sizes)}')
        bsz = sizes.pop()
        if bsz != self.batch_size:
            raise SemCKDBatchSizeError(
                f'SemCKD got a batch of {bsz} samples but its attention (SelfA) was built for '
                f'batch_size={self.batch_size}: the key/query MLPs read a row of the batch Gram '
                f'matrix, so their input width is the batch size and every training batch must '
                f'have exactly {self.batch_size} samples. Use drop_last=True in the train '
                f'dataloader with batch_size={self.batch_size} per GPU (or build the connector '
                f'with batch_size={bsz} if that is the intended per-GPU batch size).')
        return bsz

    def forward(self, s_list: Sequence[torch.Tensor], t_list: Sequence[torch.Tensor]):
        if isinstance(s_list, torch.Tensor):
            s_list = [s_list]
        if isinstance(t_list, torch.Tensor):
            t_list = [t_list]
        t_list = [t.detach() for t in t_list]
        bsz = self._check(s_list, t_list)

        with _fp32_region(s_list[0]):
            queries, keys = [], []
            for f, mlp in zip(s_list, self.query_mlps):
                x = f.float().reshape(bsz, -1)
                queries.append(mlp(x @ x.t()))
            for f, mlp in zip(t_list, self.key_mlps):
                x = f.float().reshape(bsz, -1)
                keys.append(mlp(x @ x.t()))
            q = torch.stack(queries, dim=1)  # (B, S, d)
            k = torch.stack(keys, dim=2)  # (B, d, T)
            alpha = F.softmax(torch.bmm(q, k), dim=-1)  # (B, S, T)

        proj_s, t_aligned = [], []
        for i, fs in enumerate(s_list):
            row_s, row_t = [], []
            for j, ft in enumerate(t_list):
                (s_h, s_w), (t_h, t_w) = fs.shape[2:], ft.shape[2:]
                reg = self.regressors[i][j]
                if s_h > t_h:
                    row_s.append(reg(F.adaptive_avg_pool2d(fs, (t_h, t_w))))
                    row_t.append(ft)
                else:
                    row_s.append(reg(fs))
                    row_t.append(F.adaptive_avg_pool2d(ft, (s_h, s_w)))
            proj_s.append(row_s)
            t_aligned.append(row_t)
        return proj_s, t_aligned, alpha
