"""``tools/train.py CONFIG --seeds 0 1 2``: the same experiment once per seed, one work dir each.

Each seed runs ``tools/train.py`` again in a fresh process (mmengine keeps global state per
process: scopes, message hubs, loggers) with ``--work-dir <work_dir>/seed_<n>`` and
``randomness.seed=<n>``; every other argument is passed on unchanged, so ``--resume`` resumes
each seed's own run. ``tools/analysis_tools/summarize_runs.py <work_dir>`` groups the
``seed_<n>`` folders into one row (mean ± std over seeds).
"""
import os.path as osp
import subprocess
import sys
from typing import List, Sequence

from .errors import ConfigError


def seed_work_dir(work_dir: str, seed: int) -> str:
    return osp.join(work_dir, f'seed_{seed}')


def strip_option(argv: Sequence[str], name: str, nargs: str) -> List[str]:
    """``argv`` without ``name`` and its values (``nargs``: ``'1'``, or ``'+'`` integers)."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == name:
            i += 1
            if nargs == '1':
                i += 1
            else:
                while i < len(argv) and argv[i].lstrip('-').isdigit():
                    i += 1
            continue
        if arg.startswith(name + '='):
            i += 1
            continue
        out.append(arg)
        i += 1
    return out


def run_seeds(script: str, argv: Sequence[str], seeds: Sequence[int], work_dir: str,
              launcher: str) -> int:
    """Run ``script`` once per seed; return the first non-zero exit status (0 if all passed)."""
    if launcher != 'none':
        raise ConfigError(
            '--seeds runs the seeds one after another in this process and cannot be combined '
            'with --launcher; for distributed runs loop over the launcher instead, e.g. '
            '`for s in 0 1 2; do tools/dist_train.sh CONFIG 8 --work-dir WORK/seed_$s '
            '--cfg-options randomness.seed=$s; done`.')
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f'--seeds {" ".join(map(str, seeds))} repeats a seed; give each once.')
    rest = strip_option(strip_option(argv, '--seeds', '+'), '--work-dir', '1')
    for seed in seeds:
        cmd = [sys.executable, script] + rest + ['--work-dir', seed_work_dir(work_dir, seed)]
        # a later --cfg-options value wins in mmengine's DictAction; append our own group
        cmd += ['--cfg-options', f'randomness.seed={seed}']
        print(f'[mmkd] seed {seed}: {" ".join(cmd[1:])}', flush=True)
        status = subprocess.call(cmd)
        if status != 0:
            print(
                f'[mmkd] seed {seed} failed (exit {status}); later seeds not started.',
                file=sys.stderr,
                flush=True)
            return status
    return 0
