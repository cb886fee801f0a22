"""FT's paraphraser (teacher side) and translator (student side) (RepDistiller models/util.py
``Paraphraser``, ``Translator``)."""
from typing import Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS
from .conv_reg import _chw


def _encoder(in_ch: int, out_ch: int, use_bn: bool) -> nn.Sequential:
    """conv3x3(in→in) → [BN] → LReLU(0.1) → conv3x3(in→out) → [BN] → LReLU → conv3x3(out→out)
    → [BN] → LReLU; all convs with bias. Without BN an ``Identity`` holds its place, so the
    parameter names (``0``, ``3``, ``6``) are the same either way (and as in RepDistiller)."""
    layers = []
    for cin, cout in ((in_ch, in_ch), (in_ch, out_ch), (out_ch, out_ch)):
        layers.append(nn.Conv2d(cin, cout, 3, 1, 1))
        layers.append(nn.BatchNorm2d(cout) if use_bn else nn.Identity())
        layers.append(nn.LeakyReLU(0.1, inplace=True))
    return nn.Sequential(*layers)


def _decoder(in_ch: int, out_ch: int, use_bn: bool) -> nn.Sequential:
    """The encoder mirrored with 3×3 transposed convs (stride 1, pad 1):
    out→out, out→in, in→in, each followed by [BN] and LReLU(0.1)."""
    layers = []
    for cin, cout in ((out_ch, out_ch), (out_ch, in_ch), (in_ch, in_ch)):
        layers.append(nn.ConvTranspose2d(cin, cout, 3, 1, 1))
        layers.append(nn.BatchNorm2d(cout) if use_bn else nn.Identity())
        layers.append(nn.LeakyReLU(0.1, inplace=True))
    return nn.Sequential(*layers)


class Paraphraser(nn.Module):
    """Auto-encoder on the teacher map: ``C_t → int(C_t·k)`` factors → ``C_t`` reconstruction."""

    def __init__(self, channels: int, k: float = 0.5, use_bn: bool = False):
        super().__init__()
        factor_ch = int(channels * k)
        self.encoder = _encoder(channels, factor_ch, use_bn)
        self.decoder = _decoder(channels, factor_ch, use_bn)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(t))


class Translator(nn.Module):
    """Encoder on the student map: ``C_s → int(C_t·k)`` factors (with BN)."""

    def __init__(self, s_channels: int, t_channels: int, k: float = 0.5, use_bn: bool = True):
        super().__init__()
        self.encoder = _encoder(s_channels, int(t_channels * k), use_bn)

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return self.encoder(s)


@MODELS.register_module()
class FTConnector(nn.Module):
    """Factor transfer's trainable parts: a paraphraser on the teacher's last stage map and a
    translator on the student's.

    Which parameters train when (RepDistiller ``--distill factor``, train_student.py,
    helper/pretrain.py):

    * **Init stage** (30 epochs): only ``paraphraser`` (encoder and decoder) trains, on the
      reconstruction MSE of :class:`mmkd.models.losses.FTReconstructionLoss`, which reads
      :meth:`reconstruct`. Student, teacher and ``translator`` are frozen. RepDistiller uses
      lr 0.01 for this stage when the student is a CIFAR ResNet/WRN, else the main lr.
    * **Main stage**: ``translator`` trains with the student on :class:`FTLoss`; the paraphraser
      is frozen. :meth:`forward` computes the teacher factors under ``torch.no_grad()``, so the
      paraphraser's parameters get no gradient (and hence no update or weight decay from SGD);
      a distiller should still leave them out of the main-stage optimizer.

    The paraphraser has no BN (``use_bn=False``), so its train/eval mode changes nothing.

    Two ways to wire the init stage:

    * call :meth:`reconstruct` explicitly and feed ``(reconstruct(t), t)`` to
      :class:`FTReconstructionLoss`;
    * or let the distiller call :meth:`set_stage` (``SingleTeacherDistiller`` does, before every
      epoch): in the ``'init'`` stage :meth:`forward` returns ``(reconstruct(t), t)``, in
      ``'main'`` (the default) the two factors. One ``FTLoss`` entry with ``stage='both'`` then
      drives both stages with a single, shared paraphraser (see :class:`FTLoss`).

    Args:
        s_shape: student last-stage map shape ``(C, H, W)``.
        t_shape: teacher last-stage map shape ``(C, H, W)``.
        k: paraphrase rate; factors have ``int(C_t·k)`` channels (0.5).
    """

    def __init__(self, s_shape, t_shape, k: float = 0.5):
        super().__init__()
        s_C = _chw(s_shape)[0]
        t_C = _chw(t_shape)[0]
        self.paraphraser = Paraphraser(t_C, k, use_bn=False)
        self.translator = Translator(s_C, t_C, k, use_bn=True)
        self.stage = 'main'

    def set_stage(self, stage: str) -> None:
        """``'init'``: :meth:`forward` gives the reconstruction; otherwise the factors."""
        self.stage = stage

    def reconstruct(self, t: torch.Tensor) -> torch.Tensor:
        """Paraphraser reconstruction of the teacher map (init stage; gradients reach the
        paraphraser)."""
        return self.paraphraser(t)

    def forward(self, s: torch.Tensor, t: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Main stage: ``(translator(s), paraphraser.encoder(t))``, the student and teacher
        factors. Init stage (after ``set_stage('init')``): ``(reconstruct(t), t)``."""
        if self.stage == 'init':
            return self.reconstruct(t), t
        with torch.no_grad():
            factor_t = self.paraphraser.encoder(t)
        return self.translator(s), factor_t
