"""What the classification-dataset wrappers (CRD sampling, few-shot subsets) share."""
import copy

import numpy as np


class ClassificationDatasetWrapper:
    """Base of wrappers around a dataset with ``get_gt_labels()``: metainfo and label loading."""

    dataset = None

    @property
    def metainfo(self) -> dict:
        return copy.deepcopy(getattr(self.dataset, 'metainfo', {}))

    def wrapped_gt_labels(self) -> np.ndarray:
        """Fully initialise the wrapped dataset and return its labels as an int64 vector."""
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        labels = np.asarray(self.dataset.get_gt_labels()).astype(np.int64).reshape(-1)
        if len(labels) != len(self.dataset):
            raise ValueError(f'get_gt_labels() returned {len(labels)} labels for a dataset of '
                             f'{len(self.dataset)} items')
        return labels
