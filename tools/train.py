"""Train a model (a plain classifier or a distiller) from an mmkd config with mmengine's Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [auto|PATH]] [--amp]
                          [--cfg-options key=value ...] [--launcher none|pytorch|slurm]
                          [--seeds 0 1 2] [--vis-backend tensorboard|wandb]
                          [--device-aug | --device-data] [--channels-last] [--compile]
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import Config

from mmkd.datasets.device_data import use_device_data
from mmkd.engine.hooks.checkpoint_safety_hook import ensure_checkpoint_safety_hooks
from mmkd.utils.batch_scale import warn_batch_mismatch
from mmkd.utils.cli import (CfgOptionsAction, build_runner, check_tool_args, check_work_dir,
                            finish_distributed, setup_for_tools, user_errors_as_messages)
from mmkd.utils.config_check import check_config, load_config
from mmkd.utils.fast_path import add_fast_path_hooks, configure_amp, use_device_augmentation
from mmkd.utils.resume import find_resumable_checkpoint
from mmkd.utils.seeds import run_seeds
from mmkd.utils.vis_backends import VIS_BACKENDS, add_vis_backends
from mmkd.utils.work_dir_lock import lock_work_dir_of_run


def parse_args():
    parser = argparse.ArgumentParser(description='Train a model with mmkd')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from PATH, or from the latest checkpoint of the work dir when no PATH '
        '(or "auto") is given')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale lr linearly with the total batch size (auto_scale_lr)')
    parser.add_argument('--no-validate', action='store_true', help='skip validation')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=CfgOptionsAction,
        help='override settings of the config, e.g. model.teacher_ckpt=PATH')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--device-aug',
        action='store_true',
        help='random crop + flip batched on the device (same images, faster)')
    parser.add_argument(
        '--device-data',
        action='store_true',
        help='CIFAR-sized training set held on the device as one uint8 tensor; '
        'crop + flip batched there (same images; implies --device-aug)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='channels_last memory format for the networks and their inputs')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='torch.compile the networks (eager fallback with a message)')
    parser.add_argument(
        '--vis-backend',
        action='append',
        choices=sorted(VIS_BACKENDS),
        default=[],
        help='also log to TensorBoard / Weights & Biases (optional packages; repeatable)')
    parser.add_argument(
        '--seeds',
        nargs='+',
        type=int,
        help='train once per seed, each into <work_dir>/seed_<n> with randomness.seed=<n>')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def default_work_dir(config: str) -> str:
    """``configs/baselines/x.py`` -> ``work_dirs/baselines/x`` (other paths: ``work_dirs/<name>``).

    Distillation configs find their teachers there (``work_dirs/baselines/<teacher>_cifar100``).
    """
    parts = osp.normpath(osp.abspath(config)).split(osp.sep)
    stem = osp.splitext(parts[-1])[0]
    if 'configs' in parts:
        i = len(parts) - 1 - parts[::-1].index('configs')
        return osp.join('work_dirs', *parts[i + 1:-1], stem)
    return osp.join('work_dirs', stem)


def merge_args(cfg: Config, args) -> Config:
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    if args.amp:
        configure_amp(cfg)
    if args.device_data:
        use_device_data(cfg)
    elif args.device_aug:
        use_device_augmentation(cfg)
    add_fast_path_hooks(cfg, args.channels_last, args.compile)
    if args.resume == 'auto':
        # the newest *complete* checkpoint (a crash may leave a dangling last_checkpoint)
        cfg.resume = True
        cfg.load_from = find_resumable_checkpoint(cfg.work_dir)
        cfg.resume = cfg.load_from is not None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    add_vis_backends(cfg, args.vis_backend)
    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
        cfg.default_hooks.checkpoint.save_best = None
    return cfg


def main():
    args = parse_args()
    with user_errors_as_messages():
        check_tool_args(args)
        cfg = load_config(args.config, args.cfg_options)
        if args.seeds:
            work_dir = args.work_dir or default_work_dir(args.config)
            raise SystemExit(run_seeds(__file__, sys.argv[1:], args.seeds, work_dir, args.launcher))
        cfg = merge_args(cfg, args)
        setup_for_tools(cfg)
        check_config(cfg, args.config)
        warn_batch_mismatch(cfg)
        check_work_dir(cfg.work_dir)
        lock_work_dir_of_run(cfg.work_dir)  # before anything is written there
        runner = build_runner(cfg)
        ensure_checkpoint_safety_hooks(runner)
        runner.train()
        finish_distributed()


if __name__ == '__main__':
    main()
