"""Checks of what the runner built, before the first iteration: data that cannot train, and weights
that cannot be evaluated. Each problem is one :class:`~mmkd.utils.errors.MMKDUserError`.

The tools register :class:`InputChecksHook` on every runner (:func:`mmkd.utils.cli.build_runner`):

* a split with no samples; a batch size with ``drop_last=True`` that leaves 0 iterations per
  epoch (mmengine would "train" without a single step and exit 0);
* labels that are not integers (strings, fractions) or that the model cannot predict (a label
  ``≥ num_classes`` of the classifier head: cross-entropy fails mid-epoch or, on GPU, corrupts);
* ``tools/test.py``: a checkpoint whose weights hold NaN/inf (every prediction would be garbage and
  the accuracy 0.00 with exit 0).
"""
from typing import Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from .errors import CheckpointError, ConfigError, DatasetError


def _core(model):
    return model.module if is_model_wrapper(model) else model


def model_num_classes(model) -> Optional[int]:
    """Classes the trained/evaluated classifier predicts (the student's, for a distiller)."""
    model = _core(model)
    net = getattr(model, 'student', model)
    head = getattr(net, 'head', None)
    n = getattr(head, 'num_classes', None)
    return n if isinstance(n, int) else None


def _dataset_name(dataset) -> str:
    root = getattr(dataset, 'data_root', None) or getattr(
        getattr(dataset, 'dataset', None), 'data_root', None)
    return type(dataset).__name__ + (f' at {root}' if root else '')


def dataset_labels(dataset) -> Optional[np.ndarray]:
    """All labels of a dataset (wrappers: of the wrapped one), or ``None`` when it has none."""
    for candidate in (dataset, getattr(dataset, 'dataset', None)):
        if candidate is not None and hasattr(candidate, 'get_gt_labels'):
            try:
                labels = candidate.get_gt_labels()
            except Exception:  # a dataset without per-sample labels: nothing to check
                return None
            return np.asarray(labels)
    return None


def check_labels(labels: np.ndarray, num_classes: Optional[int], where: str) -> None:
    if labels is None or labels.size == 0:
        return
    if labels.dtype.kind not in 'iub':
        if labels.dtype.kind == 'f' and np.all(np.isfinite(labels)) \
                and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            bad = next((v for v in labels.reshape(-1)
                        if not (isinstance(v, (int, np.integer)) or
                                (isinstance(v, (float, np.floating)) and float(v).is_integer()))),
                       labels.reshape(-1)[0])
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise DatasetError(f'{where}: labels must be integer class indices, found {bad!r} '
                               f'({labels.dtype}). Map each class to 0..num_classes-1 in the '
                               'annotation files.')
    low, high = int(labels.min()), int(labels.max())
    if low < 0:
        raise DatasetError(f'{where}: labels must be class indices ≥ 0, found {low}.')
    if num_classes is not None and high >= num_classes:
        raise ConfigError(
            f'{where} has labels up to {high} ({high + 1} classes) but the model predicts '
            f'{num_classes} classes (head.num_classes={num_classes}). Set num_classes to at least '
            f'{high + 1} (for a distiller: in the student and teacher configs), or use the dataset '
            'the model was made for.')


def empty_split_message(dataset) -> str:
    split = getattr(dataset, 'split', None)
    return (f'{_dataset_name(dataset)}{f" (split {split!r})" if split else ""}: the split is '
            'empty (0 samples). Check data_root, split and the annotation/index files.')


def explain_empty_dataset(error: BaseException) -> Optional[DatasetError]:
    """mmengine's ``BaseDataset`` cannot serialise an empty data list ("need at least one array to
    concatenate"): name the dataset instead (found in the failing frame)."""
    if 'need at least one array' not in str(error):
        return None
    tb = error.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == '_serialize_data' and 'self' in frame.f_locals:
            return DatasetError(empty_split_message(frame.f_locals['self']))
        tb = tb.tb_next
    return None


def check_loader(loader, name: str, num_classes: Optional[int]) -> None:
    dataset = loader.dataset
    where = f'{name} ({_dataset_name(dataset)})'
    if len(dataset) == 0:
        raise DatasetError(f'{name}: {empty_split_message(dataset)}')
    if len(loader) == 0:
        per_process = len(loader.sampler) if hasattr(loader, 'sampler') else len(dataset)
        raise ConfigError(
            f'{where}: batch_size={loader.batch_size} with drop_last=True and {per_process} '
            f'samples per process gives 0 iterations per epoch. Lower {name}.batch_size to at '
            f'most {per_process} or set {name}.drop_last=False.')
    check_labels(dataset_labels(dataset), num_classes, where)


def check_finite_weights(model, source: str) -> None:
    bad = [
        name
        for name, t in list(_core(model).named_parameters()) + list(_core(model).named_buffers())
        if t.is_floating_point() and not torch.isfinite(t).all()
    ]
    if bad:
        shown = ', '.join(bad[:5]) + (f' (+{len(bad) - 5} more)' if len(bad) > 5 else '')
        raise CheckpointError(
            f'{source} holds NaN/inf weights ({len(bad)} tensors: {shown}); its predictions '
            'would be meaningless. It was saved from a diverged run: evaluate an earlier '
            'checkpoint.')


class InputChecksHook(Hook):
    """Runs the checks of this module on the runner's data and weights (see the module doc)."""

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        if not isinstance(runner._train_loop, BaseLoop):  # testing: see before_test
            return
        n = model_num_classes(runner.model)
        check_loader(runner.train_dataloader, 'train_dataloader', n)
        if isinstance(runner._val_loop, BaseLoop):
            check_loader(runner.val_dataloader, 'val_dataloader', n)

    def before_test(self, runner) -> None:
        check_finite_weights(
            runner.model,
            f'The checkpoint {runner._load_from}' if runner._load_from else 'The model')
        check_loader(runner.test_dataloader, 'test_dataloader', model_num_classes(runner.model))
