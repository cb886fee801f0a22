"""Turn a legacy checkpoint you trust into one mmkd's safe loader accepts.

    python tools/model_converters/trust_checkpoint.py SRC DST --i-trust-this-file

mmkd loads every checkpoint with ``torch.load(weights_only=True)`` and a short allow-list
(tensors, numbers, strings, containers, numpy arrays, mmengine's HistoryBuffer), because
unpickling anything else can run arbitrary code. Some reference checkpoints pickle other objects:
RepDistiller's ``*_last.pth`` stores its argparse ``opt``, older scripts store whole models.

This tool is the explicit opt-in: with ``--i-trust-this-file`` it loads SRC with
``torch.load(weights_only=False)`` -- which RUNS any code the file carries, so only do this for
a file whose origin you trust -- keeps only plain data (tensors, numbers, strings, None, dicts,
lists, tuples, numpy arrays, torch dtypes/sizes/devices, mmengine HistoryBuffer), prints what it
dropped, saves DST atomically and checks that DST passes the safe loader. Without the flag it does
not open the file at all; with it, a file that is not ``torch.save`` output (damaged, a plain
pickle, another format: see ``mmkd.utils.checkpoint.check_container``) is still refused unread.
"""
import argparse
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, List, Tuple

import numpy as np
import torch

from mmkd.utils.atomic import atomic_torch_save
from mmkd.utils.checkpoint import check_container, safe_load
from mmkd.utils.cli import user_errors_as_messages
from mmkd.utils.errors import CheckpointError

FLAG = '--i-trust-this-file'
_DROP = object()
#: types torch's weights_only unpickler rebuilds without running foreign code
_ATOMS = (bool, int, float, complex, str, bytes, type(None), torch.dtype, torch.device, torch.Size)


def _describe(obj: Any) -> str:
    cls = type(obj)
    return f'{cls.__module__}.{cls.__qualname__}'


def _key_ok(key: Any) -> bool:
    return type(key) in (str, int, float, bool, type(None)) or (type(key) is tuple
                                                                and all(_key_ok(k) for k in key))


def sanitize(obj: Any, path: str, dropped: List[str], changed: List[str]) -> Any:
    """A copy of ``obj`` holding only plain data.

    Removed objects are listed in ``dropped``; container/atom subclasses turned into their plain
    base type (``defaultdict`` → ``dict``, a namedtuple → ``tuple``, an ``IntEnum`` → ``int``)
    in ``changed``. A dropped list/tuple element becomes ``None`` so positions are kept.
    """
    cls = type(obj)
    if isinstance(obj, torch.Tensor):
        if cls in (torch.Tensor, torch.nn.Parameter):
            return obj
        changed.append(f'{path} ({_describe(obj)} -> torch.Tensor)')
        return obj.as_subclass(torch.Tensor)
    if cls in _ATOMS:
        return obj
    if isinstance(obj, np.ndarray) and cls is np.ndarray:
        if obj.dtype.hasobject:
            dropped.append(f'{path} (numpy array of Python objects)')
            return _DROP
        return obj
    if isinstance(obj, np.generic) and not isinstance(obj, np.object_):
        return obj
    if _is_history_buffer(obj):
        return obj
    if isinstance(obj, dict):
        plain = OrderedDict if isinstance(obj, OrderedDict) else dict
        if cls is not plain:
            changed.append(f'{path} ({_describe(obj)} -> {plain.__name__})')
        out = plain()
        for key, value in obj.items():
            sub = f'{path}[{key!r}]'
            if not _key_ok(key):
                dropped.append(f'{sub} (key of type {_describe(key)})')
                continue
            clean = sanitize(value, sub, dropped, changed)
            if clean is not _DROP:
                out[key] = clean
        return out
    for plain in (list, tuple, set):
        if isinstance(obj, plain):
            if cls is not plain:
                changed.append(f'{path} ({_describe(obj)} -> {plain.__name__})')
            items = []
            for i, value in enumerate(obj):
                clean = sanitize(value, f'{path}[{i}]', dropped, changed)
                if clean is _DROP and plain is set:
                    continue
                items.append(None if clean is _DROP else clean)
            return plain(items)
    for plain in (bool, int, float, complex, str, bytes):
        if isinstance(obj, plain):  # subclasses, e.g. enum members
            changed.append(f'{path} ({_describe(obj)} -> {plain.__name__})')
            return plain(obj)
    dropped.append(f'{path} ({_describe(obj)})')
    return _DROP


