"""A ``ClsDataPreprocessor`` that pads, crops and flips the training batch on the device.

Pairs with :class:`mmkd.datasets.DrawCropFlip` (which draws each sample's offsets and flip in
the loader): ``out_b = flip_b(pad(x_b)[:, top_b:top_b+S, left_b:left_b+S])``, done for the whole
uint8 batch at once with one gather, then normalised as usual. ``padding_mode='constant'``
pads with 0 (mmcv's ``impad`` default, the RepDistiller/CRD recipe); ``'reflect'`` mirrors
without repeating the edge (FFSD's reflect-padded crop). Validation batches (no ``crop_offset``)
pass through untouched.

With ``device_data=True`` (``--device-data``, :mod:`mmkd.datasets.device_data`) the training
batch carries no pixels: the images are gathered by ``sample_idx`` from the training set held as
one uint8 tensor on the device (:meth:`set_image_store`, called by ``DeviceDataHook``).

Image lists of one shape (``pseudo_collate``; the CIFAR configs' ``default_collate`` stacks them
in the loader already) are stacked before normalising, so the
normalisation is one batched op instead of one per image (the same arithmetic, the same values).
"""
import torch
import torch.nn.functional as F
from mmpretrain.models.utils import ClsDataPreprocessor

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError


def crop_flip(images: torch.Tensor,
              tops: torch.Tensor,
              lefts: torch.Tensor,
              flips: torch.Tensor,
              size: int,
              padding: int,
              mode: str = 'constant'):
    """Batched pad + per-sample crop + per-sample horizontal flip of ``images`` (B, C, H, W)."""
    if padding:
        if mode == 'constant':
            images = F.pad(images, [padding] * 4)
        else:  # reflect needs a float tensor in torch; uint8 values survive the round trip
            images = F.pad(images.float(), [padding] * 4, mode=mode).to(images.dtype)
    device = images.device
    steps = torch.arange(size, device=device)
    rows = (tops.to(device)[:, None] + steps)[:, None, :, None]  # B, 1, S, 1
    cols = (lefts.to(device)[:, None] + steps)[:, None, None, :]  # B, 1, 1, S
    cols = torch.where(flips.to(device)[:, None, None, None], cols.flip(-1), cols)
    batch = torch.arange(images.shape[0], device=device)[:, None, None, None]
    channels = torch.arange(images.shape[1], device=device)[None, :, None, None]
    return images[batch, channels, rows, cols]


@MODELS.register_module()
class BatchAugmentClsDataPreprocessor(ClsDataPreprocessor):
    """``ClsDataPreprocessor`` + the batched crop/flip of samples that carry ``crop_offset``.

    Args:
        crop_size, padding: as in the dataset's :class:`DrawCropFlip`.
        padding_mode: ``'constant'`` (0) or ``'reflect'``.
        channels_last: hand the model ``channels_last`` inputs (pair with a ``channels_last``
            model: ``custom_hooks=[dict(type='ChannelsLastHook')]``).
        device_data: training images come from the device-held training set (see the module
            docstring), not from the batch.
        **kwargs: ``ClsDataPreprocessor``'s (mean, std, num_classes, to_rgb, ...).
    """

    def __init__(self,
                 crop_size: int = 32,
                 padding: int = 4,
                 padding_mode: str = 'constant',
                 channels_last: bool = False,
                 device_data: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if padding_mode not in ('constant', 'reflect'):
            raise ValueError(f"padding_mode must be 'constant' or 'reflect', got {padding_mode!r}")
        self.crop_size, self.padding, self.padding_mode = crop_size, padding, padding_mode
        self.channels_last = channels_last
        self.device_data = bool(device_data)
        self._images = None  # [N, C, H, W] uint8 view of the device-held training set

    def set_image_store(self, images: torch.Tensor) -> None:
        """The training set as one ``[N, H, W, C]`` uint8 tensor (index = ``sample_idx``)."""
        self._images = images.to(self.device).permute(0, 3, 1, 2)

    def _stored_images(self, samples) -> torch.Tensor:
        if self._images is None:
            raise ConfigError(
                'BatchAugmentClsDataPreprocessor(device_data=True) has no device-held images; '
                "add custom_hooks=[dict(type='DeviceDataHook')] (tools/train.py --device-data "
                'does).')
        index = torch.tensor([int(s.sample_idx) for s in samples], device=self._images.device)
        return self._images.index_select(0, index)

    def forward(self, data: dict, training: bool = False) -> dict:
        samples = data.get('data_samples')
        inputs = data.get('inputs')
        if isinstance(inputs, (list, tuple)) and inputs and all(
                isinstance(x, torch.Tensor) and x.shape == inputs[0].shape for x in inputs):
            data = dict(data, inputs=torch.stack(list(inputs)))  # one batched normalisation
        if training and samples and 'crop_offset' in samples[0]:
            data = self.cast_data(data)
            if self.device_data:
                inputs = self._stored_images(samples)
            else:
                inputs = data['inputs']
            offsets = torch.tensor([s.crop_offset for s in samples])
            flips = torch.tensor([bool(s.flip) for s in samples])
            data = dict(
                data,
                inputs=crop_flip(inputs, offsets[:, 0], offsets[:, 1], flips, self.crop_size,
                                 self.padding, self.padding_mode))
        out = super().forward(data, training)
        if self.channels_last:
            out['inputs'] = out['inputs'].contiguous(memory_format=torch.channels_last)
        return out
