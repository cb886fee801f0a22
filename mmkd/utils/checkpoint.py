"""Loading checkpoints without executing code hidden in them.

Every checkpoint mmkd reads (``--resume``, ``load_from``, ``teacher_ckpt``, pretrained backbones and
``init_cfg=dict(type='Pretrained')``, ``tools/test.py``, the converters) goes through
:func:`safe_load`:

1. *Where*: a local path is used as it is. ``http(s)://`` URLs and mmengine's model-zoo names
   (``torchvision://``, ``modelzoo://``, ``open-mmlab://``, ``openmmlab://``, ``mmcls://``) are
   resolved to a URL, downloaded into torch's hub cache (``$TORCH_HOME/hub/checkpoints``; a file
   already there is used offline) and checked against the SHA-256 prefix in their name when the
   name carries one (``name-<sha256 prefix>.pth``, torch.hub's convention). ``pavi://``, ``s3://``
   and ``petrel://`` are refused: copy such a file to a local path first.
2. *Container*: before anything is unpickled the file must look like ``torch.save`` output: a zip
   archive holding ``data.pkl`` whose members all pass their CRC-32 check, or the legacy format
   that starts with PyTorch's magic number. Anything else (random bytes, text, a plain pickle, a
   ``.npy`` file, a bit-flipped archive) is a :class:`CorruptCheckpointError`.
3. *Contents*: ``torch.load(weights_only=True)`` with an allow-list of the few non-tensor types
   mmengine itself stores (its ``HistoryBuffer``, numpy arrays, scalars and dtypes). A checkpoint
   that pickles an existing class or function outside it is an :class:`UnsafeCheckpointError`,
   which says how to convert a file the user trusts (``tools/model_converters/
   trust_checkpoint.py``).
4. *Structure*: the result must be a dict; its ``state_dict`` (or a bare state dict) must map
   names to tensors. A list, or a state dict holding strings, is a :class:`CorruptCheckpointError`.

:func:`install_safe_loader` registers these loaders for every scheme of mmengine's
``CheckpointLoader`` (``mmengine.runner.checkpoint``), so mmengine's own paths -- ``Runner.resume``,
``Runner.load_checkpoint``, ``PretrainedInit`` -- use them; it runs when this module is imported.
It also fixes mmengine 0.10.7 on torch >= 2.6, whose loader fails on its own checkpoints
(``weights_only`` rejects ``HistoryBuffer``), without patching mmengine itself.
"""
import difflib
import hashlib
import importlib.util
import os
import os.path as osp
import pickle
import re
import sys
import zipfile
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import urlparse

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import CheckpointError
from .safe_unpickle import UnsafePickleError, load_first_pickled_value

TRUST_TOOL = 'tools/model_converters/trust_checkpoint.py'

__all__ = [
    'CorruptCheckpointError', 'UnsafeCheckpointError', 'safe_load', 'check_container',
    'check_structure', 'is_remote', 'resolve_remote', 'fetch_remote', 'install_safe_loader',
    'SAFE_GLOBALS'
]


class CorruptCheckpointError(CheckpointError):
    """The file is not a usable PyTorch checkpoint: truncated, damaged, another file format, or a
    structure that is not a checkpoint (a list, a state dict holding strings). Nothing of it was
    unpickled beyond plain data; another checkpoint may be tried instead (``--resume auto``)."""


class UnsafeCheckpointError(CheckpointError):
    """A well-formed checkpoint that pickles a class or function outside mmkd's allow-list; it was
    not unpickled. Converting it needs the user's explicit trust (``trust_checkpoint.py``)."""


