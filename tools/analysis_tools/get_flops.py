"""Parameters and FLOPs of a model config.

    python tools/analysis_tools/get_flops.py CONFIG [--shape 32 32]

For a classifier config: its parameters and the FLOPs of one forward pass on a 1×3×H×W input.
For a distillation config (``model.type`` contains ``Distiller``): the student, the teacher
(built untrained: ``teacher_ckpt`` is not read) and the trainable extras (connectors, parameters
of the losses) separately. FLOPs follow mmengine's (fvcore's) convention: one fused multiply-add
counts as one FLOP, over convolutions, linear layers and matmuls (batch norm, activations and
additions are not counted). Runs on CPU.

What training runs is counted separately, by tracing one training forward (``model.loss``) on one
image and splitting the FLOPs by the distiller's parts: HSAKD / HSSAKD put every image through
their networks as 4 rotated copies, auxiliary branches included, and HSSAKD's peers are counted
once each; FFSD counts its students, fusion module, leader and decoders (called as in training);
UNIXKD reports its computation fraction ``k/B + F_s/(F_t + 2F_s)`` relative to KD (Xu et al.,
arXiv 2012.09413, §3; xuguodong03/UNIXKD README). The deployed student (the plain classifier on
one image) is listed first. Backward passes are not counted.
"""
import argparse
import logging
from typing import Iterator, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

from mmkd.registry import MODELS
from mmkd.utils import register_all_modules
from mmkd.utils.cli import user_errors_as_messages
from mmkd.utils.errors import ConfigError


def parse_args():
    parser = argparse.ArgumentParser(description='Count parameters and FLOPs of a model config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        default=None,
        help='input H W (one value: square); default 32 32, or the '
        "distiller's input_size")
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings of the config')
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="show mmengine's per-module table and its operator warnings")
    return parser.parse_args()


def is_classifier(module: nn.Module) -> bool:
    return hasattr(module, 'backbone') and hasattr(module, 'head')


def count_params(module: nn.Module) -> Tuple[int, int]:
    """``(total, trainable)`` parameter counts (shared parameters counted once)."""
    params = {id(p): p for p in module.parameters()}.values()
    total = sum(p.numel() for p in params)
    trainable = sum(p.numel() for p in params if p.requires_grad)
    return total, trainable


def fmt_count(n: float, unit: str = 'M') -> str:
    scale = {'K': 1e3, 'M': 1e6, 'G': 1e9}[unit]
    return f'{n / scale:.3f}{unit}'


def count_flops(net: nn.Module, shape: Tuple[int, int], verbose: bool = False):
    """FLOPs of ``net`` on one ``3×H×W`` image (``None``, reason) if tracing fails."""
    from mmengine.analysis import get_model_complexity_info
    logger = MMLogger.get_current_instance()
    level = logger.level
    if not verbose:
        logger.setLevel(logging.ERROR)
    was_training = net.training
    net.eval()
    try:
        with torch.no_grad():
            result = get_model_complexity_info(
                net, inputs=(torch.zeros(1, 3, *shape), ), show_table=verbose, show_arch=False)
        if verbose and result.get('out_table'):
            print(result['out_table'])
        return result['flops'], None
    except Exception as e:  # an op the tracer cannot follow: report parameters anyway
        return None, f'{type(e).__name__}: {e}'
    finally:
        net.train(was_training)
        logger.setLevel(level)


def networks_and_extras(model: nn.Module) -> Iterator[Tuple[str, nn.Module, bool]]:
    """``(name, module, is_classifier)`` for what a distiller owns, student first (a student that
    is one of the distiller's own networks, e.g. HSSAKD's best peer, is listed once: first)."""
    yield 'student', model.student, True
    for name, child in model.named_children():
        if name in ('student', 'data_preprocessor') or child is model.student:
            continue
        if is_classifier(child):
            yield name, child, True
        elif isinstance(child, (nn.ModuleList, nn.ModuleDict)) and len(child) and all(
                is_classifier(m)
                for m in (child.values() if isinstance(child, nn.ModuleDict) else child)):
            items = child.items() if isinstance(child, nn.ModuleDict) else enumerate(child)
            for sub, net in items:
                if net is not model.student:
                    yield f'{name}.{sub}', net, True
        else:
            yield name, child, False


