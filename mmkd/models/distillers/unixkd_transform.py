"""UNIXKD's uncertainty-aware mixup as a batch transform.

Xu, Liu, Loy, "Computation-Efficient Knowledge Distillation via Uncertainty-Aware Mixup"
(arXiv 2012.09413, §3; Pattern Recognition 138, 2023). Reference: ``student_v0.py`` of
xuguodong03/UNIXKD (one training iteration, lines 122-205). Each training step:

1. **Uncertainty pass.** The student runs on the whole clean batch of ``n ≤ B`` samples under
   ``no_grad``, in *train* mode as in the reference (its BatchNorm running statistics are updated
   by this pass; ``uncertainty_mode='eval'`` is the behavioural change that leaves them alone).
   ``p = softmax(logits)`` (T = 1).
2. **Scores** (``strategy``): ``random`` (uniform noise, reference strategy 0),
   ``least_confidence`` ``1 − max p`` (1), ``margin`` ``−(p_top1 − p_top2)`` (2), ``entropy``
   ``−Σ p log p`` (3, the UNIX setting). ``rank`` = indices by score, **descending** (most
   uncertain first).
3. **Mask.** ``mask[r] = λ · sigmoid(w · (r/B − m))``, ``m = (2b − 1)/(2B)``, r = 0..n−1 the sorted
   position, B the *nominal* batch size (the reference divides by ``--batch-size`` also for the
   last, shorter batch) and one ``λ ~ Beta(1, 1)`` per iteration for the whole batch.
4. **Mixup** with a random permutation ``perm`` of the **whole** clean batch (partners may be
   samples that are dropped next, or the sample itself):
   ``x̃[r] = (1 − mask[r]) · x[rank[r]] + mask[r] · x[perm[r]]``.
5. **Truncation** to the ``k`` most uncertain positions: teacher and student then see only
   ``x̃[:k]``; the ``n − k`` most certain samples cost neither a teacher query nor a backward pass.

The rewritten batch fields hold the per-sample fields of the primary samples (``labels`` =
``y[rank[:k]]``, ``sample_idx``, ...) plus ``mix_labels`` (``y[perm[:k]]``) and ``mix_weights``
(``mask[:k]``), what the reference's (dormant) mixup CE reads, see
:class:`~mmkd.models.losses.UNIXMixupCELoss`.

**Computation.** Conventional KD costs ``n·(F_t + 2F_s)`` per batch (teacher forward, student
forward and backward counted as one forward); UNIXKD costs ``n·F_s + k·(F_t + 2F_s)``. The logged
fraction is their ratio, ``k/n + F_s/(F_t + 2F_s)`` (= ``k/B + F_s/(F_t + 2F_s)`` on full batches;
it reproduces the computation percentages of the reference README from its ``Ft/Fs`` column).
``F`` is measured per sample from the two networks (mmengine's FLOP counter, one multiply-add =
one FLOP) by :meth:`UNIXKDBatchTransform.bind` or given as ``flops``.

**Randomness** (scores of ``random``, ``λ``, ``perm``) comes from generators seeded with
``(seed, iteration, rank)``; the iteration counter and the seed are persistent buffers, so a
resumed run draws exactly the numbers of an uninterrupted one, whatever else used the global RNG.
"""
import math
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import get_rank

from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError

#: reference ``--strategy`` numbers → names
STRATEGIES = ('random', 'least_confidence', 'margin', 'entropy')
UNCERTAINTY_MODES = ('train', 'eval')


def resolve_strategy(strategy: Union[str, int]) -> str:
    """A strategy name, from a name or the reference's ``--strategy`` number (0-3)."""
    if isinstance(strategy, bool):
        strategy = str(strategy)
    if isinstance(strategy, int) and 0 <= strategy < len(STRATEGIES):
        return STRATEGIES[strategy]
    if isinstance(strategy, str) and strategy in STRATEGIES:
        return strategy
    raise ConfigError(f'Unknown UNIXKD strategy {strategy!r}; use one of {", ".join(STRATEGIES)} '
                      '(or the reference numbers 0-3).')


