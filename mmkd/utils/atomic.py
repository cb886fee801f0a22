"""Write files so that a crash never leaves a truncated file where a good one was."""
import io
import os
import os.path as osp
import tempfile

import torch


def atomic_torch_save(obj, path: str) -> None:
    """``torch.save`` to memory, then :func:`atomic_write_bytes` (never a truncated ``path``)."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def default_file_mode() -> int:
    """The mode ``open()`` gives a new file: ``0o666`` less the process umask."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to a temporary file next to ``path``, fsync, then rename over ``path``.

    The file gets the mode a plain ``open()`` would give (``mkstemp`` makes it ``0600``).
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix='.' + osp.basename(path) + '.', suffix='.tmp')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, default_file_mode())
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def install_atomic_local_backend() -> None:
    """Make mmengine write local files (checkpoints included) atomically.

    mmengine's ``save_checkpoint`` serialises to memory and calls the file backend's ``put``; the
    stock ``LocalBackend`` writes straight into the final path, so a crash or a full disk during a
    save leaves a truncated checkpoint under the real name. The replacement writes a temporary
    file and renames it, so the previous file stays intact until the new one is complete.
    """
    from mmengine.fileio import LocalBackend, register_backend

    class AtomicLocalBackend(LocalBackend):

        def put(self, obj: bytes, filepath) -> None:
            atomic_write_bytes(obj, str(filepath))

        def put_text(self, obj: str, filepath, encoding: str = 'utf-8') -> None:
            atomic_write_bytes(obj.encode(encoding), str(filepath))

    register_backend('local', AtomicLocalBackend, force=True)