class _TrainingForward(nn.Module):
    """``model.loss`` on a batch of images with dummy labels, as a traceable module."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor):
        from mmpretrain.structures import DataSample
        samples = [
            DataSample(metainfo=dict(sample_idx=i)).set_gt_label(0) for i in range(inputs.shape[0])
        ]
        losses = self.model.loss(inputs, samples)
        return tuple(v for v in losses.values() if torch.is_tensor(v))


def training_flops(model: nn.Module, shape: Tuple[int, int]):
    """Forward FLOPs of one training step per training image, by the distiller's top-level
    children (``({name: flops}, None)``, or ``(None, reason)`` when tracing fails)."""
    from mmengine.analysis import FlopAnalyzer
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    was_training = model.training
    model.train()
    try:
        with torch.no_grad():
            analyzer = FlopAnalyzer(_TrainingForward(model), (torch.zeros(1, 3, *shape), ))
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            by_module = analyzer.by_module()
        parts = {}
        for name, child in model.named_children():
            # the networks of a ModuleList / ModuleDict one by one
            subs = [f'{name}.{sub}' for sub, _ in child.named_children()] \
                if isinstance(child, (nn.ModuleList, nn.ModuleDict)) else [name]
            for sub in subs:
                parts[sub] = by_module.get(f'model.{sub}', 0)
        return {k: v for k, v in parts.items() if v}, None
    except Exception as e:  # a loss the tracer cannot follow (e.g. one that needs real data)
        return None, f'{type(e).__name__}: {e}'
    finally:
        model.train(was_training)
        logger.setLevel(level)


def rotation_batch_note(model: nn.Module) -> str:
    from mmkd.models.distillers import HSAKDDistiller, HSSAKDOnlineDistiller
    if hasattr(model, 'forward_aux'):
        return ' (each image as its 4 rotations through backbone, head and auxiliary branches)'
    if isinstance(model, HSAKDDistiller):
        return (' (each image as its 4 rotations through backbone, head and auxiliary branches; '
                'the frozen teacher too)')
    if isinstance(model, HSSAKDOnlineDistiller):
        return (' (each image as its 4 rotations through backbone, head and auxiliary branches '
                'of every peer; the deployed student is the best peer alone)')
    return ''


def describe_training(model: nn.Module, shape) -> None:
    """The training-step section: UNIXKD's computation fraction, or the traced parts."""
    from mmkd.models.distillers import UNIXKDBatchTransform
    transform = getattr(model, 'batch_transform', None)
    if isinstance(transform, UNIXKDBatchTransform) and transform.flops_student is not None:
        f_s, f_t = transform.flops_student, transform.flops_teacher
        k, b = transform.k, transform.batch_size
        kd = f_t + 2 * f_s
        unix = f_s + k / b * kd
        print(f'UNIXKD training step per image (student forward+backward counted as 2 '
              f'forwards; F_s = {fmt_count(f_s)}, F_t = {fmt_count(f_t)}, k = {k} of B = {b}):')
        print(f'  KD:     F_t + 2F_s = {fmt_count(kd)}')
        print(f'  UNIXKD: F_s + (k/B)(F_t + 2F_s) = {fmt_count(unix)}')
        print(f'  Computation fraction (UNIXKD / KD): {transform.nominal_computation():.4f}')
        return
    parts, reason = training_flops(model, shape)
    if parts is None:
        print(f'Training forward FLOPs per image: n/a ({reason})')
        return
    print(f'Training forward FLOPs per image (one traced model.loss){rotation_batch_note(model)}:')
    for name, flops in parts.items():
        print(f'  {name}: {fmt_count(flops)}')
    print(f'  total: {fmt_count(sum(parts.values()))} ({fmt_count(sum(parts.values()), "G")})')


