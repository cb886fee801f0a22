"""Download a dataset archive, verify its published checksum and extract it safely."""
import hashlib
import os
import os.path as osp
import shutil
import tarfile
import tempfile
import urllib.request

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


def safe_extract_tar(archive: str, dst: str) -> None:
    """Extract a tar archive into ``dst``, refusing any member that would land outside it.

    Links, device files and absolute or ``..`` paths are refused before anything is written.
    """
    dst_real = osp.realpath(dst)
    os.makedirs(dst_real, exist_ok=True)
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            target = osp.realpath(osp.join(dst_real, member.name))
            inside = target == dst_real or target.startswith(dst_real + os.sep)
            if not inside or osp.isabs(member.name):
                raise DatasetError(
                    f'{archive}: member {member.name!r} would be written outside {dst}; '
                    'the archive is unsafe and was not extracted.')
            if not (member.isfile() or member.isdir()):
                raise DatasetError(
                    f'{archive}: member {member.name!r} is a link or special file; '
                    'the archive is unsafe and was not extracted.')
        extract_kwargs = {'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}
        tar.extractall(dst_real, members=members, **extract_kwargs)
