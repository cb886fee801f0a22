"""Tiny-ImageNet (200 classes, 64×64 JPEGs) in its official folder format, plus a tiny writer.

Layout (``data_root`` holds ``tiny-imagenet-200/``, or is that folder itself)::

    tiny-imagenet-200/
        wnids.txt                          # the 200 WordNet ids (one a line)
        words.txt                          # wnid<TAB>names (optional; used for class names)
        train/<wnid>/images/<wnid>_<i>.JPEG    (500 per class; <wnid>_boxes.txt is ignored)
        val/images/val_<i>.JPEG + val/val_annotations.txt     # official: 10,000 images
      or, after tools/dataset_converters/reorganize_tiny_imagenet_val.py (the reference's
      data/preprocess_tinyimagenet.py):
        val/<wnid>/val_<i>.JPEG  (+ val_original/ = the official folder)

Both val layouts give the same samples in the same order. Labels follow torchvision's
``ImageFolder`` on ``train/`` (what HSAKD's ``eval_rep.py`` uses): class ``i`` is the ``i``-th wnid
in sorted order; samples are ordered by class, then by file name. Items carry ``img_path`` and
``gt_label``, so a pipeline starts with ``LoadImageFromFile`` (BGR; set ``to_rgb=True`` in the data
preprocessor). Images are 64×64; resize in the pipeline for another resolution.

A missing dataset is downloaded by rank 0 (237 MB zip, md5-checked, extracted safely), or the
message names the folder and the archive. Structural checks: the class folders, ``wnids.txt``
agreeing with them, the expected class count, every class having images, every val annotation
naming a known class and an existing file.
"""
import os
import os.path as osp
import shutil
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset

from mmkd.registry import DATASETS
from mmkd.utils.errors import DatasetError
from .archive import ensure_extracted, run_on_rank0

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')
VAL_ANNOTATIONS = 'val_annotations.txt'


def _list_images(folder: str) -> List[str]:
    """Image files below ``folder``, recursively, in ``ImageFolder`` order."""
    found = []
    for root, _, names in sorted(os.walk(folder, followlinks=True)):
        for name in sorted(names):
            if name.lower().endswith(IMG_EXTENSIONS):
                found.append(osp.join(root, name))
    return found


def read_val_annotations(path: str) -> List[Tuple[str, str]]:
    """``[(file name, wnid), ...]`` from ``val_annotations.txt`` (tab separated)."""
    pairs = []
    with open(path, encoding='utf-8') as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            parts = line.rstrip('\n').split('\t')
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise DatasetError(f'{path}:{lineno}: expected "<file>\\t<wnid>\\t...", got '
                                   f'{line.strip()!r}; the file is corrupted.')
            name, wnid = parts[0].strip(), parts[1].strip()
            if osp.basename(name) != name or name in ('.', '..'):
                raise DatasetError(f'{path}:{lineno}: file name {name!r} is not a plain name; '
                                   'the file is corrupted or unsafe.')
            pairs.append((name, wnid))
    return pairs


