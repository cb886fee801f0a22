"""CRD: contrastive representation distillation (Tian et al., ICLR-20), the NCE loss part.

Reference: RepDistiller/SemCKD crd/criterion.py ``ContrastLoss``.

The trainable embeddings and the momentum memory bank live in
:class:`mmkd.models.connectors.crd.CRDConnector`; the connector turns the two pooled embeddings
(``source='emb'``) into the normalised contrast scores ``(out_s, out_t)`` that this loss reads.
"""
import contextlib
from typing import Optional

import torch
import torch.nn as nn

from mmkd.registry import MODELS

#: Constant added to the denominators of Eq. 18 (the reference's ``eps``).
CRD_EPS = 1e-7


def _fp32_region(t: torch.Tensor):
    """A context where autocast is off, so the math below runs in float32."""
    try:
        return torch.autocast(device_type=t.device.type, enabled=False)
    except (RuntimeError, ValueError):  # a device type autocast does not know
        return contextlib.nullcontext()


def crd_nce_loss(x: torch.Tensor, n_data: int) -> torch.Tensor:
    """NCE loss of CRD ("Eq. 18" of the CRD paper; RepDistiller crd/criterion.py ``ContrastLoss``).

    ``x`` is ``(B, K+1)``: column 0 holds the (Z-normalised) score of the positive pair, columns
    1..K the scores of the K negatives. With noise probability ``Pn = 1/n_data`` and
    ``eps = 1e-7``::

        log D1[b]   = log( x[b,0] / (x[b,0] + K*Pn + eps) )
        log D0[b,k] = log( K*Pn   / (x[b,k] + K*Pn + eps) )        k >= 1
        L = -( sum_b log D1[b] + sum_{b,k} log D0[b,k] ) / B

    Computed in float32.
    """
    if x.dim() != 2 or x.size(1) < 2:
        raise ValueError(f'crd_nce_loss expects scores of shape (B, K+1) with K >= 1, '
                         f'got {tuple(x.shape)}')
    if n_data is None or n_data <= 0:
        raise ValueError(f'crd_nce_loss needs the dataset size n_data > 0, got {n_data}')
    with _fp32_region(x):
        x = x.float()
        bsz = x.size(0)
        k = x.size(1) - 1
        k_pn = k / float(n_data)
        pos = x[:, 0]
        neg = x[:, 1:]
        log_d1 = torch.log(pos / (pos + k_pn + CRD_EPS))
        log_d0 = torch.log(k_pn / (neg + k_pn + CRD_EPS))
        return -(log_d1.sum() + log_d0.sum()) / bsz


@MODELS.register_module()
class CRDLoss(nn.Module):
    """CRD loss ``loss_weight * (L_nce(out_s) + L_nce(out_t))`` (RepDistiller crd/criterion.py
    ``CRDLoss``).

    Attach :class:`~mmkd.models.connectors.crd.CRDConnector` to it: the connector reads the pooled
    embeddings (``source='emb'``) plus the batch's ``sample_idx``/``contrast_idx`` and returns
    ``(out_s, out_t)``, the student-anchored and teacher-anchored scores, which are passed here.

    Args:
        n_data (int, optional): number of training samples (size of the memory bank); the noise
            probability is ``1/n_data``. Must equal the connector's ``n_data``. If ``None`` it must
            be given to :meth:`forward` or set as ``loss.n_data`` before the first call (a
            distiller can copy ``connector.n_data``).
        loss_weight (float): β; 0.8 in both reference repos.
    """
    source = 'emb'

    def __init__(self, n_data: Optional[int] = None, loss_weight: float = 0.8):
        super().__init__()
        self.n_data = n_data
        self.loss_weight = loss_weight

    def forward(self,
                out_s: torch.Tensor,
                out_t: torch.Tensor,
                n_data: Optional[int] = None) -> torch.Tensor:
        n = n_data if n_data is not None else self.n_data
        if n is None:
            raise ValueError('CRDLoss does not know the dataset size: set `n_data` in the loss '
                             'config to the same value as the CRDConnector\'s n_data (the number '
                             'of training samples, e.g. 50000 for CIFAR-100).')
        return self.loss_weight * (crd_nce_loss(out_s, n) + crd_nce_loss(out_t, n))

    def extra_repr(self) -> str:
        return f'n_data={self.n_data}, loss_weight={self.loss_weight}'