def describe_network(name: str,
                     net: nn.Module,
                     shape,
                     verbose: bool,
                     deployed: bool = False) -> Optional[int]:
    total, _ = count_params(net)
    if deployed and hasattr(net, 'aux_branches'):  # exported without its auxiliary branches
        total -= count_params(net.aux_branches)[0]
    flops, reason = count_flops(net, shape, verbose)
    arch = type(getattr(net, 'backbone', net)).__name__
    print(f'{name} ({type(net).__name__}, {arch} backbone)')
    print(f'  Params: {fmt_count(total)} ({total:,})')
    if flops is None:
        print(f'  FLOPs:  n/a ({reason})')
    else:
        print(f'  FLOPs:  {fmt_count(flops)} ({fmt_count(flops, "G")})')
    return flops


def main():
    args = parse_args()
    with user_errors_as_messages():
        register_all_modules()
        cfg = Config.fromfile(args.config)
        if args.cfg_options is not None:
            cfg.merge_from_dict(args.cfg_options)
        if 'model' not in cfg:
            raise ConfigError(f'{args.config} has no `model`.')
        is_distiller = 'Distiller' in str(cfg.model.get('type', ''))
        if is_distiller:
            # weights do not change the counts: never read (or require) the teacher checkpoint
            if 'teacher_ckpt' in cfg.model or 'teacher' in cfg.model:
                cfg.model.teacher_ckpt = None
                cfg.model.teacher_ckpt_required = False
        model = MODELS.build(cfg.model)
        if args.shape is None:
            shape = tuple(getattr(model, 'input_size', None) or (32, 32))
        elif len(args.shape) == 1:
            shape = (args.shape[0], args.shape[0])
        elif len(args.shape) == 2:
            shape = tuple(args.shape)
        else:
            raise ConfigError('--shape takes H W (or one value for a square input).')

        print(f'Config: {args.config}')
        print(f'Input shape: (1, 3, {shape[0]}, {shape[1]})')
        line = '=' * 60
        print(line)
        if not is_distiller or not hasattr(model, 'student'):
            if not is_classifier(model):
                total, _ = count_params(model)
                print(f'{type(model).__name__}\n  Params: {fmt_count(total)} ({total:,})')
            else:
                describe_network('model', model, shape, args.verbose)
            print(line)
            if hasattr(model, 'forward_aux'):  # an HSAKD teacher: trained on the 4 rotations
                describe_training(model, shape)
            return

        forward_flops, flops_ok = 0, True
        extras_total = 0
        for name, module, classifier in networks_and_extras(model):
            if classifier:
                deployed = name == 'student'
                flops = describe_network('student (deployed)' if deployed else name, module, shape,
                                         args.verbose, deployed)
                flops_ok = flops_ok and flops is not None
                forward_flops += flops or 0
            else:
                total, trainable = count_params(module)
                extras_total += trainable
                detail = ''
                if isinstance(module, nn.ModuleDict) and len(module):
                    parts = [f'{k}: {fmt_count(count_params(m)[0])}' for k, m in module.items()]
                    detail = f'  [{", ".join(parts)}]'
                frozen = f', {total - trainable:,} frozen' if total != trainable else ''
                print(f'{name}\n  Params: {fmt_count(total)} ({total:,}{frozen}){detail}')
            print(line)
        print(f'Trainable besides the student (connectors, loss parameters): '
              f'{fmt_count(extras_total)} ({extras_total:,})')
        trained = count_params(model)[1]  # every trained part (both peers, FFSD's networks)
        print(f'Trained in all (every parameter with requires_grad): {fmt_count(trained)} '
              f'({trained:,})')
        if flops_ok:
            print(f'Plain forward FLOPs of the networks above, one image each: '
                  f'{fmt_count(forward_flops)}')
        print(line)
        describe_training(model, shape)


if __name__ == '__main__':
    main()
