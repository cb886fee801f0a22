"""One training run per work dir: an advisory lock on ``<work_dir>/.mmkd.lock``.

Two runs writing ``epoch_*.pth``, ``best_*.pth`` and ``last_checkpoint`` into one folder silently
overwrite each other's files. The first run holds an exclusive POSIX record lock
(``fcntl.lockf``) on the lock file for as long as its process lives; a second run is refused with
a message naming the holder. The kernel drops the lock when the holder exits in any way (SIGKILL,
crash), so a crashed run never leaves the folder locked; the file itself stays and only records
who held it last. Record locks are not inherited by forked children, so data-loader workers that
outlive a killed run for a few seconds do not keep the folder locked.

Local file systems and NFS (through its lock manager) honour the lock; a file system that ignores
it behaves like mmengine without the lock.
"""
import fcntl
import os
import os.path as osp
import socket
import sys
import time
from typing import Dict

from .errors import MMKDUserError

LOCK_NAME = '.mmkd.lock'

#: lock files this process holds: real path of the work dir -> open file descriptor
_HELD: Dict[str, int] = {}


class WorkDirBusyError(MMKDUserError):
    """Another live process is training in the same work dir."""


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode('utf-8', 'replace').strip()
    except OSError:
        text = ''
    return text or 'another process'


def lock_work_dir(work_dir: str) -> bool:
    """Hold ``work_dir``'s lock until this process exits (or :func:`unlock_work_dir`).

    Returns ``True`` when the lock was taken now, ``False`` when this process already held it.
    Raises :class:`WorkDirBusyError` when another live process holds it.
    """
    key = osp.realpath(work_dir)
    if key in _HELD:
        return False
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise MMKDUserError(f'The work dir {work_dir} is a file, not a folder. Pass a folder with '
                            '--work-dir (it is created when missing).')
    try:
        os.makedirs(work_dir, exist_ok=True)
        fd = os.open(osp.join(key, LOCK_NAME), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise MMKDUserError(
            f'Cannot use the work dir {work_dir}: {e.strerror} ({e.filename}). Pass a writable '
            'folder with --work-dir.') from None
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = _holder(fd)
        os.close(fd)
        raise WorkDirBusyError(
            f'The work dir {work_dir} is in use by another training run ({holder}); two runs in '
            'one work dir overwrite each other\'s checkpoints. Wait for that run to finish, stop '
            'it, or pass another --work-dir.') from None
    info = (f'pid {os.getpid()} on {socket.gethostname()}, started '
            f'{time.strftime("%Y-%m-%d %H:%M:%S")}: {" ".join(sys.argv)[:300]}')
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, info.encode('utf-8'))
    _HELD[key] = fd
    return True


def unlock_work_dir(work_dir: str) -> None:
    """Release the lock this process holds on ``work_dir`` (no-op when it holds none)."""
    fd = _HELD.pop(osp.realpath(work_dir), None)
    if fd is not None:
        fcntl.lockf(fd, fcntl.LOCK_UN)
        os.close(fd)


def lock_work_dir_of_run(work_dir: str) -> None:
    """:func:`lock_work_dir` in the main process of a (possibly distributed) run, before the
    process group exists (``RANK`` from the launcher's environment)."""
    if int(os.environ.get('RANK', '0')) == 0:
        lock_work_dir(work_dir)