@DATASETS.register_module()
class TinyImageNet(BaseDataset):
    """Tiny-ImageNet-200 from ``<data_root>/tiny-imagenet-200`` (or ``data_root`` itself).

    Args:
        data_root: folder that holds (or will hold) ``tiny-imagenet-200``; a folder that already
            has ``train/`` and ``val/`` is used directly.
        split: ``'train'`` (100,000 images) or ``'val'`` (10,000 images; official or
            re-organised layout).
        num_classes: expected number of classes (``None``: no check).
        download: download the archive when the dataset is missing.
    """

    base_folder = 'tiny-imagenet-200'
    url = 'http://cs231n.stanford.edu/tiny-imagenet-200.zip'
    filename = 'tiny-imagenet-200.zip'
    zip_md5 = '90528d7ca1a48142e341f4ef8d21d0de'

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 num_classes: Optional[int] = 200,
                 metainfo: Optional[dict] = None,
                 download: bool = True,
                 test_mode: bool = False,
                 **kwargs):
        if split not in ('train', 'val'):
            raise DatasetError(f"TinyImageNet: split must be 'train' or 'val', got {split!r} "
                               '(the official test split has no labels)')
        if not data_root:
            raise DatasetError('TinyImageNet: set data_root to the dataset folder, e.g. '
                               'data/tiny_imagenet (holding tiny-imagenet-200/)')
        self.split = split
        self.expected_classes = num_classes
        self.download = download
        super().__init__(
            ann_file='', metainfo=metainfo, data_root=data_root, test_mode=test_mode, **kwargs)

    # ------------------------------------------------------------------ files
    @property
    def folder(self) -> str:
        nested = osp.join(self.data_root, self.base_folder)
        if not osp.isdir(nested) and osp.isdir(osp.join(self.data_root, 'train')):
            return self.data_root
        return nested

    def missing_parts(self) -> List[str]:
        return [n for n in ('train', 'val') if not osp.isdir(osp.join(self.folder, n))]

    def _missing_message(self, missing: Sequence[str]) -> str:
        return (f'TinyImageNet not found: {self.folder} lacks {", ".join(missing)}/. Put the '
                f'archive {self.filename} (from {self.url}) into {self.data_root}/ (it is '
                'extracted on first use), or unzip it there yourself so that '
                f'{osp.join(self.data_root, self.base_folder, "train")} exists.')

    def _prepare(self) -> None:
        ensure_extracted(
            self.missing_parts,
            self._missing_message,
            self.data_root,
            self.filename,
            self.url,
            self.zip_md5,
            self.download,
            timeout=120.0)

    # ------------------------------------------------------------------- load
    def classes_from_train(self) -> List[str]:
        train = osp.join(self.folder, 'train')
        wnids = sorted(d for d in os.listdir(train) if osp.isdir(osp.join(train, d)))
        if not wnids:
            raise DatasetError(f'{train} has no class folders; the dataset is incomplete.')
        listed = osp.join(self.folder, 'wnids.txt')
        if osp.isfile(listed):
            with open(listed, encoding='utf-8') as f:
                names = sorted(line.strip() for line in f if line.strip())
            if names != wnids:
                extra = sorted(set(names) - set(wnids))[:5]
                raise DatasetError(
                    f'{listed} lists {len(names)} classes but {train} has {len(wnids)} class '
                    f'folders (missing folders e.g. {extra}); the extraction is incomplete. '
                    'Delete the folder and extract the archive again.')
        if self.expected_classes is not None and len(wnids) != self.expected_classes:
            raise DatasetError(f'{train} has {len(wnids)} class folders, expected '
                               f'{self.expected_classes}; the extraction is incomplete (or set '
                               'num_classes=None for a subset).')
        return wnids

    def _class_names(self, wnids: List[str]) -> Tuple[str, ...]:
        words = osp.join(self.folder, 'words.txt')
        if not osp.isfile(words):
            return tuple(wnids)
        table: Dict[str, str] = {}
        with open(words, encoding='utf-8') as f:
            for line in f:
                parts = line.rstrip('\n').split('\t', 1)
                if len(parts) == 2:
                    table[parts[0]] = parts[1].split(',')[0].strip()
        return tuple(table.get(w, w) for w in wnids)

    def _train_samples(self, wnids: List[str]) -> List[Tuple[str, int]]:
        samples = []
        for label, wnid in enumerate(wnids):
            files = _list_images(osp.join(self.folder, 'train', wnid))
            if not files:
                raise DatasetError(f'{osp.join(self.folder, "train", wnid)} holds no images; '
                                   'the dataset is incomplete.')
            samples += [(p, label) for p in files]
        return samples

    def _val_samples(self, wnids: List[str]) -> List[Tuple[str, int]]:
        val = osp.join(self.folder, 'val')
        index = {w: i for i, w in enumerate(wnids)}
        ann = osp.join(val, VAL_ANNOTATIONS)
        if osp.isfile(ann) and osp.isdir(osp.join(val, 'images')):  # official layout
            pairs = read_val_annotations(ann)
            present = set(os.listdir(osp.join(val, 'images')))
            per_class: Dict[int, List[str]] = {}
            for name, wnid in pairs:
                if wnid not in index:
                    raise DatasetError(f'{ann}: class {wnid!r} (for {name}) is not one of the '
                                       f'{len(wnids)} training classes; wrong or corrupted file.')
                if name not in present:
                    raise DatasetError(f'{ann} names {name}, which is missing from '
                                       f'{osp.join(val, "images")}; the extraction is incomplete.')
                per_class.setdefault(index[wnid], []).append(osp.join(val, 'images', name))
            return [(p, c) for c in sorted(per_class) for p in sorted(per_class[c])]
        # re-organised layout: one folder per class
        folders = sorted(d for d in os.listdir(val) if osp.isdir(osp.join(val, d)))
        unknown = [d for d in folders if d not in index]
        if not folders or unknown:
            what = (f'unknown class folders {unknown[:5]}' if unknown else 'no class folders')
            raise DatasetError(
                f'{val} is neither the official layout (images/ + {VAL_ANNOTATIONS}) nor one '
                f'folder per training class ({what}). Re-extract the archive, or run python '
                f'tools/dataset_converters/reorganize_tiny_imagenet_val.py {self.folder}')
        samples = []
        for wnid in folders:
            samples += [(p, index[wnid]) for p in _list_images(osp.join(val, wnid))]
        return samples

    def load_data_list(self) -> List[dict]:
        run_on_rank0(self._prepare)
        if self.missing_parts():
            raise DatasetError(self._missing_message(self.missing_parts()))
        wnids = self.classes_from_train()
        self._metainfo.setdefault('classes', self._class_names(wnids))
        self._metainfo.setdefault('wnids', tuple(wnids))
        samples = (
            self._train_samples(wnids) if self.split == 'train' else self._val_samples(wnids))
        if not samples:
            raise DatasetError(f'{osp.join(self.folder, self.split)} holds no images.')
        return [{'img_path': p, 'gt_label': int(y)} for p, y in samples]


