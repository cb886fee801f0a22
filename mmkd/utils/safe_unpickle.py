"""Unpickling data files without running code hidden in them.

``pickle.load`` calls whatever callable a file names (``os.system``, ``builtins.exec``, ...), so a
planted dataset file would run code while the dataset loads. :func:`load_plain_pickle` reads a
pickle with :class:`PlainDataUnpickler`, which resolves only the globals that plain data needs:

* numpy array and scalar reconstruction (``numpy.core.multiarray._reconstruct`` / ``scalar``,
  protocol-5 ``numpy.core.numeric._frombuffer``; also under numpy 2's ``numpy._core``),
  ``numpy.ndarray`` and ``numpy.dtype``;
* the builtin types Python 2/3 pickles name explicitly: ``set``, ``frozenset``, ``bytes``,
  ``bytearray``, ``complex``; and ``_codecs.encode`` with the ``latin1`` codec only (how
  protocol <= 2 stores ``bytes``).

Everything else (dicts, lists, tuples, str, int, float, bool, None) needs no global at all.
This is what the official CIFAR-10/100 ``python`` batches contain (cPickle of dicts holding a
uint8 array, lists of ints and strings), and what :func:`mmkd.datasets.write_tiny_cifar` writes.
Any other global is refused with :class:`UnsafePickleError` before it is imported or called.
"""
import codecs
import io
import pickle
from typing import Any, BinaryIO, Callable, Dict, Tuple, Union

import numpy as np

__all__ = [
    'UnsafePickleError', 'PlainDataUnpickler', 'load_plain_pickle', 'load_first_pickled_value'
]


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle names a global outside the plain-data allow-list (``module``, ``name``)."""

    def __init__(self, module: str, name: str):
        super().__init__(f'global {module}.{name} is not plain data')
        self.module = module
        self.name = name

    @property
    def qualname(self) -> str:
        """``module.name``, with Python 2's ``__builtin__`` shown as ``builtins``."""
        module = 'builtins' if self.module == '__builtin__' else self.module
        return f'{module}.{self.name}'


def _latin1_encode(obj: Any, encoding: str = 'utf-8', errors: str = 'strict') -> bytes:
    """``_codecs.encode`` restricted to what pickle protocol <= 2 emits for ``bytes``."""
    if type(obj) is not str or codecs.lookup(encoding).name != 'iso8859-1' or errors != 'strict':
        raise pickle.UnpicklingError(
            f'_codecs.encode is only allowed as latin1 encoding of a str, got {encoding!r}')
    return obj.encode('latin1')


def _numpy_functions() -> Dict[Tuple[str, str], Callable]:
    """numpy's reconstruction functions under the module names pickles use (numpy 1 and 2)."""
    try:
        from numpy._core import multiarray, numeric  # numpy >= 2
    except ImportError:  # pragma: no cover - numpy 1.x
        from numpy.core import multiarray, numeric
    found = {}
    for package in ('numpy.core', 'numpy._core'):
        found[(f'{package}.multiarray', '_reconstruct')] = multiarray._reconstruct
        found[(f'{package}.multiarray', 'scalar')] = multiarray.scalar
        if hasattr(numeric, '_frombuffer'):
            found[(f'{package}.numeric', '_frombuffer')] = numeric._frombuffer
    return found


#: (module, name) -> object: the only globals a plain-data pickle may name
PLAIN_DATA_GLOBALS: Dict[Tuple[str, str], Any] = {
    **_numpy_functions(),
    ('numpy', 'ndarray'): np.ndarray,
    ('numpy', 'dtype'): np.dtype,
    ('_codecs', 'encode'): _latin1_encode,
    **{
        (module, t.__name__): t
        for module in ('builtins', '__builtin__')
        for t in (set, frozenset, bytes, bytearray, complex)
    },
}


class PlainDataUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :data:`PLAIN_DATA_GLOBALS` (``allowed`` overrides it)."""

    def __init__(self, file, *, allowed: Dict[Tuple[str, str], Any] = None, **kwargs):
        super().__init__(file, **kwargs)
        self._allowed = PLAIN_DATA_GLOBALS if allowed is None else allowed

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise UnsafePickleError(module, name) from None

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError('persistent ids are not plain data')


def load_plain_pickle(path: str, encoding: str = 'latin1') -> Any:
    """Unpickle ``path`` admitting plain data only.

    Raises:
        UnsafePickleError: the file names a global that is not plain data (nothing of it ran).
        Exception: whatever a truncated or malformed pickle raises (``EOFError``,
            ``pickle.UnpicklingError``, ``ValueError``, ...).
    """
    with open(path, 'rb') as f:
        return PlainDataUnpickler(f, encoding=encoding).load()


def load_first_pickled_value(file: Union[bytes, BinaryIO]) -> Any:
    """The first value pickled in ``file`` (bytes or a binary file object), resolving no global at
    all: used to recognise a file format by its first value without trusting the file."""
    if isinstance(file, (bytes, bytearray)):
        file = io.BytesIO(file)
    return PlainDataUnpickler(file, allowed={}).load()
