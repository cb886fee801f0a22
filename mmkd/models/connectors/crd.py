"""CRD connector: the two embedding heads and the momentum memory bank ("ContrastMemory").

Reference: RepDistiller/SemCKD crd/criterion.py ``Embed``,
crd/memory.py ``ContrastMemory``. Written device-agnostic (the reference calls ``.cuda()``).
"""
import contextlib
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmkd.registry import MODELS


def _fp32_region(t: torch.Tensor):
    """A context where autocast is off, so the math below runs in float32."""
    try:
        return torch.autocast(device_type=t.device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know
        return contextlib.nullcontext()


def _flat_dim(shape: Union[int, Sequence[int], torch.Size]) -> int:
    if isinstance(shape, int):
        return shape
    return int(math.prod(int(s) for s in shape))


class CRDEmbed(nn.Module):
    """``Linear(dim_in -> dim_out)`` (with bias) followed by per-row L2 normalisation."""

    def __init__(self, dim_in: int, dim_out: int = 128):
        super().__init__()
        self.linear = nn.Linear(dim_in, dim_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.linear(x.reshape(x.shape[0], -1))
        return F.normalize(x, p=2, dim=1)


@MODELS.register_module()
class CRDConnector(nn.Module):
    """Embedding heads + contrast memory of CRD (RepDistiller crd/criterion.py, crd/memory.py).

    ``forward(s, t, sample_idx, contrast_idx)`` takes the pooled student/teacher embeddings
    (``source='emb'``, ``(B, Cs)``/``(B, Ct)``), the dataset indices of the batch ``(B,)`` and the
    contrast indices ``(B, K+1)`` (column 0 = positive, from
    :class:`mmkd.datasets.CRDInstanceSampleDataset`) and returns ``(out_s, out_t)``, both
    ``(B, K+1)``, for :class:`mmkd.models.losses.CRDLoss`:

    * ``v_s = embed_s(s)``, ``v_t = embed_t(t)`` (Linear + L2 norm, 128-d);
    * ``out_s[b,k] = exp(<memory_t[contrast_idx[b,k]], v_s[b]> / nce_t) / z_s`` (student
      anchor, **teacher** bank) and
      ``out_t[b,k] = exp(<memory_s[contrast_idx[b,k]], v_t[b]> / nce_t) / z_t`` (teacher anchor,
      **student** bank). Memory rows are constants (no gradient);
    * ``z_s``/``z_t`` start at -1; on the first call each is set to ``mean(exp-scores) * n_data``
      of that batch and stays frozen afterwards (reference quirk, RepDistiller issue #5);
    * after scoring, without gradient, rows ``sample_idx`` of the banks are updated:
      ``memory_s <- normalize(nce_m * memory_s + (1 - nce_m) * v_s)`` and likewise
      ``memory_t`` with ``v_t``.

    The reference's ``memory_v1``/``memory_v2`` are ``memory_s``/``memory_t`` here. All state
    (banks, Z) is in registered buffers, so it is saved in checkpoints and a resumed run continues
    exactly. Banks are initialised uniform in ``[-1/sqrt(feat_dim/3), 1/sqrt(feat_dim/3)]`` with
    torch's global RNG (seedable); if ``contrast_idx`` is ``None`` the indices are drawn uniformly
    over the whole bank with torch's global RNG (the reference's AliasMethod with uniform weights),
    column 0 set to ``sample_idx``.

    The math runs in float32 with autocast disabled (the bank is float32; bf16/fp16 inputs are
    upcast). Call it in training only: every call updates the bank.

    Note: under DistributedDataParallel with ``broadcast_buffers=True`` (the default) rank 0's
    buffers overwrite the others' at every forward, so updates made on other ranks are lost.
    The reference recipe is single-GPU.

    Args:
        s_shape, t_shape: shapes of the student/teacher embeddings without the batch dim
            (``(C,)``), filled in by the distiller.
        n_data (int): number of training samples = rows of each bank. Required.
        feat_dim (int): embedding size, 128.
        nce_k (int): number of negatives K, 16384. ``contrast_idx`` must have K+1 columns.
        nce_t (float): temperature, 0.07.
        nce_m (float): memory momentum, 0.5.
    """

    def __init__(self,
                 s_shape,
                 t_shape,
                 n_data: int,
                 feat_dim: int = 128,
                 nce_k: int = 16384,
                 nce_t: float = 0.07,
                 nce_m: float = 0.5):
        super().__init__()
        if n_data is None or int(n_data) <= 0:
            raise ValueError('CRDConnector needs n_data, the number of training samples (the '
                             'memory bank has one row per sample), e.g. n_data=50000 for '
                             f'CIFAR-100; got {n_data}')
        self.n_data = int(n_data)
        self.feat_dim = int(feat_dim)
        self.nce_k = int(nce_k)
        self.nce_t = float(nce_t)
        self.nce_m = float(nce_m)
        self.embed_s = CRDEmbed(_flat_dim(s_shape), self.feat_dim)
        self.embed_t = CRDEmbed(_flat_dim(t_shape), self.feat_dim)

        stdv = 1.0 / math.sqrt(self.feat_dim / 3)
        self.register_buffer('memory_s', torch.rand(self.n_data, self.feat_dim) * (2 * stdv) - stdv)
        self.register_buffer('memory_t', torch.rand(self.n_data, self.feat_dim) * (2 * stdv) - stdv)
        self.register_buffer('z_s', torch.tensor(-1.0))
        self.register_buffer('z_t', torch.tensor(-1.0))

    def extra_repr(self) -> str:
        return (f'n_data={self.n_data}, feat_dim={self.feat_dim}, nce_k={self.nce_k}, '
                f'nce_t={self.nce_t}, nce_m={self.nce_m}')

    def draw_contrast_idx(self, sample_idx: torch.Tensor) -> torch.Tensor:
        """Uniform indices over the bank, ``(B, K+1)``, with column 0 = ``sample_idx``."""
        bsz = sample_idx.numel()
        idx = torch.randint(0, self.n_data, (bsz, self.nce_k + 1), device=self.memory_s.device)
        idx[:, 0] = sample_idx.view(-1).to(idx.device)
        return idx

    def _scores(self, memory: torch.Tensor, contrast_idx: torch.Tensor,
                v: torch.Tensor) -> torch.Tensor:
        bsz, kp1 = contrast_idx.shape
        rows = memory.index_select(0, contrast_idx.reshape(-1)).view(bsz, kp1, self.feat_dim)
        return torch.exp(torch.bmm(rows, v.unsqueeze(2)).squeeze(2) / self.nce_t)

    @torch.no_grad()
    def _update(self, memory: torch.Tensor, idx: torch.Tensor, v: torch.Tensor) -> None:
        rows = memory.index_select(0, idx) * self.nce_m + v.detach() * (1.0 - self.nce_m)
        memory.index_copy_(0, idx, F.normalize(rows, p=2, dim=1))

    def forward(self,
                s: torch.Tensor,
                t: torch.Tensor,
                sample_idx: torch.Tensor,
                contrast_idx: Optional[torch.Tensor] = None):
        device = self.memory_s.device
        if sample_idx is None:
            raise ValueError('CRDConnector needs `sample_idx` (dataset indices of the batch): '
                             'wrap the train dataset in CRDInstanceSampleDataset.')
        sample_idx = torch.as_tensor(sample_idx, device=device).long().view(-1)
        if contrast_idx is None:
            contrast_idx = self.draw_contrast_idx(sample_idx)
        else:
            contrast_idx = torch.as_tensor(contrast_idx, device=device).long()
        bsz = s.shape[0]
        if contrast_idx.shape != (bsz, self.nce_k + 1):
            raise ValueError(
                f'CRDConnector expects contrast_idx of shape (B, nce_k+1) = ({bsz}, '
                f'{self.nce_k + 1}), got {tuple(contrast_idx.shape)}: the dataset wrapper '
                '(CRDInstanceSampleDataset nce_k) and the connector (nce_k) must use the same K.')
        if sample_idx.numel() != bsz:
            raise ValueError(f'sample_idx has {sample_idx.numel()} entries for a batch of {bsz}')

        with _fp32_region(s):
            v_s = self.embed_s(s.float())
            v_t = self.embed_t(t.detach().float())
            out_s = self._scores(self.memory_t, contrast_idx, v_s)  # student anchor, teacher bank
            out_t = self._scores(self.memory_s, contrast_idx, v_t)  # teacher anchor, student bank

            with torch.no_grad():
                if self.z_s.item() < 0:
                    self.z_s.fill_(out_s.mean().item() * self.n_data)
                if self.z_t.item() < 0:
                    self.z_t.fill_(out_t.mean().item() * self.n_data)
            out_s = out_s / self.z_s.item()
            out_t = out_t / self.z_t.item()

            self._update(self.memory_s, sample_idx, v_s)
            self._update(self.memory_t, sample_idx, v_t)
        return out_s, out_t
