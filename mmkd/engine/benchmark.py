"""Time training iterations of any mmkd config, and the same math as a plain PyTorch loop.

:class:`BenchmarkTrainLoop` replaces a config's training loop (``train_cfg``); everything else is
what ``tools/train.py`` builds: the Runner, its hooks, the model's ``train_step``, the optimizer
wrappers, the dataloader with the config's workers. It runs ``rounds`` rounds of ``warmup`` +
``iters`` iterations; with a hand loop (``compare``) each round also times the hand loop for as
many iterations right after, so both see the same machine load.

Timings per iteration (seconds): ``data`` (waiting for the dataloader), ``hooks`` (the Runner's
before/after-iteration hooks: timer, logger, NaN guard, ...), ``step`` (``model.train_step``). An
extra instrumented pass splits ``step`` into ``preprocess`` (data preprocessor), ``forward:<net>``
for each top-level network (teacher, student, peers; a network run twice counts twice), ``backward``
(``OptimWrapper.backward``), ``optimizer`` (``step`` + ``zero_grad``) and ``losses+other`` (the
rest: loss functions, batch transforms, connectors, bookkeeping). On CUDA the instrumented pass
synchronises around every timed region; the throughput rounds do not.
"""
import copy
import resource
import statistics
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop

from mmkd.registry import LOOPS


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


class _Clock:
    """Accumulates wall time of named regions for one iteration."""

    def __init__(self, device: str):
        self.device = device
        self.times: Dict[str, float] = defaultdict(float)

    def wrap(self, name: str, fn: Callable) -> Callable:
        def timed(*args, **kwargs):
            _sync(self.device)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                _sync(self.device)
                self.times[name] += time.perf_counter() - t
        return timed

    def span_hooks(self, name: str, root: nn.Module) -> List:
        """Forward hooks on every module under ``root``: time from entering the first to leaving
        the last (nested calls counted once), summed over the iteration."""
        state = dict(depth=0, start=0.0)

        def pre(module, args):
            if state['depth'] == 0:
                _sync(self.device)
                state['start'] = time.perf_counter()
            state['depth'] += 1

        def post(module, args, output):
            state['depth'] -= 1
            if state['depth'] == 0:
                _sync(self.device)
                self.times[name] += time.perf_counter() - state['start']

        handles = []
        for module in root.modules():
            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        return handles


def networks_of(model: nn.Module) -> Dict[str, nn.Module]:
    """Top-level networks to time separately: ``teacher``, ``student``, peers, ... (children
    that hold parameters, except loss and connector containers)."""
    skip = ('distill_losses', 'connectors', 'data_preprocessor')
    return {name: child for name, child in model.named_children()
            if name not in skip and any(True for _ in child.parameters())}


def _wrappers(optim_wrapper) -> List[OptimWrapper]:
    if isinstance(optim_wrapper, OptimWrapperDict):
        return list(optim_wrapper.values())
    return [optim_wrapper]


def peak_memory_mb(device: str) -> float:
    if device == 'cuda':
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