def uncertainty_scores(logits: torch.Tensor,
                       strategy: str,
                       generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """Per-sample scores, larger = more uncertain (reference ``student_v0.py`` lines 132-153).

    ``p = softmax(logits)``; least confidence ``1 − max p``; margin ``−(p_top1 − p_top2)``;
    entropy ``−Σ p log p`` (``0 log 0 = 0``); random: ``U(0, 1)`` from ``generator``.
    """
    n = logits.shape[0]
    if strategy == 'random':
        return torch.rand(n, generator=generator).to(logits.device)
    probs = F.softmax(logits.float(), dim=1)
    if strategy == 'least_confidence':
        return 1 - probs.max(dim=1)[0]
    if strategy == 'margin':
        top2 = probs.topk(2, dim=1)[0]
        return -(top2[:, 0] - top2[:, 1])
    if strategy == 'entropy':
        return -torch.special.xlogy(probs, probs).sum(dim=1)
    raise ConfigError(f'Unknown UNIXKD strategy {strategy!r}.')


def sort_by_uncertainty(scores: torch.Tensor) -> torch.Tensor:
    """Indices of ``scores`` in descending order (ties keep batch order)."""
    return torch.argsort(scores, descending=True, stable=True)


def mask_prototype(n: int, batch_size: int, b: int, w: float, device=None) -> torch.Tensor:
    """``sigmoid(w · (r/B − (2b − 1)/(2B)))`` for sorted positions ``r = 0..n−1`` (float32)."""
    r = torch.arange(n, device=device).float()
    m = (2 * b - 1) / (2 * batch_size)
    return 1 / (1 + torch.exp(-w * (r / batch_size - m)))


def mix_and_truncate(inputs: torch.Tensor, rank: torch.Tensor, perm: torch.Tensor,
                     mask: torch.Tensor, k: int) -> torch.Tensor:
    """``x̃[r] = (1 − mask[r]) · x[rank[r]] + mask[r] · x[perm[r]]`` for ``r < k``."""
    k = min(k, inputs.shape[0])
    m = mask[:k].to(inputs.dtype).view(-1, *([1] * (inputs.dim() - 1)))
    return (1 - m) * inputs[rank[:k]] + m * inputs[perm[:k]]


def computation_fraction(kept: float, total: float, flops_student: float,
                         flops_teacher: float) -> float:
    """Compute of UNIXKD relative to conventional KD on the same ``total`` samples:
    ``(total·F_s + kept·(F_t + 2F_s)) / (total·(F_t + 2F_s))``."""
    step = flops_teacher + 2 * flops_student
    return (total * flops_student + kept * step) / (total * step)


def measure_flops(classifier: nn.Module, input_size: Tuple[int, int]) -> float:
    """Forward FLOPs of ``classifier`` on one ``3×H×W`` image (mmengine's counter: one
    multiply-add of a convolution / linear layer / matmul = one FLOP; batch norm counted too)."""
    import logging

    from mmengine.analysis import FlopAnalyzer
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    was_training = classifier.training
    classifier.eval()
    try:
        param = next(classifier.parameters(), None)
        device = param.device if param is not None else 'cpu'
        with torch.no_grad():
            analyzer = FlopAnalyzer(classifier, (torch.zeros(1, 3, *input_size, device=device), ))
            analyzer.unsupported_ops_warnings(False)
            analyzer.uncalled_modules_warnings(False)
            return float(analyzer.total())
    finally:
        classifier.train(was_training)
        logger.setLevel(level)


@MODELS.register_module()
class UNIXKDBatchTransform(nn.Module):
    """Uncertainty-aware selection, mixup and truncation of a training batch (UNIXKD).

    Args:
        batch_size: the nominal batch size ``B`` (``train_dataloader.batch_size``, per process).
            A shorter last batch is handled as in the reference (mask positions still ``r/B``,
            ``min(k, n)`` samples kept).
        k: samples kept for the teacher query and the gradient step (1..B).
        b: the sorted position the sigmoid ramp is centred on (0..B).
        w: steepness of the ramp (UNIX: 10; ``1000`` with ``b = B`` means no mixing).
        strategy: ``'random'``, ``'least_confidence'``, ``'margin'`` or ``'entropy'`` (or the
            reference numbers 0-3).
        uncertainty_mode: ``'train'`` (reference: the selection pass updates the student's
            BatchNorm statistics) or ``'eval'`` (selection with running statistics, no update).
        seed: seed of the transform's random numbers; ``None`` takes the process's initial torch
            seed when the model is built (mmengine's ``randomness.seed``). Saved in checkpoints.
        flops: ``dict(student=F_s, teacher=F_t)`` per-sample forward FLOPs; ``None`` measures
            them from the networks in :meth:`bind`.
    """

    def __init__(self,
                 batch_size: int = 64,
                 k: int = 48,
                 b: int = 32,
                 w: float = 10.0,
                 strategy: Union[str, int] = 'entropy',
                 uncertainty_mode: str = 'train',
                 seed: Optional[int] = None,
                 flops: Optional[Dict[str, float]] = None):
        super().__init__()
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f'UNIXKD batch_size must be a positive int (the per-process '
                              f'train_dataloader.batch_size), got {batch_size!r}.')
        if not isinstance(k, int) or not 1 <= k <= batch_size:
            raise ConfigError(f'UNIXKD k={k!r} must be an int in [1, batch_size={batch_size}] '
                              '(the number of samples kept per batch).')
        if not isinstance(b, int) or not 0 <= b <= batch_size:
            raise ConfigError(f'UNIXKD b={b!r} must be an int in [0, batch_size={batch_size}] '
                              '(the sorted position the mixing ramp is centred on).')
        if not isinstance(w, (int, float)) or not math.isfinite(w) or w < 0:
            raise ConfigError(f'UNIXKD w={w!r} must be a finite number >= 0 (ramp steepness).')
        if uncertainty_mode not in UNCERTAINTY_MODES:
            raise ConfigError(f'UNIXKD uncertainty_mode must be one of {UNCERTAINTY_MODES}, got '
                              f'{uncertainty_mode!r}.')
        self.batch_size = batch_size
        self.k = k
        self.b = b
        self.w = float(w)
        self.strategy = resolve_strategy(strategy)
        self.uncertainty_mode = uncertainty_mode
        self.flops_student: Optional[float] = None
        self.flops_teacher: Optional[float] = None
        if flops is not None:
            self.set_flops(flops.get('student'), flops.get('teacher'))
        if seed is None:
            seed = torch.initial_seed()
        # persistent state: checkpoints carry it, so --resume continues the same random stream
        self.register_buffer('seed', torch.tensor(int(seed) % 2**63, dtype=torch.int64))
        self.register_buffer('iteration', torch.tensor(0, dtype=torch.int64))
        # epoch accounting: [epoch, samples seen, samples kept]
        self.register_buffer('epoch_counts', torch.tensor([-1, 0, 0], dtype=torch.int64))

    # ------------------------------------------------------------------ set-up
    def set_flops(self, flops_student, flops_teacher) -> None:
        for name, value in (('student', flops_student), ('teacher', flops_teacher)):
            if not isinstance(value, (int, float)) or not value > 0:
                raise ConfigError(f'UNIXKD flops.{name} must be a positive number (per-sample '
                                  f'forward FLOPs), got {value!r}.')
        self.flops_student = float(flops_student)
        self.flops_teacher = float(flops_teacher)

    def bind(self, student: nn.Module, teacher: nn.Module,
             input_size: Tuple[int, int] = (32, 32)) -> None:
        """Measure the per-sample FLOPs of the two networks (unless given as ``flops``)."""
        if self.flops_student is None:
            self.set_flops(measure_flops(student, input_size), measure_flops(teacher, input_size))

    @property
    def teacher_flops_ratio(self) -> Optional[float]:
        """``F_t / F_s`` (the reference README's ``Ft/Fs`` column)."""
        if self.flops_student is None:
            return None
        return self.flops_teacher / self.flops_student

    def nominal_computation(self) -> Optional[float]:
        """``k/B + F_s/(F_t + 2F_s)`` (full batches)."""
        if self.flops_student is None:
            return None
        return computation_fraction(self.k, self.batch_size, self.flops_student, self.flops_teacher)

    def set_epoch(self, epoch: int) -> None:
        """Start the accounting of a new epoch (called by ``DistillationEpochHook``)."""
        if int(self.epoch_counts[0]) != epoch:
            self.epoch_counts.copy_(torch.tensor([epoch, 0, 0]))

    def epoch_summary(self) -> dict:
        """Samples seen / kept, teacher forwards saved and computation of the current epoch."""
        epoch, seen, kept = (int(v) for v in self.epoch_counts)
        out = dict(
            epoch=epoch, samples=seen, teacher_forwards=kept, teacher_forwards_saved=seen - kept)
        if self.flops_student is not None and seen:
            out['computation'] = computation_fraction(kept, seen, self.flops_student,
                                                      self.flops_teacher)
        return out

    # ------------------------------------------------------------------ random numbers
    def generators(self, iteration: int) -> Tuple[torch.Generator, np.random.Generator]:
        """Generators for one iteration, from ``(seed, iteration, rank)`` only."""
        state = np.random.SeedSequence(
            [int(self.seed) % 2**32,
             int(self.seed) // 2**32, iteration,
             get_rank()])
        torch_seed, numpy_seed = state.generate_state(2, dtype=np.uint64)
        gen = torch.Generator(device='cpu')
        gen.manual_seed(int(torch_seed) % 2**63)
        return gen, np.random.default_rng(int(numpy_seed))

    # ------------------------------------------------------------------ the step
    def uncertainty_logits(self, inputs: torch.Tensor, student: nn.Module) -> torch.Tensor:
        """The student's logits on the clean batch, without gradient (see ``uncertainty_mode``)."""
        was_training = student.training
        student.train(self.uncertainty_mode == 'train')
        try:
            with torch.no_grad():
                logits = student(inputs, mode='tensor')
        finally:
            student.train(was_training)
        if isinstance(logits, (tuple, list)):
            logits = logits[-1]
        return logits.detach()

    def select(self, logits: torch.Tensor, iteration: int):
        """``(rank, perm, mask, λ)`` for one batch (the numbers the mixup uses)."""
        n = logits.shape[0]
        gen, rng = self.generators(iteration)
        scores = uncertainty_scores(logits, self.strategy, gen)
        rank = sort_by_uncertainty(scores)
        lam = float(rng.beta(1.0, 1.0))
        mask = self.mixing_mask(n, lam, device=logits.device)
        perm = torch.randperm(n, generator=gen).to(logits.device)
        return rank, perm, mask, lam

    def mixing_mask(self, n: int, lam: float, device=None) -> torch.Tensor:
        """``λ · sigmoid(w · (r/B − (2b − 1)/(2B)))`` for the ``n`` sorted positions."""
        return lam * mask_prototype(n, self.batch_size, self.b, self.w, device=device)

    def rewrite(self, inputs: torch.Tensor, data_samples, fields: dict, rank: torch.Tensor,
                perm: torch.Tensor, mask: torch.Tensor):
        """The rewritten batch for given ``rank``, ``perm`` and ``mask`` (steps 4-5):
        ``(x̃[:k], data samples of rank[:k], fields of rank[:k] + mix_labels/mix_weights)``."""
        n = inputs.shape[0]
        kept = min(self.k, n)
        mixed = mix_and_truncate(inputs, rank, perm, mask, kept)
        primary, partner = rank[:kept], perm[:kept]
        new_fields = {}
        for name, value in fields.items():
            if torch.is_tensor(value) and value.dim() > 0 and value.shape[0] == n:
                new_fields[name] = value[primary]
            else:
                new_fields[name] = value
        if 'labels' in fields:
            new_fields['mix_labels'] = fields['labels'][partner]
        new_fields['mix_weights'] = mask[:kept].detach()
        if data_samples is not None:
            data_samples = [data_samples[i] for i in primary.tolist()]
        return mixed, data_samples, new_fields

    def forward(self, inputs: torch.Tensor, data_samples, fields: dict, student: nn.Module):
        n = inputs.shape[0]
        if n > self.batch_size:
            raise ConfigError(
                f'UNIXKD got a batch of {n} samples but batch_size={self.batch_size}; set '
                'model.batch_transform.batch_size to train_dataloader.batch_size.')
        logits = self.uncertainty_logits(inputs, student)
        rank, perm, mask, lam = self.select(logits, int(self.iteration))
        mixed, data_samples, new_fields = self.rewrite(inputs, data_samples, fields, rank, perm,
                                                       mask)
        kept = mixed.shape[0]

        self.iteration += 1
        self.epoch_counts[1] += n
        self.epoch_counts[2] += kept
        log_vars = dict(
            unix_lambda=torch.tensor(lam),
            unix_kept=torch.tensor(float(kept)),
            unix_teacher_saved=torch.tensor(float(n - kept)))
        if self.flops_student is not None:
            log_vars['unix_computation'] = torch.tensor(
                computation_fraction(kept, n, self.flops_student, self.flops_teacher))
            log_vars['unix_epoch_computation'] = torch.tensor(self.epoch_summary()['computation'])
        log_vars['unix_epoch_teacher_saved'] = torch.tensor(
            float(self.epoch_counts[1] - self.epoch_counts[2]))
        return mixed, data_samples, new_fields, log_vars

    def extra_repr(self) -> str:
        return (f'batch_size={self.batch_size}, k={self.k}, b={self.b}, w={self.w}, '
                f'strategy={self.strategy!r}, uncertainty_mode={self.uncertainty_mode!r}')