# --------------------------------------------------------------------------- allow-list
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
SAFE_GLOBALS: List[Any] = ([HistoryBuffer,
                            (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals())


# --------------------------------------------------------------------------- messages
def _corrupt(path: str, detail: str) -> CorruptCheckpointError:
    return CorruptCheckpointError(
        f'Checkpoint {path} is corrupt or not a PyTorch checkpoint ({detail}); nothing was '
        'loaded from it. Use an intact copy: the original file written by torch.save or '
        'mmengine (copy or download it again, or train it again).')


def _unsafe(path: str, name: str) -> UnsafeCheckpointError:
    return UnsafeCheckpointError(
        f'Refused to load {path}: it pickles {name}, which is not on mmkd\'s allow-list of '
        'checkpoint contents (tensors, numbers, strings, containers, numpy arrays, mmengine '
        'HistoryBuffer); unpickling it could run arbitrary code. If you trust where the file '
        f'comes from, convert it once with `python {TRUST_TOOL} {path} OUT.pth '
        '--i-trust-this-file` and use OUT.pth.')


_GLOBAL_RE = (re.compile(r'Unsupported global: GLOBAL ([^\s]+)'), re.compile(r'GLOBAL ([^\s]+)'))
_DOTTED = re.compile(r'[A-Za-z_]\w*(\.[A-Za-z_]\w*)+')


def _unsupported_global(message: str) -> Optional[str]:
    """The global torch's weights-only unpickler refused, if that is what ``message`` says."""
    for pattern in _GLOBAL_RE:
        match = pattern.search(message)
        if match:
            return match.group(1).rstrip('.,;:')
    return None


def _names_existing_global(name: str) -> bool:
    """Whether ``name`` could be a real ``module.attribute`` here -- without importing anything.

    A bit flip inside a pickled name (``torch._utils._rebuild_tensoq_v2``) gives a name that
    does not exist; a checkpoint that pickles e.g. ``argparse.Namespace`` names one that does.
    """
    if not _DOTTED.fullmatch(name):
        return False
    parts = name.split('.')
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get('.'.join(parts[:i]))
        if module is None:
            continue
        obj = module
        for j in range(i, len(parts)):
            if hasattr(obj, parts[j]):
                obj = getattr(obj, parts[j])
                continue
            # maybe a submodule not imported yet (finding it executes nothing: parent imported)
            prefix = '.'.join(parts[:j + 1])
            try:
                return j == i and importlib.util.find_spec(prefix) is not None
            except (ImportError, ValueError):
                return False
        return True
    try:
        return importlib.util.find_spec(parts[0]) is not None
    except (ImportError, ValueError):
        return False


def _first_bytes_description(head: bytes) -> str:
    if head.startswith(b'\x93NUMPY'):
        return 'a NumPy .npy file'
    if head.startswith(b'PK'):
        return 'an incomplete zip archive: the end of the file is missing'
    if not head:
        return 'an empty file'
    try:
        text = head.decode('utf-8')
    except UnicodeDecodeError:
        text = None
    if text is not None and all(c.isprintable() or c in '\n\r\t' for c in text):
        return 'a text file'
    return None


# --------------------------------------------------------------------------- checks
def check_container(path: str) -> str:
    """Check, without unpickling anything, that ``path`` is ``torch.save`` output.

    Returns ``'zip'`` or ``'legacy'``; raises :class:`CorruptCheckpointError` otherwise (or
    :class:`~mmkd.utils.errors.CheckpointError` when the file does not exist).
    """
    if not osp.isfile(path):
        raise CheckpointError(f'Checkpoint {path} does not exist.')
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                pickles = [n for n in names if n == 'data.pkl' or n.endswith('/data.pkl')]
                if not pickles:
                    shown = ', '.join(names[:3]) + (', ...' if len(names) > 3 else '')
                    raise _corrupt(path, f'a zip archive without data.pkl, holding {shown}')
                damaged = archive.testzip()
        except CorruptCheckpointError:
            raise
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
            raise _corrupt(path, f'a damaged zip archive: {e}') from e
        if damaged is not None:
            raise _corrupt(
                path, f'the archive member {damaged} fails its CRC-32 check: the file '
                'was damaged after it was written')
        return 'zip'
    with open(path, 'rb') as f:
        head = f.read(64)
        f.seek(0)
        described = _first_bytes_description(head)
        if described and not head.startswith(b'\x80'):
            raise _corrupt(path, described)
        try:
            magic = load_first_pickled_value(f)
        except UnsafePickleError as e:
            raise _corrupt(path, f'a plain pickle (of {e.qualname}), not torch.save output') from e
        except Exception as e:  # noqa: BLE001 - whatever garbage makes the unpickler raise
            raise _corrupt(path, described or f'not a pickle: {type(e).__name__}: {e}') from e
    if type(magic) is not int or magic != torch.serialization.MAGIC_NUMBER:
        raise _corrupt(path, f'a plain pickle of a {type(magic).__name__}, not torch.save output')
    return 'legacy'


def _is_state_dict_like(obj: dict) -> bool:
    return bool(obj) and all(isinstance(k, str) and '.' in k for k in obj)


def check_structure(checkpoint: Any, path: str) -> Any:
    """Raise :class:`CorruptCheckpointError` unless ``checkpoint`` is shaped like a checkpoint.

    Accepted: a dict with a ``state_dict`` dict of tensors (mmengine/mmkd), a bare state dict
    (``module.state_dict()``), or another dict without a ``state_dict`` key (reference-code
    checkpoints such as ``{'model': ..., 'epoch': ...}``, which the converters handle).
    """
    if not isinstance(checkpoint, dict):
        raise _corrupt(
            path, f'it holds a {type(checkpoint).__name__}, not a dict; a checkpoint '
            "is an mmengine checkpoint with 'state_dict' or a model's state_dict()")
    if 'state_dict' in checkpoint:
        state, where = checkpoint['state_dict'], "'state_dict'"
        if not isinstance(state, dict):
            raise _corrupt(
                path, f"its 'state_dict' is a {type(state).__name__}, not a dict of "
                'tensors')
    elif _is_state_dict_like(checkpoint):
        state, where = checkpoint, 'the state dict'
    else:
        return checkpoint
    bad = [
        (k, v) for k, v in state.items()
        if not isinstance(k, str) or not (isinstance(v, torch.Tensor) or k.endswith('_extra_state'))
    ]
    if bad:
        key, value = bad[0]
        raise _corrupt(
            path, f'{len(bad)} of the {len(state)} entries of {where} are not tensors, '
            f'e.g. {key!r} holds a {type(value).__name__}')
    return checkpoint


# --------------------------------------------------------------------------- remote files
#: schemes that are resolved, downloaded into the hub cache, verified and then loaded safely
REMOTE_PREFIXES = ('http://', 'https://', 'torchvision://', 'modelzoo://', 'open-mmlab://',
                   'openmmlab://', 'mmcls://')
#: mmengine's other schemes (regexes as mmengine registers them): refused
REFUSED_PREFIXES = ('pavi://', r'(\S+\:)?s3://', r'(\S+\:)?petrel://')
_HASH_IN_NAME = re.compile(r'-([a-f0-9]{8,64})\.[A-Za-z0-9]+$')


def is_remote(path: Any) -> bool:
    """Whether ``path`` names a scheme other than a local file (handled or refused)."""
    return isinstance(path, str) and (path.startswith(REMOTE_PREFIXES)
                                      or any(re.match(p, path) for p in REFUSED_PREFIXES))


def _zoo_lookup(table: dict, name: str, scheme: str) -> str:
    if name in table:
        return table[name]
    close = difflib.get_close_matches(name, list(table), n=5, cutoff=0.6)
    hint = f' Did you mean: {", ".join(scheme + c for c in close)}?' if close else ''
    raise CheckpointError(f'{scheme}{name} is not a known checkpoint name of mmengine\'s model '
                          f'zoo.{hint}')


def resolve_remote(path: str) -> Tuple[str, Optional[Callable], bool]:
    """``(url or local file, post-processing, from a model zoo)`` for a remote ``path``."""
    from mmengine.runner import checkpoint as mm
    for refused in REFUSED_PREFIXES:
        if re.match(refused, path):
            raise CheckpointError(
                f'{path}: mmkd does not load checkpoints from pavi/s3/petrel storage (it cannot '
                'verify them before unpickling). Copy the file to a local path and use that.')
    if path.startswith(('http://', 'https://')):
        return path, None, False
    if path.startswith(('torchvision://', 'modelzoo://')):
        scheme = path[:path.index('://') + 3]
        return _zoo_lookup(mm.get_torchvision_models(), path[len(scheme):], scheme), None, True
    if path.startswith(('open-mmlab://', 'openmmlab://')):
        scheme = path[:path.index('://') + 3]
        name = path[len(scheme):]
        name = mm.get_deprecated_model_names().get(name, name)
        target = _zoo_lookup(mm.get_external_models(), name, scheme)
        if not target.startswith(('http://', 'https://')):
            return osp.join(mm._get_mmengine_home(), target), None, True
        return target, None, True
    if path.startswith('mmcls://'):
        url = _zoo_lookup(mm.get_mmcls_models(), path[len('mmcls://'):], 'mmcls://')
        return url, mm._process_mmcls_checkpoint, True
    raise CheckpointError(f'{path}: unsupported checkpoint scheme.')  # pragma: no cover


def hub_cache_path(url: str) -> str:
    """Where torch.hub (and mmkd) keep the download of ``url``."""
    name = osp.basename(urlparse(url).path)
    if not name:
        raise CheckpointError(f'{url} does not end in a file name; give the URL of the .pth file.')
    return osp.join(torch.hub.get_dir(), 'checkpoints', name)


def _expected_hash(url: str, from_zoo: bool) -> Optional[str]:
    match = _HASH_IN_NAME.search(osp.basename(urlparse(url).path))
    if match is None:
        return None
    digest = match.group(1)
    # a user's URL may end in a date (``-20210831.pth``): only hex with a letter counts as a hash
    return digest if from_zoo or not digest.isdigit() else None


def _sha256(path: str) -> str:
    sha = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            sha.update(block)
    return sha.hexdigest()


def _download(url: str, cached: str, expected: Optional[str]) -> None:
    if osp.isfile(cached):
        return
    os.makedirs(osp.dirname(cached), exist_ok=True)
    try:
        # torch writes a temporary file next to ``cached`` and moves it there only when complete
        # (and, with a hash, only when it matches)
        torch.hub.download_url_to_file(url, cached, expected, progress=False)
    except Exception as e:  # noqa: BLE001 - offline, HTTP error, hash mismatch
        raise CheckpointError(
            f'Could not download {url} ({type(e).__name__}: {e}). Download it yourself to '
            f'{cached} (it is then verified and used offline), or give a local path.') from e


def fetch_remote(path: str) -> Tuple[str, Optional[Callable]]:
    """Download (or find in the hub cache) the file ``path`` names and verify it.

    Returns ``(local file, post-processing of the loaded checkpoint or None)``. In a distributed
    run rank 0 downloads first and the other ranks then find the file (or download it themselves
    when the cache is not shared).
    """
    target, post, from_zoo = resolve_remote(path)
    if not target.startswith(('http://', 'https://')):
        return target, post  # a file of mmengine's home named by open-mmlab://
    cached = hub_cache_path(target)
    expected = _expected_hash(target, from_zoo)
    from mmengine.dist import barrier, get_dist_info
    rank, world_size = get_dist_info()
    if rank == 0:
        _download(target, cached, expected)
    if world_size > 1:
        barrier()
        if rank > 0:
            _download(target, cached, expected)
    if expected is not None:
        actual = _sha256(cached)
        if not actual.startswith(expected):
            raise CorruptCheckpointError(
                f'{cached} (downloaded from {target}) does not match the SHA-256 prefix '
                f'{expected} in its name (its SHA-256 is {actual[:len(expected)]}...): it is '
                'damaged or was replaced. Delete it and run again to download it afresh.')
    return cached, post


# --------------------------------------------------------------------------- loading
def _load_local(path: str, map_location: Any, structure: bool) -> Any:
    container = check_container(path)
    try:
        with torch.serialization.safe_globals(SAFE_GLOBALS):
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        name = _unsupported_global(str(e))
        if name is not None and _names_existing_global(name):
            raise _unsafe(path, name) from e
        if name is not None and container == 'zip' and _DOTTED.fullmatch(name):
            # the archive passed its CRC check: not damage, an object of code not installed here
            raise _unsafe(path, f'{name} (which cannot be imported here)') from e
        detail = (f'it refers to {name}, which exists nowhere here'
                  if name else _torch_error_summary(e))
        raise _corrupt(path, detail) from e
    except Exception as e:  # noqa: BLE001 - torch raises many types on damaged data
        raise _corrupt(path, _torch_error_summary(e)) from e
    return check_structure(checkpoint, path) if structure else checkpoint


def _torch_error_summary(error: Exception) -> str:
    text = str(error)
    match = re.search(r'WeightsUnpickler error:\s*(.+?)(\n|$)', text)
    if match:
        text = match.group(1)
    text = text.strip().splitlines()[0] if text.strip() else ''
    if len(text) > 160:
        text = text[:157] + '...'
    return f'{type(error).__name__}: {text}' if text else type(error).__name__


def safe_load(path: str, map_location: Any = 'cpu', check_structure: bool = True) -> Any:
    """Load a checkpoint from a local path, URL or model-zoo name without running code in it.

    Args:
        path: a local file, ``http(s)://`` URL or ``torchvision://``/``open-mmlab://``/``mmcls://``
            name (see the module docstring for what is checked).
        map_location: as for ``torch.load``.
        check_structure: also require the shape of a checkpoint (:func:`check_structure`).

    Raises:
        CorruptCheckpointError: not a (usable) PyTorch checkpoint.
        UnsafeCheckpointError: it pickles objects outside the allow-list.
        CheckpointError: missing file, failed download, refused scheme, unknown zoo name.
    """
    if is_remote(path):
        local, post = fetch_remote(path)
        checkpoint = _load_local(local, map_location, check_structure)
        if post is not None:
            checkpoint = post(checkpoint)
        return checkpoint
    return _load_local(osp.expanduser(path), map_location, check_structure)


# --------------------------------------------------------------------------- mmengine
def load_from_local_safe(filename: str, map_location: Any = None) -> Any:
    """mmengine ``CheckpointLoader`` scheme ``''``: a local file through :func:`safe_load`."""
    return safe_load(filename, map_location=map_location)


def load_from_remote_safe(filename: str, map_location: Any = None) -> Any:
    """mmengine ``CheckpointLoader`` schemes ``http(s)://``, ``torchvision://``, ``modelzoo://``,
    ``open-mmlab://``, ``openmmlab://``, ``mmcls://``: download, verify, :func:`safe_load`."""
    return safe_load(filename, map_location=map_location)


def load_from_refused_scheme(filename: str, map_location: Any = None) -> Any:
    """mmengine ``CheckpointLoader`` schemes ``pavi://``, ``s3://``, ``petrel://``: refused."""
    return safe_load(filename, map_location=map_location)  # raises the refusal


def install_safe_loader() -> None:
    """Route every scheme of mmengine's checkpoint loading through :func:`safe_load`."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safe, force=True)
    CheckpointLoader.register_scheme(
        prefixes=list(REMOTE_PREFIXES), loader=load_from_remote_safe, force=True)
    CheckpointLoader.register_scheme(
        prefixes=list(REFUSED_PREFIXES), loader=load_from_refused_scheme, force=True)


install_safe_loader()
