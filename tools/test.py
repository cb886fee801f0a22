"""Evaluate a checkpoint (top-1 / top-5).

Either a plain classifier config with a classifier or student-only checkpoint:
    python tools/test.py configs/baselines/resnet8x4_cifar100.py work_dirs/.../student_best.pth
or a distillation config with the full training checkpoint (the student is evaluated; the
teacher's weights come from the checkpoint, its `teacher_ckpt` is not read):
    python tools/test.py configs/kd/resnet32x4_resnet8x4.py work_dirs/.../epoch_240.pth

The metrics, with the config, checkpoint and dataset they were measured on, are written beside the
checkpoint: ``work_dirs/.../epoch_240.metrics.json`` (logs: ``work_dirs/.../test_epoch_240/``).
"""
import argparse
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.evaluator import DumpResults

from mmkd.utils.checkpoint import is_remote
from mmkd.utils.cli import (CfgOptionsAction, build_runner, check_tool_args, check_work_dir,
                            finish_distributed, setup_for_tools, user_errors_as_messages)
from mmkd.utils.config_check import check_config, load_config
from mmkd.utils.errors import CheckpointError
from mmkd.utils.test_record import (dataset_record, default_test_work_dir, metrics_path,
                                    write_test_record)


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a model with mmkd')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir',
        help='the dir to save evaluation logs '
        '(default: test_<checkpoint name> beside the checkpoint)')
    parser.add_argument('--out', help='save the predictions (a pickle of per-sample results)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=CfgOptionsAction, help='override settings of the config')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    with user_errors_as_messages():
        check_tool_args(args)
        # URLs and model-zoo names go through mmkd's safe remote loader (verified, allow-listed)
        if not is_remote(args.checkpoint) and not osp.isfile(args.checkpoint):
            raise CheckpointError(f'Checkpoint {args.checkpoint} does not exist.')
        cfg = load_config(args.config, args.cfg_options)
        cfg.launcher = args.launcher
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        if args.work_dir is not None:
            cfg.work_dir = args.work_dir
        else:  # not the config's (shared by every run of that config): the checkpoint's own
            cfg.work_dir = default_test_work_dir(args.checkpoint)
        if 'teacher' in cfg.model:
            # the full checkpoint carries the teacher; do not read (or require) teacher_ckpt
            cfg.model.teacher_ckpt = None
            cfg.model.teacher_ckpt_required = False
        cfg.load_from = args.checkpoint
        cfg.resume = False
        setup_for_tools(cfg)
        check_config(cfg, args.config, training=False)
        check_work_dir(cfg.work_dir)
        runner = build_runner(cfg)
        if args.out:
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
        print('\n'.join(f'{k}: {v:.2f}' if isinstance(v, float) else f'{k}: {v}'
                        for k, v in metrics.items()))
        if is_main_process():
            path = write_test_record(
                metrics_path(args.checkpoint, cfg.work_dir), metrics, args.config, args.checkpoint,
                dataset_record(cfg.test_dataloader, runner.test_dataloader.dataset))
            print(f'metrics written to {path}')
        finish_distributed()


if __name__ == '__main__':
    main()
