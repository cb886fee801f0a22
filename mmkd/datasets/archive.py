"""Download a dataset archive, verify its published checksum and extract it safely."""
import hashlib
import os
import os.path as osp
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from typing import Callable, List

from mmengine import dist

from mmkd.utils.errors import DatasetError


def file_md5(path: str, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.md5()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_md5(path: str, md5: str) -> None:
    """Raise :class:`DatasetError` unless ``path`` has the published ``md5``."""
    actual = file_md5(path)
    if actual != md5:
        raise DatasetError(
            f'{path} has md5 {actual}, but the published checksum is {md5}: the file is '
            'incomplete or has been tampered with. Delete it and download it again.')


def download(url: str, dst: str, md5: str, timeout: float = 60.0) -> None:
    """Download ``url`` to ``dst`` through a temporary file; keep it only if the md5 matches."""
    os.makedirs(osp.dirname(osp.abspath(dst)), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=osp.dirname(osp.abspath(dst)), suffix='.part')
    try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out)
        verify_md5(tmp, md5)
        os.replace(tmp, dst)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _check_member(archive: str, dst: str, dst_real: str, name: str, regular: bool) -> None:
    """Refuse a member whose path leaves ``dst`` or that is not a plain file or folder."""
    target = osp.realpath(osp.join(dst_real, name))
    inside = target == dst_real or target.startswith(dst_real + os.sep)
    if not inside or osp.isabs(name) or name.startswith(('/', '\\')):
        raise DatasetError(f'{archive}: member {name!r} would be written outside {dst}; '
                           'the archive is unsafe and was not extracted.')
    if not regular:
        raise DatasetError(f'{archive}: member {name!r} is a link or special file; '
                           'the archive is unsafe and was not extracted.')


def safe_extract_tar(archive: str, dst: str) -> None:
    """Extract a tar archive into ``dst``, refusing any member that would land outside it.

    Links, device files and absolute or ``..`` paths are refused before anything is written.
    """
    dst_real = osp.realpath(dst)
    os.makedirs(dst_real, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            _check_member(archive, dst, dst_real, member.name, member.isfile() or member.isdir())
        extract_kwargs = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        tar.extractall(dst_real, members=members, **extract_kwargs)


def safe_extract_zip(archive: str, dst: str) -> None:
    """Extract a zip archive into ``dst`` with the same refusals as :func:`safe_extract_tar`."""
    dst_real = osp.realpath(dst)
    os.makedirs(dst_real, exist_ok=True)
    with zipfile.ZipFile(archive) as zf:
        members = zf.infolist()
        for member in members:
            mode = (member.external_attr >> 16) & 0o170000
            _check_member(archive, dst, dst_real, member.filename, not mode
                          or mode in (0o100000, 0o040000))
        zf.extractall(dst_real, members=members)


def ensure_extracted(missing: Callable[[], List[str]],
                     missing_message: Callable[[List[str]], str],
                     root: str,
                     filename: str,
                     url: str,
                     md5: str,
                     download_allowed: bool,
                     timeout: float = 60.0) -> None:
    """Make a dataset's files exist under ``root``: use ``root/filename`` if it is there, else
    download it (when allowed); verify the md5 and extract safely (zip or tar by extension).

    ``missing()`` lists what is still absent; ``missing_message(missing)`` is the error text that
    says where to put the archive.
    """
    absent = missing()
    if not absent:
        return
    archive = osp.join(root, filename)
    if not osp.isfile(archive):
        if not download_allowed:
            raise DatasetError(missing_message(absent))
        try:
            download(url, archive, md5, timeout=timeout)
        except DatasetError:
            raise
        except Exception as e:  # offline, DNS failure, HTTP error ...
            raise DatasetError(f'Could not download {url} ({type(e).__name__}: {e}). ' +
                               missing_message(absent)) from e
    verify_md5(archive, md5)
    (safe_extract_zip if filename.endswith('.zip') else safe_extract_tar)(archive, root)
    still = missing()
    if still:
        raise DatasetError(f'{archive} was extracted but {", ".join(still)} are still missing; '
                           f'the archive is not {filename}.')


def run_on_rank0(fn: Callable[[], None]) -> None:
    """Run ``fn`` on rank 0 while the other ranks wait; every rank raises rank 0's error."""
    error = None
    if dist.is_main_process():
        try:
            fn()
        except DatasetError as e:
            error = str(e)
    if dist.get_world_size() > 1:
        box = [error]
        dist.broadcast_object_list(box, src=0)
        error = box[0]
    if error is not None:
        raise DatasetError(error)