def _is_history_buffer(obj: Any) -> bool:
    try:
        from mmengine.logging.history_buffer import HistoryBuffer
    except ImportError:  # pragma: no cover
        return False
    return type(obj) is HistoryBuffer


def trust_checkpoint(src: str, dst: str) -> Tuple[List[str], List[str]]:
    """Load ``src`` with full unpickling, keep plain data, save to ``dst``; return
    ``(dropped, changed)`` (see :func:`sanitize`). Only call this for a file you trust."""
    if not osp.isfile(src):
        raise CheckpointError(f'Checkpoint {src} does not exist.')
    # a damaged file or something that is not torch.save output is never unpickled, even here
    check_container(src)
    try:
        checkpoint = torch.load(src, map_location='cpu', weights_only=False)
    except (ModuleNotFoundError, AttributeError) as e:
        raise CheckpointError(
            f'{src} pickles an object whose class cannot be imported here ({e}). Run this tool '
            'with the code that wrote the checkpoint on PYTHONPATH (e.g. the reference repo), '
            'so the object can be rebuilt and then dropped.') from e
    except Exception as e:  # truncated / not a torch file
        raise CheckpointError(f'{src} cannot be read ({type(e).__name__}: {e}).') from e
    dropped: List[str] = []
    changed: List[str] = []
    clean = sanitize(checkpoint, 'checkpoint', dropped, changed)
    if clean is _DROP:
        raise CheckpointError(
            f'{src} holds a single {_describe(checkpoint)} object, not a dict of weights: '
            'nothing would be left. If it is a whole pickled model, load it in the code that '
            'defines it and save model.state_dict() instead.')
    atomic_torch_save(clean, dst)
    try:
        safe_load(dst, check_structure=False)  # the point of the exercise: it loads safely
    except CheckpointError as e:
        os.remove(dst)
        raise CheckpointError(f'The plain-data copy of {src} is still refused by the safe loader '
                              f'({e}); it was removed. Please report this with the list of '
                              'types in the file.') from e
    return dropped, changed


def _count(items, one: str, many: str) -> str:
    return f'{len(items)} {one if len(items) == 1 else many}'


def parse_args():
    parser = argparse.ArgumentParser(
        description='Re-save a legacy checkpoint that mmkd\'s safe loader refuses, keeping only '
        'plain data. Loading SRC runs any code pickled in it: only for files you trust.')
    parser.add_argument('src', help='the checkpoint mmkd refused')
    parser.add_argument('dst', help='where to write the plain-data copy')
    parser.add_argument(
        FLAG,
        dest='trust',
        action='store_true',
        help='confirm that you trust SRC (required; it is fully unpickled)')
    return parser.parse_args()


def main():
    args = parse_args()
    with user_errors_as_messages():
        if not args.trust:
            raise CheckpointError(
                f'Not loading {args.src}: reading it needs full unpickling, which can run '
                'arbitrary code hidden in the file. If you trust where it comes from (e.g. you '
                'trained it yourself, or it is a reference teacher you downloaded from its '
                f'authors), re-run with {FLAG}. The copy written to {args.dst} then holds only '
                'tensors, numbers, strings, containers and numpy arrays.')
        if osp.abspath(args.src) == osp.abspath(args.dst):
            raise CheckpointError('DST must differ from SRC (keep the original file).')
        dropped, changed = trust_checkpoint(args.src, args.dst)
    if changed:
        print(f'Converted {_count(changed, "subclass", "subclasses")} of containers/values to '
              'their plain types:')
        for item in changed:
            print(f'  {item}')
    if dropped:
        print(f'Dropped {_count(dropped, "entry that is", "entries that are")} not plain data:')
        for item in dropped:
            print(f'  {item}')
    else:
        print('Nothing dropped.')
    print(f'Wrote {args.dst}; it loads with mmkd.utils.checkpoint.safe_load.')
    sys.stdout.flush()


if __name__ == '__main__':
    main()
