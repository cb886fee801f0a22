"""Time training iterations of any mmkd config, and the same math as a plain PyTorch loop.

:class:`BenchmarkTrainLoop` replaces a config's training loop (``train_cfg``); everything else is
what ``tools/train.py`` builds: the Runner, its hooks, the model's ``train_step``, the optimizer
wrappers, the dataloader with the config's workers. It runs ``rounds`` rounds of ``warmup`` +
``iters`` iterations; with a hand loop (``compare``) each round also times the hand loop for as
many iterations right after, so both see the same machine load.

Two clocks per round: **wall** time of the timed iterations, and **CPU** time of the work they
did: the main process (``time.process_time``: every thread) plus the loader's worker processes
(``/proc/<pid>/stat``). Before a round starts and after it ends the loop waits until every loader
worker is idle (its prefetch queue full), so a round's worker CPU is exactly the production of the
batches it consumed and no side's workers run during the other side's round. CPU time is what a
shared machine does not inflate much; wall time is what a quiet machine shows.

Timings per iteration (seconds): ``data`` (waiting for the dataloader), ``hooks`` (the Runner's
before/after-iteration hooks: timer, logger, NaN guard, ...), ``step`` (``model.train_step``). An
extra instrumented pass splits ``step`` into ``preprocess`` (data preprocessor), ``forward:<net>``
for each top-level network (teacher, student, peers; a network run twice counts twice), ``backward``
(``OptimWrapper.backward``), ``optimizer`` (``step`` + ``zero_grad``) and ``losses+other`` (the
rest: loss functions, batch transforms, connectors, bookkeeping). On CUDA the instrumented pass
synchronises around every timed region; the throughput rounds do not.
"""
import copy
import os
import resource
import statistics
import time
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapper, OptimWrapperDict
from mmengine.runner import EpochBasedTrainLoop

from mmkd.registry import LOOPS

_TICKS = os.sysconf('SC_CLK_TCK') if hasattr(os, 'sysconf') else 100


def _sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


# ------------------------------------------------------------------------------- CPU clocks
def worker_pids(loader_iter) -> List[int]:
    """The pids of a DataLoader iterator's worker processes (none with ``num_workers=0``)."""
    return [w.pid for w in getattr(loader_iter, '_workers', None) or [] if w.pid is not None]


