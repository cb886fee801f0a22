"""Time training iterations of a config; with --compare, against a plain PyTorch loop.

    python tools/analysis_tools/benchmark.py configs/kd/resnet56_resnet20.py \
        [--iters 20] [--warmup 5] [--rounds 3] [--compare] [--device cpu|cuda] \
        [--data-root DIR | --fake-data] [--device-aug | --device-data] \
        [--channels-last] [--compile] [--amp] \
        [--cfg-options key=value ...]

Runs the config's own Runner, hooks, model, optimizer wrappers and dataloader (``num_workers``
as shipped) for ``rounds`` × (``warmup`` + ``iters``) iterations and prints s/iter and images/s
(median over rounds), the per-iteration split (data wait, hooks, train_step) and the train_step
breakdown (data preprocessor, each network's forward, backward, optimizer, losses and the rest),
and the peak memory (process RSS on CPU, ``max_memory_allocated`` on CUDA). ``--compare`` (KD
configs: every distillation loss is logit KD) also times, in the same process and alternating
with mmkd's rounds, a hand-written loop of the reference scripts' kind — torchvision PIL
transforms, teacher under ``no_grad``, student forward/backward, SGD step — with the same
modules, loss weights, optimizer settings, batch size and workers, and prints hand/mmkd.

The teacher checkpoint is not needed (its values do not change the cost); ``--fake-data`` writes
a generated CIFAR-100 in the real format into a temporary folder (2,000 images) for machines
without the dataset. See docs/benchmarks.md for measured figures.
"""
import argparse
import os
import os.path as osp
import shlex
import sys
import tempfile
import uuid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

from mmkd.utils.cli import setup_for_tools, user_errors_as_messages  # noqa: E402
from mmkd.utils.errors import ConfigError  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark training iterations of a config')
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=20, help='timed iterations per round')
    parser.add_argument('--warmup', type=int, default=5, help='untimed iterations per round')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument(
        '--compare',
        action='store_true',
        help='also time a plain PyTorch loop of the same math (KD configs)')
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--data-root', help='dataset folder for train_dataloader')
    parser.add_argument(
        '--fake-data',
        action='store_true',
        help='a generated CIFAR-100 (real format) in a temporary folder')
    parser.add_argument(
        '--device-aug',
        action='store_true',
        help="as tools/train.py's: crop + flip batched on the device")
    parser.add_argument(
        '--device-data',
        action='store_true',
        help="as tools/train.py's: the training set held on the device")
    parser.add_argument(
        '--channels-last', action='store_true', help="as tools/train.py's (mmkd side only)")
    parser.add_argument(
        '--compile', action='store_true', help="as tools/train.py's (mmkd side only)")
    parser.add_argument('--amp', action='store_true', help="as tools/train.py's (mmkd side only)")
    parser.add_argument('--work-dir', help='where the Runner logs (default: a temporary folder)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return parser.parse_args(argv)


def innermost(dataset):
    """The dataset a chain of wrappers (``dataset=dict(type=..., dataset=...)``) ends in."""
    while isinstance(dataset.get('dataset'), dict):
        dataset = dataset.dataset
    return dataset


def benchmark_cfg(args, work_dir: str) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = work_dir
    cfg.launcher = 'none'
    # a name of its own: mmengine keeps loggers and message hubs by name, and two runs of
    # configs with the same file name in the same second would share them
    cfg.experiment_name = (f'benchmark_{osp.splitext(osp.basename(args.config))[0]}_'
                           f'{uuid.uuid4().hex[:8]}')
    if args.data_root:
        innermost(cfg.train_dataloader.dataset).data_root = args.data_root
    model = cfg.model
    if 'teacher_ckpt' in model and model.teacher_ckpt and not osp.isfile(model.teacher_ckpt):
        model.teacher_ckpt = None  # cost does not depend on the teacher's values
        model.teacher_ckpt_required = False
    if args.device_data:
        from mmkd.datasets.device_data import use_device_data
        use_device_data(cfg)
    elif args.device_aug:
        from mmkd.utils.fast_path import use_device_augmentation
        use_device_augmentation(cfg)
    from mmkd.utils.fast_path import add_fast_path_hooks, configure_amp
    if args.amp:
        configure_amp(cfg)
    add_fast_path_hooks(cfg, args.channels_last, args.compile)
    cfg.train_cfg = dict(
        type='BenchmarkTrainLoop',
        iters=args.iters,
        warmup=args.warmup,
        rounds=args.rounds,
        device=args.device)
    # validation is never run (the loop validates no epoch); with --fake-data it reads the
    # generated test split
    if args.data_root and cfg.get('val_dataloader'):
        innermost(cfg.val_dataloader.dataset).data_root = args.data_root
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.param_scheduler = None
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    return cfg


def main(argv=None):
    load_at_start = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
    args = parse_args(argv)
    command = ' '.join(['python tools/analysis_tools/benchmark.py'] +
                       [shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)])
    with user_errors_as_messages():
        if args.device == 'cuda':
            import torch
            if not torch.cuda.is_available():
                raise ConfigError('--device cuda: no CUDA device is available here; use '
                                  '--device cpu.')
        from mmkd.engine.benchmark import build_hand_loop, format_result
        with tempfile.TemporaryDirectory() as tmp:
            if args.fake_data:
                from mmkd.datasets import write_tiny_cifar
                write_tiny_cifar(tmp, num_classes=100, train_per_class=20, test_per_class=1, seed=0)
                args.data_root = tmp
            cfg = benchmark_cfg(args, args.work_dir or osp.join(tmp, 'work'))
            setup_for_tools(cfg)
            runner = Runner.from_cfg(cfg)
            loop = runner.train_loop  # builds the BenchmarkTrainLoop
            if args.compare:
                loop.hand_loop = build_hand_loop(runner, args.device)
                if loop.hand_loop is None:
                    print('--compare: the hand loop covers logit-KD single-teacher configs and '
                          'HSAKD; this config is neither. Showing mmkd\'s own figures.')
            # the teacher's accuracy is not part of the cost of an iteration
            runner.message_hub.update_info('teacher_metrics', {})
            runner.train()
            loop.result['load_at_start'] = load_at_start
            print(format_result(args.config, loop.result, command))
    return 0


if __name__ == '__main__':
    sys.exit(main())
