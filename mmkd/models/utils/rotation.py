"""The 4-rotation self-supervised augmentation of HSAKD/HSSAKD as a batch operation on the device.

HSAKD train_*_cifar.py: the rotation runs on the batch **after** the per-sample transforms (crop,
flip, normalisation), so the four copies of an image share its crop and flip. Every image ``x_i``
becomes four rows ``rot90(x_i, r)`` for ``r = 0..3`` (counter-clockwise quarter turns in the (H, W)
plane),
stacked **sample-major**::

    [x0·r0, x0·r1, x0·r2, x0·r3, x1·r0, x1·r1, ...]

so the unrotated originals are the rows ``0::4`` (equivalently ``view(N, 4, ...)[:, 0]``). The joint
label of row ``4·i + r`` is ``k = 4·y_i + r`` in ``[0, 4·C)``: the logits ``4y .. 4y+3`` of a
joint-label head all belong to class ``y``.

Nothing here is HSAKD-specific: any method can call :func:`rotate_batch` inside its ``loss``.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

from mmkd.registry import MODELS

#: the number of rotations (0°, 90°, 180°, 270°)
NUM_ROTATIONS = 4


def rotate_batch(inputs: torch.Tensor,
                 labels: Optional[torch.Tensor] = None,
                 num_classes: Optional[int] = None) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """``[N, C, H, W]`` images → ``([4N, C, H, W]`` rotated images, ``[4N]`` joint labels``)``.

    Args:
        inputs: a batch of (already transformed and normalised) images; ``H`` must equal ``W``
            (a quarter turn of a non-square image changes its shape).
        labels: ``[N]`` class indices, or ``None`` (then the joint labels are ``None`` too).
        num_classes: ``C``; when given, labels outside ``[0, C)`` are an error.

    Returns:
        ``(x4, joint_labels)`` with ``x4[4i + r] = rot90(inputs[i], r, dims=(2, 3))`` and
        ``joint_labels[4i + r] = 4·labels[i] + r``.
    """
    if inputs.dim() != 4:
        raise ValueError(f'rotate_batch expects [N, C, H, W] images, got shape '
                         f'{tuple(inputs.shape)}')
    if inputs.shape[2] != inputs.shape[3]:
        raise ValueError(f'rotate_batch needs square images (a 90° turn swaps H and W), got '
                         f'{inputs.shape[2]}x{inputs.shape[3]}; crop the images square first.')
    x4 = torch.stack([torch.rot90(inputs, r, (2, 3)) for r in range(NUM_ROTATIONS)], 1)
    x4 = x4.reshape(-1, *inputs.shape[1:])
    if labels is None:
        return x4, None
    labels = labels.reshape(-1).long()
    if labels.numel() != inputs.shape[0]:
        raise ValueError(f'rotate_batch: {inputs.shape[0]} images but {labels.numel()} labels')
    if num_classes is not None and labels.numel() and (int(labels.min()) < 0
                                                       or int(labels.max()) >= num_classes):
        raise ValueError(f'rotate_batch: labels must lie in [0, {num_classes}), found '
                         f'[{int(labels.min())}, {int(labels.max())}]')
    offsets = torch.arange(NUM_ROTATIONS, device=labels.device, dtype=labels.dtype)
    joint = (labels[:, None] * NUM_ROTATIONS + offsets[None, :]).reshape(-1)
    return x4, joint


def unrotated_rows(rows: torch.Tensor) -> torch.Tensor:
    """The rows of the unrotated originals in a rotated batch: ``rows[0::4]``."""
    return rows[0::NUM_ROTATIONS]


def rotation_summed_class_logits(joint_logits: torch.Tensor) -> torch.Tensor:
    """``[B, 4C]`` joint-label logits → ``[B, C]`` by summing the raw logits of the 4 rotations of
    each class (the reference's monitoring-only "class accuracy" of an aux branch, HSAKD
    train_student_cifar.py)."""
    b, k = joint_logits.shape
    if k % NUM_ROTATIONS:
        raise ValueError(f'joint logits need a multiple of {NUM_ROTATIONS} columns, got {k}')
    return joint_logits.reshape(b, k // NUM_ROTATIONS, NUM_ROTATIONS).sum(-1)


@MODELS.register_module()
class RotationBatch(nn.Module):
    """Batch transform: the 4-rotation batch of HSAKD (winycg/HSAKD
    ``train_student_cifar.py``: ``torch.stack([torch.rot90(x, k, (2, 3)) for k in range(4)], 1)``).

    ``[N, C, H, W]`` → ``[4N, C, H, W]`` (sample-major: rows ``0::4`` are the originals). The data
    samples and the per-sample fields keep describing the N originals; the transform adds
    ``sample_rows`` (row ``4i`` for sample ``i``: what the student's head loss reads) and
    ``rotation_labels`` (``[4N]`` joint labels ``4y + r``, for a loss that asks for them).
    Labels outside the student's classes are an error. Logs nothing.
    """

    def forward(self, inputs: torch.Tensor, data_samples, fields: dict, student):
        labels = fields.get('labels')
        num_classes = getattr(student, 'num_classes', None) or getattr(
            getattr(student, 'head', None), 'num_classes', None)
        x4, joint = rotate_batch(inputs, labels, num_classes)
        fields = dict(fields)
        fields['sample_rows'] = torch.arange(0, x4.shape[0], NUM_ROTATIONS, device=inputs.device)
        if joint is not None:
            fields['rotation_labels'] = joint
        return x4, data_samples, fields, {}
