"""Write files so that a crash never leaves a truncated file where a good one was."""
import glob
import io
import os
import os.path as osp
import re
import tempfile
from typing import List

import torch

#: the temporary files :func:`atomic_write_bytes` creates (``tempfile.mkstemp`` adds 8 characters)
TMP_NAME = re.compile(r'^\..+\.[a-z0-9_]{8}\.tmp$')


def _file_mode() -> int:
    """The permissions ``open(path, 'wb')`` would give (``mkstemp`` creates files ``0600``)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save`` to memory, then :func:`atomic_write_bytes` (never a truncated ``path``)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def _fsync_folder(folder: str) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync, then rename over ``path``.

    A process killed meanwhile leaves ``path`` as it was (plus a ``.<name>.XXXXXXXX.tmp`` file that
    :func:`remove_stale_tmp_files` deletes on the next run); a full disk raises before the rename.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(path) + '.', suffix='.tmp')
    try:
        os.fchmod(fd, _file_mode())
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_folder(folder)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def remove_stale_tmp_files(folder: str) -> List[str]:
    """Delete the temporary files killed saves left in ``folder`` and its direct subfolders.

    Only call it while holding the work-dir lock (:mod:`mmkd.utils.work_dir_lock`): the files of a
    save in progress look the same.
    """
    removed = []
    for pattern in ('.*.tmp', osp.join('*', '.*.tmp')):
        for path in glob.glob(osp.join(glob.escape(folder), pattern)):
            if TMP_NAME.match(osp.basename(path)) and osp.isfile(path):
                try:
                    os.remove(path)
                    removed.append(path)
                except OSError:
                    pass
    return removed


def install_atomic_local_backend() -> None:
    """Make mmengine write local files (checkpoints included) atomically.

    mmengine's ``save_checkpoint`` serialises to memory and calls the file backend's ``put``; the
    stock ``LocalBackend`` writes straight into the final path, so a crash or a full disk during a
    save leaves a truncated checkpoint under the real name. The replacement writes a temporary
    file and renames it, so the previous file stays intact until the new one is complete.

    A plain path (no ``scheme://``) is resolved through mmengine's prefix map (prefix ``''``), not
    through the backend name, so both are replaced; backend instances mmengine cached earlier
    (``get_file_backend(enable_singleton=True)``) are dropped so that none of them writes in place.
    """
    from mmengine.fileio import LocalBackend
    from mmengine.fileio import io as mmengine_io
    from mmengine.fileio import register_backend
    from mmengine.fileio.backends import prefix_to_backends

    if getattr(prefix_to_backends.get(''), 'mmkd_atomic', False):
        return

    class AtomicLocalBackend(LocalBackend):
        """mmengine's ``LocalBackend`` whose writes are atomic (temporary file, fsync, rename)."""

        mmkd_atomic = True

        def put(self, obj: bytes, filepath) -> None:
            atomic_write_bytes(obj, str(filepath))

        def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
            atomic_write_bytes(obj.encode(encoding), str(filepath))

    register_backend('local', AtomicLocalBackend, force=True, prefixes='')
    for key, backend in list(mmengine_io.backend_instances.items()):
        if type(backend) is LocalBackend:
            del mmengine_io.backend_instances[key]
