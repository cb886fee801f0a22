"""Pick the checkpoint ``--resume`` (auto) continues from, skipping unusable files."""
import glob
import os.path as osp
import re
import zipfile
from typing import Optional


def is_complete_checkpoint(path: str) -> bool:
    """A torch checkpoint is a zip archive; a truncated file has no central directory."""
    try:
        with zipfile.ZipFile(path) as archive:
            return len(archive.namelist()) > 0
    except (OSError, zipfile.BadZipFile):
        return False


def _number(path: str) -> int:
    match = re.search(r'(?:epoch|iter)_(\d+)\.pth$', path)
    return int(match.group(1)) if match else -1


def find_resumable_checkpoint(work_dir: str) -> Optional[str]:
    """The newest complete checkpoint of ``work_dir``.

    ``last_checkpoint`` is trusted when it names a complete file; otherwise (a missing, truncated
    or dangling pointer after a crash) the newest complete ``epoch_*.pth``/``iter_*.pth`` is used.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            named = f.read().strip()
        if named and not osp.isabs(named):
            named = osp.join(work_dir, named)
        if named and osp.isfile(named) and is_complete_checkpoint(named):
            return named
    candidates = glob.glob(osp.join(work_dir, 'epoch_*.pth')) + glob.glob(
        osp.join(work_dir, 'iter_*.pth'))
    for path in sorted(candidates, key=_number, reverse=True):
        if is_complete_checkpoint(path):
            return path
    return None