@LOOPS.register_module()
class BenchmarkTrainLoop(EpochBasedTrainLoop):
    """Times ``rounds`` × (``warmup`` + ``iters``) training iterations (see the module doc).

    Args:
        hand_loop: ``None`` or a callable ``hand_loop(n) -> list of seconds per iteration``
            (built by :func:`build_hand_loop` after the model exists; set by the tool).
    """

    def __init__(self, runner, dataloader, iters: int = 20, warmup: int = 5, rounds: int = 3,
                 device: str = 'cpu', **kwargs):
        kwargs.setdefault('max_epochs', 1)
        kwargs.pop('val_interval', None)
        kwargs.pop('val_begin', None)
        kwargs.pop('by_epoch', None)
        super().__init__(runner, dataloader, val_interval=10**9, **kwargs)
        self.iters, self.warmup, self.rounds, self.device = iters, warmup, rounds, device
        self.hand_loop: Optional[Callable[[int], List[float]]] = None
        self.result: Dict = {}

    def _batches(self):
        while True:
            for batch in self.dataloader:
                yield batch

    def _timed_iters(self, batches, n: int, clock: Optional[_Clock] = None):
        rows = []
        model = self.runner.model
        for _ in range(n):
            row = {}
            _sync(self.device)
            t0 = time.perf_counter()
            batch = next(batches)
            t1 = time.perf_counter()
            self.runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=batch)
            _sync(self.device)
            t2 = time.perf_counter()
            if clock is not None:
                clock.times.clear()
            outputs = model.train_step(batch, optim_wrapper=self.runner.optim_wrapper)
            _sync(self.device)
            t3 = time.perf_counter()
            self.runner.call_hook('after_train_iter', batch_idx=self._iter, data_batch=batch,
                                  outputs=outputs)
            _sync(self.device)
            t4 = time.perf_counter()
            self._iter += 1
            row.update(total=t4 - t0, data=t1 - t0, hooks=(t2 - t1) + (t4 - t3), step=t3 - t2)
            if clock is not None:
                parts = dict(clock.times)
                row.update(parts)
                row['losses+other'] = row['step'] - sum(parts.values())
            rows.append(row)
        return rows

    def _instrumented(self, batches, n: int):
        model = self.runner.model
        model = model.module if is_model_wrapper(model) else model
        clock = _Clock(self.device)
        handles = []
        for name, net in networks_of(model).items():
            handles += clock.span_hooks(f'forward:{name}', net)
        originals = []
        preprocessor = model.data_preprocessor
        originals.append((preprocessor, 'forward', preprocessor.forward))
        preprocessor.forward = clock.wrap('preprocess', preprocessor.forward)
        for wrapper in _wrappers(self.runner.optim_wrapper):
            for method, name in (('backward', 'backward'), ('step', 'optimizer'),
                                 ('zero_grad', 'optimizer')):
                originals.append((wrapper, method, getattr(wrapper, method)))
                setattr(wrapper, method, clock.wrap(name, getattr(wrapper, method)))
        try:
            return self._timed_iters(batches, n, clock)
        finally:
            for h in handles:
                h.remove()
            for obj, method, fn in originals:
                setattr(obj, method, fn)

    def run(self):
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        self.runner.model.train()
        batches = self._batches()
        per_round, hand_rounds = [], []
        for _ in range(self.rounds):
            rows = self._timed_iters(batches, self.warmup + self.iters)[self.warmup:]
            per_round.append(rows)
            if self.hand_loop is not None:
                hand_rounds.append(self.hand_loop(self.warmup + self.iters)[self.warmup:])
        breakdown = self._instrumented(batches, max(self.iters // 2, 3))
        self.result = summarize(per_round, hand_rounds, breakdown, self.device,
                                self.dataloader.batch_size)
        return self.runner.model


def _median_of_rounds(rounds: List[List[dict]], key: str) -> float:
    return statistics.median(statistics.fmean(r[key] for r in rows) for rows in rounds)


def summarize(per_round, hand_rounds, breakdown, device, batch_size) -> Dict:
    s_iter = _median_of_rounds(per_round, 'total')
    result = dict(
        s_per_iter=s_iter, images_per_s=batch_size / s_iter, batch_size=batch_size,
        rounds=[statistics.fmean(r['total'] for r in rows) for rows in per_round],
        peak_memory_mb=peak_memory_mb(device), device=device,
        parts={k: _median_of_rounds(per_round, k) for k in ('data', 'hooks', 'step')})
    keys = sorted({k for row in breakdown for k in row} - {'total', 'data', 'hooks', 'step'})
    result['step_breakdown'] = {k: statistics.fmean(row.get(k, 0.0) for row in breakdown)
                                for k in keys}
    if hand_rounds:
        hand = statistics.median(statistics.fmean(rows) for rows in hand_rounds)
        result.update(hand_s_per_iter=hand, hand_over_mmkd=hand / s_iter,
                      hand_rounds=[statistics.fmean(rows) for rows in hand_rounds])
    return result


# ------------------------------------------------------------------------------- hand loop
class _HandCIFAR(torch.utils.data.Dataset):
    """The reference scripts' pipeline: PIL image -> RandomCrop(32, 4) -> flip -> ToTensor ->
    Normalize, from the same images the config's dataset holds."""

    def __init__(self, images, labels, mean, std):
        import torchvision.transforms as T
        self.images, self.labels = images, labels
        self.transform = T.Compose([
            T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.ToTensor(),
            T.Normalize([m / 255 for m in mean], [s / 255 for s in std])])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def logit_kd_terms(model) -> Optional[List[dict]]:
    """``[{weight, tau}]`` when every distillation loss of ``model`` is Hinton KD on logits
    (what the hand loop can reproduce), else ``None``."""
    from mmkd.models.losses.kd import KDLoss
    losses = getattr(model, 'distill_losses', None)
    if losses is None or getattr(model, 'batch_transform', None) is not None:
        return None
    terms = []
    for loss in losses.values():
        if type(loss) is not KDLoss:
            return None
        terms.append(dict(weight=float(loss.loss_weight), tau=float(loss.tau)))
    return terms


def hand_kd_loss(student, teacher, x, y, gamma: float, terms: List[dict]) -> torch.Tensor:
    """``γ·CE(s, y) + Σ w·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))`` (batch mean), written by hand."""
    with torch.no_grad():
        t_logits = teacher(x, mode='tensor')
    s_logits = student(x, mode='tensor')
    loss = gamma * F.cross_entropy(s_logits, y)
    for term in terms:
        tau = term['tau']
        loss = loss + term['weight'] * F.kl_div(
            F.log_softmax(s_logits / tau, 1), F.softmax(t_logits / tau, 1),
            reduction='batchmean') * tau * tau
    return loss


def build_hand_loop(runner, device: str) -> Optional[Callable[[int], List[float]]]:
    """A plain PyTorch loop with the config's own student and teacher modules (copies), the
    same CE + KD weights, SGD settings, batch size and worker count; ``None`` when the config is
    not a logit-KD single-teacher config (other families report mmkd's own breakdown)."""
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    terms = logit_kd_terms(model)
    if terms is None or not hasattr(model, 'teacher'):
        return None
    import numpy as np
    loader = runner.train_dataloader
    dataset = loader.dataset
    raw = [dataset.get_data_info(i) for i in range(len(dataset))]
    images = np.stack([r['img'] for r in raw])
    labels = [int(r['gt_label']) for r in raw]
    pre = model.data_preprocessor
    mean = pre.mean.flatten().tolist()
    std = pre.std.flatten().tolist()
    hand_data = torch.utils.data.DataLoader(
        _HandCIFAR(images, labels, mean, std), batch_size=loader.batch_size, shuffle=True,
        num_workers=loader.num_workers, drop_last=True,
        persistent_workers=loader.num_workers > 0)
    student = copy.deepcopy(model.student).to(device).train()
    teacher = copy.deepcopy(model.teacher).to(device).eval()
    opt_cfg = runner.cfg.optim_wrapper.optimizer
    optimizer = torch.optim.SGD(student.parameters(), lr=opt_cfg.lr,
                                momentum=opt_cfg.get('momentum', 0),
                                weight_decay=opt_cfg.get('weight_decay', 0),
                                nesterov=opt_cfg.get('nesterov', False))
    gamma = float(getattr(model, 'student_loss_weight', 1.0))
    state = dict(it=None)

    def next_batch():
        while True:
            if state['it'] is None:
                state['it'] = iter(hand_data)
            try:
                return next(state['it'])
            except StopIteration:
                state['it'] = None

    def run(n: int) -> List[float]:
        times = []
        for _ in range(n):
            _sync(device)
            t = time.perf_counter()
            x, y = next_batch()
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = hand_kd_loss(student, teacher, x, y, gamma, terms)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            _sync(device)
            times.append(time.perf_counter() - t)
        return times

    return run


def format_result(config: str, result: Dict) -> str:
    ms = 1000
    lines = [f'config: {config}',
             f'device: {result["device"]}   batch: {result["batch_size"]}   '
             f'rounds: {len(result["rounds"])}',
             f'mmkd: {result["s_per_iter"]:.4f} s/iter   {result["images_per_s"]:.1f} images/s'
             f'   (rounds: {", ".join(f"{r:.4f}" for r in result["rounds"])})',
             '  per iteration: ' + '   '.join(
                 f'{k} {v * ms:.1f} ms' for k, v in result['parts'].items()),
             '  train_step: ' + '   '.join(
                 f'{k} {v * ms:.1f} ms' for k, v in result['step_breakdown'].items())]
    mem = 'max_memory_allocated' if result['device'] == 'cuda' else 'peak process RSS'
    lines.append(f'  {mem}: {result["peak_memory_mb"]:.0f} MiB')
    if 'hand_s_per_iter' in result:
        lines.append(f'hand loop: {result["hand_s_per_iter"]:.4f} s/iter   (rounds: '
                     f'{", ".join(f"{r:.4f}" for r in result["hand_rounds"])})')
        lines.append(f'hand/mmkd: {result["hand_over_mmkd"]:.3f}')
    return '\n'.join(lines)
