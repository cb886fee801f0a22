"""Train a config together with everything it needs first (teachers, HSAKD teachers, ...).

    python tools/train_chain.py configs/hsakd/wrn40_2_wrn16_2.py --dry-run
    python tools/train_chain.py configs/hsakd/wrn40_2_wrn16_2.py [--launcher pytorch --gpus 8]
        [--work-root DIR] [--cfg-options key=value ...]

Prints the chain — each step's config, work dir, what it needs and whether its checkpoint already
exists — then (without ``--dry-run``) runs the missing steps in order, each through
``tools/train.py`` (or ``tools/dist_train.sh`` with ``--launcher pytorch``), each resumable: a
step whose work dir holds a checkpoint continues from it (``--resume``). ``--cfg-options`` apply
to every step (data roots, worker counts, short smoke runs); ``--work-root`` puts every step's
work dir under DIR instead of ``work_dirs/``. How prerequisites are found: ``mmkd.utils.chain``.
"""
import argparse
import os.path as osp
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmengine.config import DictAction  # noqa: E402

# yapf: disable
from mmkd.utils.chain import (final_checkpoint, latest_checkpoint, relocate,  # noqa: E402
                              resolve_chain)
# yapf: enable
from mmkd.utils.cli import user_errors_as_messages  # noqa: E402
from mmkd.utils.errors import ConfigError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a config and its prerequisites')
    parser.add_argument('config', help='the config to train (its teachers are found from it)')
    parser.add_argument('--dry-run', action='store_true', help='print the chain, run nothing')
    parser.add_argument('--launcher', choices=['none', 'pytorch'], default='none')
    parser.add_argument('--gpus', type=int, default=1, help='processes per step (pytorch)')
    parser.add_argument('--work-root', help='work dirs under this folder (default work_dirs/)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='settings applied to every step')
    return parser.parse_args(argv)


def checkpoint_for(step, path, work_root):
    """The file a later step should load for reference ``path`` produced by ``step``."""
    expected = relocate(path, work_root)
    if osp.isfile(expected):
        return expected
    return final_checkpoint(step) or latest_checkpoint(step.work_dir)


def is_done(step, consumers, work_root):
    if final_checkpoint(step):
        return True
    needed = [ref.path for c in consumers for ref in c.references if ref.producer == step.config]
    return bool(needed) and all(osp.isfile(relocate(p, work_root)) for p in needed)


def command(step, overrides, args):
    opts = [f'{k}={v}' for k, v in args.cfg_options.items()]
    opts += [f'{k}={v}' for k, v in overrides.items()]
    if args.launcher == 'pytorch':
        cmd = ['bash', osp.join('tools', 'dist_train.sh'), step.config, str(args.gpus)]
    else:
        cmd = [sys.executable, osp.join('tools', 'train.py'), step.config]
    cmd += ['--work-dir', step.work_dir]
    if latest_checkpoint(step.work_dir):
        cmd.append('--resume')
    return cmd + (['--cfg-options'] + opts if opts else [])


def main(argv=None):
    args = parse_args(argv)
    with user_errors_as_messages():
        config = osp.relpath(osp.abspath(args.config), ROOT)
        if not osp.isfile(osp.join(ROOT, config)):
            raise ConfigError(f'Config {args.config} does not exist.')
        max_epochs = args.cfg_options.get('train_cfg.max_epochs')
        steps = resolve_chain(config, ROOT, args.work_root)
        if max_epochs is not None:
            for step in steps:
                step.max_epochs = max_epochs
        by_config = {s.config: s for s in steps}
        consumers = {
            s.config: [c for c in steps if any(r.producer == s.config for r in c.references)]
            for s in steps
        }
        print(f'Chain for {config} ({len(steps)} step{"s" * (len(steps) > 1)}):')
        for i, step in enumerate(steps, 1):
            done = is_done(step, consumers[step.config], args.work_root)
            print(f'  {i}. {step.config}\n     work dir: {step.work_dir}\n'
                  f'     status:   {"done (checkpoint exists)" if done else "to train"}')
            for ref in step.references:
                origin = (f'from step {[s.config for s in steps].index(ref.producer) + 1}'
                          if ref.producer else 'no config produces it')
                exists = 'exists' if osp.isfile(relocate(ref.path, args.work_root)) else 'missing'
                print(f'     needs:    {ref.key} = {relocate(ref.path, args.work_root)} '
                      f'({origin}; {exists})')
        if args.dry_run:
            return 0
        for i, step in enumerate(steps, 1):
            if is_done(step, consumers[step.config], args.work_root):
                print(f'[chain] step {i}/{len(steps)} {step.config}: done, skipped', flush=True)
                continue
            overrides = {}
            for ref in step.references:
                if ref.producer is None:
                    if not osp.isfile(ref.path):
                        raise ConfigError(
                            f'{step.config} needs {ref.key}={ref.path}, which no config in '
                            'configs/ produces and which does not exist; train or convert it '
                            '(tools/model_converters/convert_reference.py) and pass '
                            f'--cfg-options {ref.key}=PATH.')
                    continue
                path = checkpoint_for(by_config[ref.producer], ref.path, args.work_root)
                if path is None:
                    raise ConfigError(
                        f'step {ref.producer} finished but wrote no checkpoint for {ref.key}; '
                        f'look into {by_config[ref.producer].work_dir}.')
                if path != ref.path:
                    overrides[ref.key] = path
            cmd = command(step, overrides, args)
            print(f'[chain] step {i}/{len(steps)}: {" ".join(cmd)}', flush=True)
            status = subprocess.call(cmd, cwd=ROOT)
            if status != 0:
                print(
                    f'[chain] step {i} ({step.config}) failed with exit {status}; fix it and '
                    'run the same command again: finished steps are skipped, this one '
                    'resumes.',
                    file=sys.stderr,
                    flush=True)
                return status
        print(f'[chain] {config}: all {len(steps)} steps done.', flush=True)
        return 0


if __name__ == '__main__':
    sys.exit(main())
