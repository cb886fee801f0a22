"""Loading checkpoints without executing code hidden in them.

Every checkpoint mmkd reads (``--resume``, ``load_from``, ``teacher_ckpt``, pretrained backbones,
``tools/test.py``, the converters) goes through :func:`safe_load`: ``torch.load(weights_only=True)``
with an allow-list of the few non-tensor types mmengine itself stores (its ``HistoryBuffer``, numpy
arrays, scalars and dtypes). A checkpoint that pickles anything else is refused with a
:class:`CheckpointError` that says how to convert a file the user trusts
(``tools/model_converters/trust_checkpoint.py``).

:func:`install_safe_loader` makes mmengine's ``CheckpointLoader`` use :func:`safe_load` for local
files. This also fixes mmengine 0.10.7 on torch >= 2.6, whose loader fails on its own checkpoints
(``weights_only`` rejects ``HistoryBuffer``), without patching mmengine itself.
"""
import os.path as osp
import pickle
import re
from typing import Any, List

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import CheckpointError

TRUST_TOOL = 'tools/model_converters/trust_checkpoint.py'


def _numpy_globals() -> List[Any]:
    items: List[Any] = [np.ndarray, np.dtype]
    for mod_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = __import__(mod_name, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        for name in ('_reconstruct', 'scalar'):
            fn = getattr(mod, name, None)
            if fn is not None:
                items.append((fn, f'{mod_name}.{name}'))
    for code in ('?', 'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'e', 'f', 'd', 'g', 'U',
                 'S', 'O'):
        items.append(type(np.dtype(code)))
    return items


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """Stands in for ``builtins.getattr`` while unpickling, for one use only.

    mmengine pickles a ``HistoryBuffer``'s statistics methods as ``getattr(HistoryBuffer, 'min')``
    and so on; any other ``getattr`` in a checkpoint is refused.
    """
    allowed = {'min', 'max', 'current', 'mean'} | set(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in allowed:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL builtins.getattr used on {type(obj).__name__}.{name} is not allowed')


#: the non-tensor types an mmengine checkpoint may contain
SAFE_GLOBALS: List[Any] = ([HistoryBuffer, (_history_buffer_getattr, 'builtins.getattr')] +
                           _numpy_globals())


def _unsupported_global(message: str) -> str:
    match = re.search(r'GLOBAL ([\w.]+)', message) or re.search(r'global[s]? [`\'"]?([\w.]+)',
                                                                  message)
    return match.group(1) if match else 'an object that is not tensor data'


def safe_load(path: str, map_location: Any = 'cpu') -> Any:
    """``torch.load`` a local checkpoint with ``weights_only=True`` and mmkd's allow-list."""
    if not osp.isfile(path):
        raise CheckpointError(f'Checkpoint {path} does not exist.')
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        name = _unsupported_global(str(e))
        raise CheckpointError(
            f'Refused to load {path}: it contains a pickled {name}, which is not on mmkd\'s '
            'allow-list of checkpoint contents (tensors, numbers, strings, containers, numpy '
            'arrays, mmengine HistoryBuffer). Unpickling it could run arbitrary code. If you '
            f'trust where the file comes from, convert it once with `python {TRUST_TOOL} '
            f'{path} OUT.pth --i-trust-this-file` and use OUT.pth.') from e
    except (RuntimeError, EOFError, OSError) as e:
        raise CheckpointError(f'Checkpoint {path} cannot be read ({e}); it is truncated or not a '
                              'PyTorch checkpoint.') from e


def _load_from_local_safe(filename: str, map_location: Any = None) -> Any:
    filename = osp.expanduser(filename)
    return safe_load(filename, map_location=map_location)


def install_safe_loader() -> None:
    """Route mmengine's local checkpoint loading through :func:`safe_load`."""
    CheckpointLoader.register_scheme(prefixes='', force=True)(_load_from_local_safe)