# ---------------------------------------------------------------------------- tiny writer
def write_tiny_imagenet(root: str,
                        num_classes: int = 200,
                        train_per_class: int = 2,
                        val_per_class: int = 1,
                        size: int = 64,
                        seed: int = 0,
                        reorganized: bool = False) -> str:
    """Write a tiny Tiny-ImageNet in the official folder format under ``root``.

    Class-dependent JPEGs (a per-class colour and a bright square placed by class). The val set
    is written in the official layout (``val/images`` + ``val_annotations.txt``, file order
    shuffled), or, with ``reorganized=True``, as the re-organisation tool leaves it. Returns
    ``root/tiny-imagenet-200``.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder = osp.join(root, TinyImageNet.base_folder)
    wnids = [f'n{10000000 + 7919 * i:08d}' for i in range(num_classes)]
    order = list(rng.permutation(num_classes))  # wnids.txt is not sorted in the official file
    os.makedirs(folder, exist_ok=True)
    with open(osp.join(folder, 'wnids.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(wnids[i] + '\n' for i in order))
    with open(osp.join(folder, 'words.txt'), 'w', encoding='utf-8') as f:
        f.write(''.join(f'{w}\tthing {i}, object {i}\n' for i, w in enumerate(wnids)))
    colours = np.random.default_rng(97).integers(40, 216, size=(num_classes, 3))
    grid = int(np.ceil(np.sqrt(num_classes)))
    cell = max(size // grid, 4)

    def image(label: int) -> 'Image.Image':
        img = rng.normal(0, 18, size=(size, size, 3)) + colours[label]
        r, c = divmod(label, grid)
        r0, c0 = (r * cell) % (size - cell + 1), (c * cell) % (size - cell + 1)
        img[r0:r0 + cell, c0:c0 + cell] = 255 - colours[label]
        return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))

    for label, wnid in enumerate(wnids):
        img_dir = osp.join(folder, 'train', wnid, 'images')
        os.makedirs(img_dir, exist_ok=True)
        boxes = []
        for i in range(train_per_class):
            name = f'{wnid}_{i}.JPEG'
            image(label).save(osp.join(img_dir, name), quality=95)
            boxes.append(f'{name}\t0\t0\t{size - 1}\t{size - 1}\n')
        with open(osp.join(folder, 'train', wnid, f'{wnid}_boxes.txt'), 'w') as f:
            f.write(''.join(boxes))
    val_labels = np.repeat(np.arange(num_classes), val_per_class)
    rng.shuffle(val_labels)
    val = osp.join(folder, 'val')
    os.makedirs(osp.join(val, 'images'), exist_ok=True)
    lines = []
    for i, label in enumerate(val_labels):
        name = f'val_{i}.JPEG'
        image(int(label)).save(osp.join(val, 'images', name), quality=95)
        lines.append(f'{name}\t{wnids[label]}\t0\t0\t{size - 1}\t{size - 1}\n')
    with open(osp.join(val, VAL_ANNOTATIONS), 'w', encoding='utf-8') as f:
        f.write(''.join(lines))
    os.makedirs(osp.join(folder, 'test', 'images'), exist_ok=True)
    image(0).save(osp.join(folder, 'test', 'images', 'test_0.JPEG'), quality=95)
    if reorganized:
        reorganize_val(folder)
    return folder


# ---------------------------------------------------------------- val re-organisation
def _check_plain(name: str, what: str, where: str) -> None:
    if not name or osp.basename(name) != name or name in ('.', '..') or '\\' in name:
        raise DatasetError(f'{where}: {what} {name!r} is not a plain file/folder name; the '
                           'annotation file is corrupted or unsafe. Nothing was changed.')


def _build_class_folders(source: str, dst: str, link: bool) -> int:
    """Copy (or hard-link) ``source/images/*`` into ``dst/<wnid>/`` using the annotations."""
    ann = osp.join(source, VAL_ANNOTATIONS)
    pairs = read_val_annotations(ann)
    if not pairs:
        raise DatasetError(f'{ann} is empty; nothing to re-organise.')
    for name, wnid in pairs:
        _check_plain(name, 'file name', ann)
        _check_plain(wnid, 'class', ann)
        if not osp.isfile(osp.join(source, 'images', name)):
            raise DatasetError(f'{ann} names {name}, which is missing from '
                               f'{osp.join(source, "images")}; the extraction is incomplete. '
                               'Nothing was changed.')
    if osp.isdir(dst):  # left over from an interrupted run of this function
        shutil.rmtree(dst)
    for name, wnid in pairs:
        os.makedirs(osp.join(dst, wnid), exist_ok=True)
        src, out = osp.join(source, 'images', name), osp.join(dst, wnid, name)
        if link:
            os.link(src, out)
        else:
            shutil.copyfile(src, out)
    return len(pairs)


def reorganize_val(folder: str, link: bool = False) -> str:
    """Re-organise ``folder/val`` into one sub-folder per class, as HSAKD's
    ``data/preprocess_tinyimagenet.py`` does: the official ``val`` becomes ``val_original`` and a
    new ``val/<wnid>/<file>`` holds a copy of every image (``link=True``: hard links).

    Safe and idempotent: annotations are checked (plain names, every file present) before
    anything changes; the new folder is built under ``val.reorganizing`` and moved into place
    with two renames, so an interrupted run is completed by running again; an already
    re-organised folder is left alone. Returns a one-line report.
    """
    val, orig = osp.join(folder, 'val'), osp.join(folder, 'val_original')
    tmp = osp.join(folder, 'val.reorganizing')

    def official(path):
        return osp.isfile(osp.join(path, VAL_ANNOTATIONS)) and osp.isdir(osp.join(path, 'images'))

    if not osp.isdir(folder):
        raise DatasetError(f'{folder} does not exist; point at the tiny-imagenet-200 folder.')
    if osp.isdir(val) and official(val):
        if osp.exists(orig):
            raise DatasetError(f'{val} is in the official layout but {orig} already exists; '
                               f'move one of them away and run again. Nothing was changed.')
        n = _build_class_folders(val, tmp, link)
        os.rename(val, orig)
        os.rename(tmp, val)
        return f'{val}: {n} images re-organised into class folders; the original is in {orig}'
    if not osp.exists(val) and osp.isdir(orig) and official(orig):  # interrupted between renames
        n = _build_class_folders(orig, tmp, link)
        os.rename(tmp, val)
        return f'{val}: {n} images re-organised into class folders (run completed)'
    if osp.isdir(val) and osp.isdir(orig) and official(orig):
        expected = len(read_val_annotations(osp.join(orig, VAL_ANNOTATIONS)))
        found = len(_list_images(val))
        if found != expected:
            raise DatasetError(f'{val} holds {found} images but {orig} annotates {expected}; '
                               f'delete {val} and run again to rebuild it from {orig}.')
        return f'{val}: already re-organised ({found} images); nothing to do'
    raise DatasetError(f'{folder} has neither an official val/ (images/ + {VAL_ANNOTATIONS}) nor '
                       'val_original/; is this the tiny-imagenet-200 folder?')
