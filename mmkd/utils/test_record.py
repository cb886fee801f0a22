"""Where ``tools/test.py`` puts its results, and what it records with them.

The metrics of ``DIR/epoch_240.pth`` go to ``DIR/epoch_240.metrics.json`` (the checkpoint's own
folder, so two students of one architecture never overwrite each other's numbers), together with
the config, the checkpoint and the dataset they were measured on.
"""
import json
import os
import os.path as osp
import time

from .atomic import atomic_write_bytes
from .checkpoint import is_remote


def checkpoint_stem(checkpoint: str) -> str:
    name = osp.basename(checkpoint)
    return name[:-len('.pth')] if name.endswith('.pth') else osp.splitext(name)[0]


def default_test_work_dir(checkpoint: str) -> str:
    """``DIR/epoch_240.pth`` -> ``DIR/test_epoch_240`` (logs of the evaluation); a checkpoint
    given by URL or model-zoo name -> ``work_dirs/test_<name>``."""
    if is_remote(checkpoint):
        return osp.join('work_dirs', 'test_' + checkpoint_stem(checkpoint))
    return osp.join(osp.dirname(osp.abspath(checkpoint)), 'test_' + checkpoint_stem(checkpoint))


def metrics_path(checkpoint: str, work_dir: str) -> str:
    """``DIR/<stem>.metrics.json`` beside the checkpoint; in ``work_dir`` if DIR is read-only."""
    folder = osp.dirname(osp.abspath(checkpoint))
    if is_remote(checkpoint) or not os.access(folder, os.W_OK):
        folder = work_dir
    return osp.join(folder, checkpoint_stem(checkpoint) + '.metrics.json')


def dataset_record(dataloader_cfg, dataset=None) -> dict:
    """Type, data root and split of the evaluated dataset (unwrapping dataset wrappers) and the
    number of images in it (``len(dataset)`` of the built dataset when given)."""
    ds_cfg = dict(dataloader_cfg.get('dataset', {}) if dataloader_cfg else {})
    wrappers = []
    while 'dataset' in ds_cfg and isinstance(ds_cfg['dataset'], dict):
        wrappers.append(ds_cfg.get('type'))
        ds_cfg = dict(ds_cfg['dataset'])
    record = dict(
        type=ds_cfg.get('type'),
        data_root=ds_cfg.get('data_root'),
        split=ds_cfg.get('split', 'test' if ds_cfg.get('test_mode') else None))
    if wrappers:
        record['wrappers'] = wrappers
    if dataset is not None:
        record['num_images'] = len(dataset)
    return record


def write_test_record(path: str, metrics: dict, config: str, checkpoint: str, dataset: dict) -> str:
    """Write the JSON record (atomically) and return its path."""
    record = dict(
        metrics={
            k: (float(v) if isinstance(v, (int, float)) else v)
            for k, v in metrics.items()
        },
        config=osp.abspath(config),
        dataset=dataset,
        checkpoint=checkpoint if is_remote(checkpoint) else osp.abspath(checkpoint),
        time=time.strftime('%Y-%m-%dT%H:%M:%S%z'))
    atomic_write_bytes((json.dumps(record, indent=2, default=str) + '\n').encode(), path)
    return path