def process_cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of the processes ``pids`` so far (gone ones count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat') as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)
    return total / _TICKS


def settle(pids: Sequence[int], timeout: float = 10.0, quiet: float = 0.15) -> None:
    """Wait until the processes ``pids`` stop using CPU (loader workers with a full queue)."""
    if not pids:
        return
    deadline = time.perf_counter() + timeout
    last = process_cpu_seconds(pids)
    while time.perf_counter() < deadline:
        time.sleep(quiet)
        now = process_cpu_seconds(pids)
        if now == last:
            return
        last = now


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
    return {
        name: child
        for name, child in model.named_children()
        if name not in skip and any(True for _ in child.parameters())
    }


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

    Attributes:
        hand_loop: ``None`` or a :class:`HandLoop` (built by :func:`build_hand_loop` after the
            model exists; set by the tool), timed right after each of mmkd's rounds.
    """

    def __init__(self,
                 runner,
                 dataloader,
                 iters: int = 20,
                 warmup: int = 5,
                 rounds: int = 3,
                 device: str = 'cpu',
                 **kwargs):
        kwargs.setdefault('max_epochs', 1)
        kwargs.pop('val_interval', None)
        kwargs.pop('val_begin', None)
        kwargs.pop('by_epoch', None)
        super().__init__(runner, dataloader, val_interval=10**9, **kwargs)
        self.iters, self.warmup, self.rounds, self.device = iters, warmup, rounds, device
        self.hand_loop: Optional['HandLoop'] = None
        self.result: Dict = {}
        self._loader_iter = None

    def _batches(self):
        while True:
            self._loader_iter = iter(self.dataloader)
            for batch in self._loader_iter:
                yield batch

    def _all_worker_pids(self) -> List[int]:
        pids = worker_pids(self._loader_iter)
        if self.hand_loop is not None:
            pids += self.hand_loop.worker_pids()
        return pids

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
            self.runner.call_hook(
                'after_train_iter', batch_idx=self._iter, data_batch=batch, outputs=outputs)
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

    def _measured(self, run: Callable[[int], object], pids: Callable[[], List[int]]):
        """Warm up, then time ``iters`` iterations of ``run``: (its result, CPU s/iter)."""
        run(self.warmup)
        settle(self._all_worker_pids())
        workers0 = process_cpu_seconds(pids())
        children0 = _children_cpu()
        main0 = time.process_time()
        out = run(self.iters)
        main = time.process_time() - main0
        settle(self._all_worker_pids())
        workers = process_cpu_seconds(pids()) - workers0 + _children_cpu() - children0
        return out, (main + workers) / self.iters

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
            for method, name in (('backward', 'backward'), ('step', 'optimizer'), ('zero_grad',
                                                                                   'optimizer')):
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
        per_round, cpu_rounds, hand_rounds, hand_cpu = [], [], [], []
        for _ in range(self.rounds):
            rows, cpu = self._measured(lambda n: self._timed_iters(batches, n),
                                       lambda: worker_pids(self._loader_iter))
            per_round.append(rows)
            cpu_rounds.append(cpu)
            if self.hand_loop is not None:
                times, cpu = self._measured(self.hand_loop, self.hand_loop.worker_pids)
                hand_rounds.append(times)
                hand_cpu.append(cpu)
        breakdown = self._instrumented(batches, max(self.iters // 2, 3))
        self.result = summarize(per_round, hand_rounds, breakdown, self.device,
                                self.dataloader.batch_size, cpu_rounds, hand_cpu)
        self.result.update(
            load_after=_loadavg(),
            num_workers=self.dataloader.num_workers,
            persistent_workers=bool(getattr(self.dataloader, 'persistent_workers', False)),
            torch_threads=torch.get_num_threads(),
            cores=_cores())
        return self.runner.model


def _children_cpu() -> float:
    """CPU seconds of reaped child processes (non-persistent loader workers of past epochs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _loadavg():
    try:
        return os.getloadavg()
    except OSError:
        return None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _median_of_rounds(rounds: List[List[dict]], key: str) -> float:
    return statistics.median(statistics.fmean(r[key] for r in rows) for rows in rounds)


def summarize(per_round, hand_rounds, breakdown, device, batch_size, cpu_rounds=(),
              hand_cpu=()) -> Dict:
    """s/iter, images/s, parts and breakdown; with a hand loop, hand/mmkd by wall time (median
    over rounds; and the median of the per-round ratios, each round's pair measured back to
    back) and by CPU time."""
    s_iter = _median_of_rounds(per_round, 'total')
    walls = [statistics.fmean(r['total'] for r in rows) for rows in per_round]
    result = dict(
        s_per_iter=s_iter,
        images_per_s=batch_size / s_iter,
        batch_size=batch_size,
        rounds=walls,
        peak_memory_mb=peak_memory_mb(device),
        device=device,
        parts={k: _median_of_rounds(per_round, k)
               for k in ('data', 'hooks', 'step')})
    if cpu_rounds:
        result.update(cpu_s_per_iter=statistics.median(cpu_rounds), cpu_rounds=list(cpu_rounds))
    keys = sorted({k for row in breakdown for k in row} - {'total', 'data', 'hooks', 'step'})
    result['step_breakdown'] = {
        k: statistics.fmean(row.get(k, 0.0) for row in breakdown)
        for k in keys
    }
    if hand_rounds:
        hand_walls = [statistics.fmean(rows) for rows in hand_rounds]
        hand = statistics.median(hand_walls)
        result.update(
            hand_s_per_iter=hand,
            hand_over_mmkd=hand / s_iter,
            hand_rounds=hand_walls,
            hand_over_mmkd_paired=statistics.median(h / m for h, m in zip(hand_walls, walls)))
        if hand_cpu and cpu_rounds:
            result.update(
                hand_cpu_s_per_iter=statistics.median(hand_cpu),
                hand_cpu_rounds=list(hand_cpu),
                cpu_hand_over_mmkd=statistics.median(hand_cpu) / statistics.median(cpu_rounds),
                cpu_hand_over_mmkd_paired=statistics.median(h / m
                                                            for h, m in zip(hand_cpu, cpu_rounds)))
    return result


# ------------------------------------------------------------------------------- hand loop
class _HandCIFAR(torch.utils.data.Dataset):
    """The reference scripts' pipeline: PIL image -> RandomCrop(32, 4) -> flip -> ToTensor ->
    Normalize, from the same images the config's dataset holds."""

    def __init__(self, images, labels, mean, std):
        import torchvision.transforms as T
        self.images, self.labels = images, labels
        self.transform = T.Compose([
            T.RandomCrop(32, padding=4),
            T.RandomHorizontalFlip(),
            T.ToTensor(),
            T.Normalize([m / 255 for m in mean], [s / 255 for s in std])
        ])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        from PIL import Image
        return self.transform(Image.fromarray(self.images[i])), self.labels[i]


def _plain_ce_head(classifier) -> bool:
    loss = getattr(getattr(classifier, 'head', None), 'loss_module', None)
    return (type(loss).__name__ == 'CrossEntropyLoss' and not getattr(loss, 'use_sigmoid', False)
            and not getattr(loss, 'use_soft', False) and getattr(loss, 'class_weight', None) is None
            and float(getattr(loss, 'loss_weight', 1.0)) == 1.0)


def logit_kd_terms(model) -> Optional[List[dict]]:
    """``[{weight, tau, source}]`` when every distillation loss of ``model`` is Hinton KD between
    the same outputs of student and teacher — the final logits, or (HSAKD) an auxiliary branch's
    logits ``'aux_logits:<i>'`` — with no connector, schedule or init stage, and the only batch
    transform (if any) is HSAKD's 4-rotation batch: what the hand loop reproduces. Else ``None``.
    """
    from mmkd.models.losses.kd import KDLoss
    from mmkd.models.utils.rotation import RotationBatch
    losses = getattr(model, 'distill_losses', None)
    wiring = getattr(model, 'wiring', None)
    transform = getattr(model, 'batch_transform', None)
    if losses is None or wiring is None or not hasattr(model, 'teacher'):
        return None
    if transform is not None and type(transform) is not RotationBatch:
        return None
    if len(model.connectors) or getattr(model, 'init_epochs', 0) or \
            not _plain_ce_head(model.student):
        return None
    terms = []
    for name, loss in losses.items():
        entry = wiring.entries[name]
        source = entry.student_source
        if type(loss) is not KDLoss or source != entry.teacher_source or entry.schedule \
                or entry.stage != 'main' or entry.student_preact or entry.teacher_preact:
            return None
        if not (source == 'logits' or
                (isinstance(source, str) and source.startswith('aux_logits:'))):
            return None
        terms.append(dict(weight=float(loss.loss_weight), tau=float(loss.tau), source=source))
    return terms


def rotate4(x: torch.Tensor) -> torch.Tensor:
    """HSAKD train_student_cifar.py: ``stack([rot90(x, k, (2, 3)) for k in 0..3], 1)`` as
    ``[4N, C, H, W]`` (sample-major)."""
    return torch.stack([torch.rot90(x, k, (2, 3)) for k in range(4)], 1).view(-1, *x.shape[1:])


def hand_kd_loss(student,
                 teacher,
                 x,
                 y,
                 gamma: float,
                 terms: List[dict],
                 rotate: bool = False) -> torch.Tensor:
    """``γ·CE(s, y) + Σ w·τ²·KL(softmax(t/τ) ‖ softmax(s/τ))`` (batch mean), written by hand.

    With ``rotate`` (HSAKD, winycg/HSAKD ``train_student_cifar.py``): both networks see the
    4-rotation batch, the teacher's branches on detached features under ``no_grad``, the CE reads
    the unrotated rows ``0::4`` and each KL runs over all 4N rows (branch terms on the branch
    logits ``[4N, 4C]``).
    """
    if rotate:
        x = rotate4(x)
    aux = any(t['source'] != 'logits' for t in terms)
    with torch.no_grad():
        if aux:
            out = teacher.forward_aux(x, detach_features=True)
            t_logits, t_aux = out.logits, out.ss_logits
        else:
            t_logits, t_aux = teacher(x, mode='tensor'), None
    if aux:
        out = student.forward_aux(x)
        s_logits, s_aux = out.logits, out.ss_logits
    else:
        s_logits, s_aux = student(x, mode='tensor'), None
    loss = gamma * F.cross_entropy(s_logits[0::4] if rotate else s_logits, y)
    for term in terms:
        tau, source = term['tau'], term['source']
        if source == 'logits':
            s, t = s_logits, t_logits
        else:
            i = int(source.split(':')[1])
            s, t = s_aux[i], t_aux[i]
        loss = loss + term['weight'] * F.kl_div(
            F.log_softmax(s / tau, 1), F.softmax(t / tau, 1), reduction='batchmean') * tau * tau
    return loss


class HandLoop:
    """A plain PyTorch training loop: ``loop(n)`` runs ``n`` iterations and returns the wall
    seconds of each; ``worker_pids()`` its loader's workers (for the CPU clock)."""

    def __init__(self, student, teacher, loader, optimizer, gamma, terms, rotate, device):
        self.student, self.teacher, self.loader = student, teacher, loader
        self.optimizer, self.gamma, self.terms = optimizer, gamma, terms
        self.rotate, self.device = rotate, device
        self._iter = None

    def worker_pids(self) -> List[int]:
        return worker_pids(self._iter)

    def _next_batch(self):
        while True:
            if self._iter is None:
                self._iter = iter(self.loader)
            try:
                return next(self._iter)
            except StopIteration:
                self._iter = None

    def __call__(self, n: int) -> List[float]:
        times, device = [], self.device
        for _ in range(n):
            _sync(device)
            t = time.perf_counter()
            x, y = self._next_batch()
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            loss = hand_kd_loss(self.student, self.teacher, x, y, self.gamma, self.terms,
                                self.rotate)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            _sync(device)
            times.append(time.perf_counter() - t)
        return times


def build_hand_loop(runner, device: str) -> Optional[HandLoop]:
    """A plain PyTorch loop with the config's own student and teacher modules (copies), the
    same CE + KD weights, SGD settings, batch size and worker count; ``None`` when the config is
    not a logit-KD single-teacher or HSAKD config (other families report mmkd's own breakdown)."""
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    terms = logit_kd_terms(model)
    if terms is None:
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
    workers = loader.num_workers
    hand_data = torch.utils.data.DataLoader(
        _HandCIFAR(images, labels, mean, std),
        batch_size=loader.batch_size,
        shuffle=True,
        num_workers=workers,
        drop_last=True,
        persistent_workers=workers > 0)
    student = copy.deepcopy(model.student).to(device).train()
    teacher = copy.deepcopy(model.teacher).to(device).eval()
    opt_cfg = runner.cfg.optim_wrapper.optimizer
    if opt_cfg.get('type', 'SGD') != 'SGD':
        return None
    optimizer = torch.optim.SGD(
        student.parameters(),
        lr=opt_cfg.lr,
        momentum=opt_cfg.get('momentum', 0),
        weight_decay=opt_cfg.get('weight_decay', 0),
        nesterov=opt_cfg.get('nesterov', False))
    gamma = float(getattr(model, 'student_loss_weight', 1.0))
    return HandLoop(
        student,
        teacher,
        hand_data,
        optimizer,
        gamma,
        terms,
        rotate=model.batch_transform is not None,
        device=device)


def format_result(config: str, result: Dict, command: str = '') -> str:
    ms = 1000
    lines = [f'config: {config}']
    if command:
        lines.append(f'command: {command}')
    lines.append(f'device: {result["device"]}   batch: {result["batch_size"]}   '
                 f'rounds: {len(result["rounds"])}   cores: {result.get("cores", "?")}   '
                 f'torch threads: {result.get("torch_threads", "?")}   '
                 f'num_workers: {result.get("num_workers", "?")}'
                 f'{" (persistent)" if result.get("persistent_workers") else ""}')
    load = result.get('load_at_start')
    if load is not None:
        after = result.get('load_after') or (load, )
        lines.append(f'load average (1 min) at start / end: {load:.2f} / {after[0]:.2f}' + (
            '   <- MEASURED UNDER LOAD: other processes were using the CPU when the run started'
            if load >= 0.5 else '   (quiet at start)'))
    lines.append(f'mmkd: {result["s_per_iter"]:.4f} s/iter   {result["images_per_s"]:.1f} '
                 f'images/s   (rounds: {", ".join(f"{r:.4f}" for r in result["rounds"])})')
    if 'cpu_s_per_iter' in result:
        lines.append(f'  CPU time (process + loader workers): {result["cpu_s_per_iter"]:.4f} '
                     f's/iter   (rounds: {", ".join(f"{r:.4f}" for r in result["cpu_rounds"])})')
    lines += [
        '  per iteration: ' + '   '.join(f'{k} {v * ms:.1f} ms'
                                         for k, v in result['parts'].items()),
        '  train_step: ' + '   '.join(f'{k} {v * ms:.1f} ms'
                                      for k, v in result['step_breakdown'].items())
    ]
    mem = 'max_memory_allocated' if result['device'] == 'cuda' else 'peak process RSS'
    lines.append(f'  {mem}: {result["peak_memory_mb"]:.0f} MiB')
    if 'hand_s_per_iter' in result:
        lines.append(f'hand loop: {result["hand_s_per_iter"]:.4f} s/iter   (rounds: '
                     f'{", ".join(f"{r:.4f}" for r in result["hand_rounds"])})')
        if 'hand_cpu_s_per_iter' in result:
            lines.append(f'  CPU time (process + loader workers): '
                         f'{result["hand_cpu_s_per_iter"]:.4f} s/iter   (rounds: '
                         f'{", ".join(f"{r:.4f}" for r in result["hand_cpu_rounds"])})')
        lines.append(f'hand/mmkd: {result["hand_over_mmkd"]:.3f}   (wall; median of per-round '
                     f'ratios {result["hand_over_mmkd_paired"]:.3f})')
        if 'cpu_hand_over_mmkd' in result:
            lines.append(f'hand/mmkd CPU: {result["cpu_hand_over_mmkd"]:.3f}   (median of '
                         f'per-round ratios {result["cpu_hand_over_mmkd_paired"]:.3f})')
    return '\n'.join(lines)
