"""Evaluate a checkpoint (top-1 / top-5).

Either a plain classifier config with a classifier or student-only checkpoint:
    python tools/test.py configs/baselines/resnet8x4_cifar100.py work_dirs/.../student_best.pth
or a distillation config with the full training checkpoint (the student is evaluated; the
teacher's weights come from the checkpoint, its `teacher_ckpt` is not read):
    python tools/test.py configs/kd/resnet32x4_resnet8x4.py work_dirs/.../epoch_240.pth
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner

from mmkd.registry import RUNNERS
from mmkd.utils.cli import setup_for_tools, user_errors_as_messages
from mmkd.utils.errors import CheckpointError


def parse_args():
    parser = argparse.ArgumentParser(description='Evaluate a model with mmkd')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save evaluation logs')
    parser.add_argument('--out', help='save the predictions (a pickle of per-sample results)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings of the config')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    with user_errors_as_messages():
        if not osp.isfile(args.checkpoint):
            raise CheckpointError(f'Checkpoint {args.checkpoint} does not exist.')
        cfg = Config.fromfile(args.config)
        cfg.launcher = args.launcher
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        if args.work_dir is not None:
            cfg.work_dir = args.work_dir
        elif cfg.get('work_dir') is None:
            cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
        if 'teacher' in cfg.model:
            # the full checkpoint carries the teacher; do not read (or require) teacher_ckpt
            cfg.model.teacher_ckpt = None
            cfg.model.teacher_ckpt_required = False
        cfg.load_from = args.checkpoint
        cfg.resume = False
        setup_for_tools(cfg)
        runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
        if args.out:
            runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
        metrics = runner.test()
        print('\n'.join(f'{k}: {v:.2f}' if isinstance(v, float) else f'{k}: {v}'
                        for k, v in metrics.items()))


if __name__ == '__main__':
    main()
