"""FFSD: common students taught by each other, a fusion module, and a student leader.

Paper: Li et al., "Distilling a Powerful Student Model via Online Knowledge Distillation",
IEEE TNNLS 2022 (arXiv 2103.14473). Reference: SJLeo/FFSD ``CIFARTrainer.py`` (``train_with_test``,
``train_self_distillation_model``, ``self_distillation_loss``, ``lambda_warmup``). The formulas
of every term are in :mod:`mmkd.models.losses.ffsd`.

Parts (each its own optimizer, :class:`~mmkd.models.distillers.online_base.BaseOnlineDistiller`):
``student1`` .. ``studentM`` (common students), ``fusion`` (:class:`FFSDFusionModule`),
``leader`` (the deliverable: same architecture + trans-fusion head), ``decoder_student2`` ..
``decoder_studentM`` and ``decoder_leader`` (:class:`FFSDDecoder`; student 1 has none).

One iteration, in the reference's order (``train_with_test``):

1. forwards, all in train mode, before any update: the leader (``z_L``, its taps, ``P``), the
   students (``z_i``, taps), ``U = concat_i sg F_i^L``, the fusion module (``G``, ``z_f``), and
   ``z_ens = mean_i z_i``;
2. students in index order, each one step on
   ``CE(z_i, y) + (1/(M−1)) Σ_{j≠i} KD_T(z_i ← sg z_j)`` plus, for ``i ≥ 2``,
   ``λ_div(e) · (L_div(F_i^L; F_{i−1}^L) + Σ_{l<L} AttMSE(F_i^l, D_i(F̃_{i−1})_l))`` with the
   decoder ``D_i`` in eval mode on the shifted map ``F̃_{i−1}`` of student ``i − 1``;
3. the fusion module on ``CE(z_f, y) + KD_T(z_f ← sg z_ens)``;
4. the leader on ``CE(z_L, y) + KD_T(z_L ← sg z_f) + λ_fus(e) · (AttMSE(F_L^L, G) + AttMSE(P, U)
   + Σ_{l<L} AttMSE(F_L^l, D_L(G)_l))`` (``D_L`` in eval mode);
5. the decoders last, in train mode, from the taps stored in step 1:
   ``λ_sd(e) · Σ_{l<L} [FeatMSE(D(sg F^L)_l, sg F^l) + AttMSE(D(sg F^L)_l, sg F^l)]``.

The warm-up ``λ(e) = λ · exp(−5 (1 − e/5)²)`` for the 1-based epochs ``e ≤ 5`` multiplies the
three λ's only (``lambda_warmup``; CE and KD are not warmed up). Each λ takes its factor from a
per-term weight schedule of :mod:`mmkd.models.distillers.weight_schedules` (``weight_schedules``,
default ``ExpRampUp(epochs=5)`` for all three, which is exactly the reference's ``warmup``), with
the 1-based epoch from the 0-based one :class:`~mmkd.engine.hooks.DistillationEpochHook` sets.

Validation reports every network (``OnlineNetworksAccuracy``): the leader (``accuracy/top1``,
what ``save_best`` selects), each student, the fusion module on the students' maps, their mean
accuracy and the reference's "ensemble" (a sample counts when *any* student is right).
"""
from collections import OrderedDict
from typing import Dict, List, Optional

import torch
import torch.nn.functional as F

from mmkd.evaluation import online_accuracy  # noqa: F401  (registers OnlineNetworksAccuracy)
from mmkd.models.losses.ffsd import shifted_feature
from mmkd.registry import MODELS
from mmkd.utils.errors import ConfigError
from .builder_utils import build_classifier
from .online_base import BaseOnlineDistiller
from .weight_schedules import WEIGHT_SCHEDULES, WeightSchedule

#: the λ-weighted terms, in the order of the reference's ``lambda_warmup``
LAMBDA_TERMS = ('diversity', 'fusion', 'self_distillation')
#: the reference warm-up of every λ: ``exp(−5 (1 − e/5)²)`` for the 1-based epochs ``e ≤ 5``
DEFAULT_LAMBDA_SCHEDULE = dict(type='ExpRampUp', epochs=5, scale=5.0)


def build_lambda_schedules(cfgs: Optional[dict]) -> Dict[str, Optional[WeightSchedule]]:
    """The schedule of each λ term from ``weight_schedules={term: cfg | None}``.

    A term that is not given keeps :data:`DEFAULT_LAMBDA_SCHEDULE`; ``None`` means no warm-up
    (factor 1 from the first epoch). Every bad entry is one :class:`ConfigError` line.
    """
    cfgs = {} if cfgs is None else cfgs
    if not isinstance(cfgs, dict):
        raise ConfigError(f'FFSDDistiller: weight_schedules must be a dict {{term: schedule}} '
                          f'with terms {", ".join(LAMBDA_TERMS)}; got {cfgs!r}.')
    unknown = [k for k in cfgs if k not in LAMBDA_TERMS]
    if unknown:
        raise ConfigError(f'FFSDDistiller: weight_schedules has no term '
                          f'{", ".join(map(repr, unknown))}; the warmed-up terms are '
                          f'{", ".join(LAMBDA_TERMS)} (CE and KD are never warmed up).')
    registered = ', '.join(sorted(WEIGHT_SCHEDULES.module_dict))
    schedules = {}
    for term in LAMBDA_TERMS:
        cfg = cfgs.get(term, DEFAULT_LAMBDA_SCHEDULE)
        who = f'FFSDDistiller: weight_schedules.{term}'
        if cfg is None or hasattr(cfg, 'factor'):
            schedules[term] = cfg
            continue
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise ConfigError(f'{who} must be None or a dict with a type (one of {registered}), '
                              f'got {cfg!r}.')
        if WEIGHT_SCHEDULES.get(cfg['type']) is None:
            raise ConfigError(f'{who}: unknown type {cfg["type"]!r}; registered: {registered}.')
        try:
            schedules[term] = WEIGHT_SCHEDULES.build(dict(cfg))
        except ConfigError as err:
            raise ConfigError(f'{who}: {err}') from None
        except TypeError as err:
            # mmengine wraps the constructor's TypeError; its last line names the argument
            raise ConfigError(f'{who}: bad arguments for {cfg["type"]} '
                              f'({str(err).strip().splitlines()[-1]}).') from None
    return schedules


def _backbone_signature(net) -> Dict[str, tuple]:
    return {k: tuple(v.shape) for k, v in net.backbone.state_dict().items()}


@MODELS.register_module()
class FFSDDistiller(BaseOnlineDistiller):
    """FFSD online distillation (two or more common students, a fusion module, a leader).

    Args:
        student: config (path or dict) of a common student, an :class:`FFSDClassifier`
            without trans-fusion head (``configs/_base_/models/ffsd/<arch>.py``).
        leader: config of the student leader: the same architecture with ``trans_fusion``
            (``configs/_base_/models/ffsd/<arch>_leader.py``).
        fusion: config of :class:`FFSDFusionModule`; ``channels``, ``num_classes`` and
            ``model_num`` are filled in from the students when absent.
        decoder: config of :class:`FFSDDecoder` (tap channels deep → shallow); one is built per
            student ``i ≥ 2`` and one for the leader.
        model_num: M, number of common students (reference ``--model_num`` 2; at least 2).
        temperature: T of every KD term (reference 2).
        lambda_diversity, lambda_fusion, lambda_self_distillation: the three λ's (reference
            1e-5, 10, 1000).
        weight_schedules: per-λ warm-up, ``{term: schedule cfg | None}`` for the terms
            ``diversity``, ``fusion``, ``self_distillation`` (schedules of
            :data:`~mmkd.models.distillers.weight_schedules.WEIGHT_SCHEDULES`, 1-based epochs);
            a term left out keeps the reference's ``ExpRampUp(epochs=5)``; ``None`` disables
            that term's warm-up. CE and KD terms are never scheduled.
        eval_all_networks: validation also runs the students and the fusion module (for
            ``OnlineNetworksAccuracy``); ``False`` evaluates the leader only.
        warmup_epochs: removed (use ``weight_schedules``); any value is refused with a message.
    """

    deliverable = 'leader'

    def __init__(self,
                 student,
                 leader,
                 fusion: dict,
                 decoder: dict,
                 model_num: int = 2,
                 temperature: float = 2.0,
                 lambda_diversity: float = 1e-5,
                 lambda_fusion: float = 10.0,
                 lambda_self_distillation: float = 1000.0,
                 weight_schedules: Optional[dict] = None,
                 eval_all_networks: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 warmup_epochs=None):
        if warmup_epochs is not None:  # the argument before per-term schedules
            raise ConfigError(
                'FFSDDistiller(warmup_epochs=...) was replaced by per-term weight schedules: use '
                "weight_schedules=dict(diversity=dict(type='ExpRampUp', epochs=N), fusion=..., "
                'self_distillation=...) (drop it for the reference 5-epoch warm-up).')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        model_num = int(model_num)
        if model_num < 2:
            raise ConfigError(f'FFSDDistiller: model_num must be at least 2 (FFSD trains two or '
                              f'more common students that learn from each other), got '
                              f'{model_num}.')
        self.model_num = model_num
        students = [build_classifier(student) for _ in range(model_num)]
        lead = build_classifier(leader)
        self._check_networks(students[0], lead)
        for i, net in enumerate(students):
            self.add_part(f'student{i + 1}', net)
        channels = lead.trans_fusion_module.channels
        fusion = dict(fusion)
        for key, value in (('channels', channels), ('num_classes', students[0].num_classes),
                           ('model_num', model_num)):
            if fusion.setdefault(key, value) != value:
                raise ConfigError(f'FFSDDistiller: fusion.{key}={fusion[key]} but the students '
                                  f'give {value}; drop it from the config (it is filled in).')
        fusion.setdefault('type', 'FFSDFusionModule')
        self.add_part('fusion', MODELS.build(fusion))
        self.add_part('leader', lead)
        decoder = dict(decoder)
        decoder.setdefault('type', 'FFSDDecoder')
        if int(decoder.get('channels', [0])[0]) != channels:
            raise ConfigError(f'FFSDDistiller: decoder.channels must start with the deepest '
                              f'tap\'s {channels} channels (deep -> shallow), got '
                              f'{decoder.get("channels")}.')
        for i in range(2, model_num + 1):
            self.add_part(f'decoder_student{i}', MODELS.build(decoder))
        self.add_part('decoder_leader', MODELS.build(decoder))

        self.temperature = float(temperature)
        self.lambdas = dict(
            diversity=float(lambda_diversity),
            fusion=float(lambda_fusion),
            self_distillation=float(lambda_self_distillation))
        self.lambda_schedules = build_lambda_schedules(weight_schedules)
        self.eval_all_networks = bool(eval_all_networks)
        self.dml = MODELS.build(dict(type='FFSDMutualLoss', temperature=self.temperature))
        self.kd = MODELS.build(dict(type='FFSDKDLoss', temperature=self.temperature))
        self.diversity = MODELS.build(dict(type='FFSDDiversityLoss', loss_weight=1.0))
        self.attention = MODELS.build(dict(type='FFSDAttentionLoss', loss_weight=1.0))
        self.reconstruction = MODELS.build(dict(type='FFSDReconstructionLoss', loss_weight=1.0))

    # ------------------------------------------------------------------ checks
    def _check_networks(self, student, leader) -> None:
        for role, net in (('student', student), ('leader', leader)):
            if not hasattr(net, 'forward_taps'):
                raise ConfigError(f'FFSDDistiller: the {role} must be an FFSDClassifier '
                                  f'(configs/_base_/models/ffsd/<arch>.py), got '
                                  f'{type(net).__name__}.')
        if student.trans_fusion_module is not None:
            raise ConfigError('FFSDDistiller: the common students must not have a trans-fusion '
                              'head; use configs/_base_/models/ffsd/<arch>.py for `student` and '
                              '<arch>_leader.py for `leader`.')
        if leader.trans_fusion_module is None:
            raise ConfigError('FFSDDistiller: the leader needs its trans-fusion head; use '
                              'configs/_base_/models/ffsd/<arch>_leader.py for `leader`.')
        if (type(student.backbone) is not type(leader.backbone)
                or _backbone_signature(student) != _backbone_signature(leader)
                or student.taps != leader.taps or student.num_classes != leader.num_classes):
            raise ConfigError(
                f'FFSDDistiller: the leader must be the same architecture as the students '
                f'(FFSD trains three copies of one network); got leader '
                f'{type(leader.backbone).__name__} taps {list(leader.taps)} with '
                f'{leader.num_classes} classes vs students {type(student.backbone).__name__} '
                f'taps {list(student.taps)} with {student.num_classes} classes (or different '
                'widths/depths).')
        if leader.trans_fusion_module.model_num != self.model_num:
            raise ConfigError(f'FFSDDistiller: the leader\'s trans-fusion head is built for '
                              f'model_num={leader.trans_fusion_module.model_num} but '
                              f'model_num={self.model_num}; set '
                              f'leader.trans_fusion.model_num={self.model_num}.')

    # ------------------------------------------------------------------ schedule
    def current_lambdas(self) -> Dict[str, float]:
        """The three λ's of the current epoch: each λ times its schedule's factor of the
        1-based epoch (``self.epoch`` is 0-based)."""
        out = {}
        for term, value in self.lambdas.items():
            schedule = self.lambda_schedules[term]
            out[term] = value if schedule is None else value * float(
                schedule.factor(self.epoch + 1))
        return out

    def update_order(self) -> List[str]:
        students = [f'student{i}' for i in range(1, self.model_num + 1)]
        decoders = [f'decoder_student{i}' for i in range(2, self.model_num + 1)]
        return students + ['fusion', 'leader'] + decoders + ['decoder_leader']

    # ------------------------------------------------------------------ training
    def forward_train(self, inputs: torch.Tensor, data_samples) -> dict:
        labels = torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
        leader = self.part('leader')(inputs, mode='taps')
        students = [
            self.part(f'student{i}')(inputs, mode='taps') for i in range(1, self.model_num + 1)
        ]
        fused_input = torch.cat([s['taps'][-1].detach() for s in students], dim=1)
        fused, fusion_logits = self.part('fusion')(fused_input)
        ensemble = sum(s['logits'] for s in students) / self.model_num
        return dict(
            labels=labels,
            leader=leader,
            students=students,
            fused_input=fused_input,
            fused=fused,
            fusion_logits=fusion_logits,
            ensemble=ensemble,
            lambdas=self.current_lambdas())

    def _decode_eval(self, name: str, deepest: torch.Tensor) -> List[torch.Tensor]:
        """Decoder ``name`` in eval mode (running BN statistics), outputs as fixed targets."""
        decoder = self.part(name)
        was_training = decoder.training
        decoder.eval()
        try:
            with torch.no_grad():
                return [d.detach() for d in decoder(deepest.detach())]
        finally:
            decoder.train(was_training)

    def _check_decoded(self, name: str, decoded, taps) -> None:
        shapes = [tuple(d.shape[1:]) for d in decoded]
        wanted = [tuple(t.shape[1:]) for t in taps[:-1]]
        if shapes != wanted:
            raise ConfigError(f'FFSDDistiller: {name} produces maps {shapes} but the shallow '
                              f'taps are {wanted}; set decoder.channels to the tap channels '
                              'deep -> shallow.')

    def part_losses(self, name: str, state: dict) -> Dict[str, torch.Tensor]:
        labels, lam = state['labels'], state['lambdas']
        losses = OrderedDict()
        if name.startswith('student'):
            i = int(name[len('student'):])
            me = state['students'][i - 1]
            peers = [s['logits'] for j, s in enumerate(state['students'], 1) if j != i]
            losses['loss_ce'] = F.cross_entropy(me['logits'], labels)
            losses['loss_dml'] = self.dml(me['logits'], peers)
            if i >= 2:
                prev = state['students'][i - 2]['taps'][-1]
                losses['loss_diversity'] = lam['diversity'] * self.diversity(me['taps'][-1], prev)
                decoded = self._decode_eval(f'decoder_student{i}', shifted_feature(prev))
                self._check_decoded(f'decoder_student{i}', decoded, me['taps'])
                losses['loss_shift_sd'] = lam['diversity'] * self.attention(
                    me['taps'][:-1], decoded)
                losses['lambda_diversity'] = torch.tensor(lam['diversity'])
        elif name == 'fusion':
            logits = state['fusion_logits']
            losses['loss_ce'] = F.cross_entropy(logits, labels)
            losses['loss_kd'] = self.kd(logits, state['ensemble'])
        elif name == 'leader':
            me = state['leader']
            losses['loss_ce'] = F.cross_entropy(me['logits'], labels)
            losses['loss_kd'] = self.kd(me['logits'], state['fusion_logits'])
            losses['loss_fused_att'] = lam['fusion'] * self.attention(me['taps'][-1],
                                                                      state['fused'])
            losses['loss_trans_fusion'] = lam['fusion'] * self.attention(
                me['trans'], state['fused_input'])
            decoded = self._decode_eval('decoder_leader', state['fused'])
            self._check_decoded('decoder_leader', decoded, me['taps'])
            losses['loss_sd'] = lam['fusion'] * self.attention(me['taps'][:-1], decoded)
            losses['lambda_fusion'] = torch.tensor(lam['fusion'])
        elif name.startswith('decoder_'):
            owner = name[len('decoder_'):]
            taps = (
                state['leader']['taps'] if owner == 'leader' else
                state['students'][int(owner[len('student'):]) - 1]['taps'])
            decoded = self.part(name)(taps[-1].detach())
            self._check_decoded(name, decoded, taps)
            feat, att = self.reconstruction(decoded, [t.detach() for t in taps[:-1]])
            losses['loss_feat'] = lam['self_distillation'] * feat
            losses['loss_att'] = lam['self_distillation'] * att
            losses['lambda_self_distillation'] = torch.tensor(lam['self_distillation'])
        else:
            raise KeyError(name)
        return losses

    # ------------------------------------------------------------------ evaluation
    @torch.no_grad()
    def predict(self, inputs: torch.Tensor, data_samples=None):
        """The leader's predictions; each data sample also carries ``network_scores``
        (softmax scores of the leader, every student and the fusion module)."""
        results = self.part('leader')(inputs, data_samples, mode='predict')
        if not self.eval_all_networks:
            return results
        scores = OrderedDict(leader=torch.stack([r.pred_score for r in results]))
        students = [
            self.part(f'student{i}')(inputs, mode='taps') for i in range(1, self.model_num + 1)
        ]
        for i, out in enumerate(students, 1):
            scores[f'student{i}'] = F.softmax(out['logits'], dim=1)
        _, fusion_logits = self.part('fusion')(torch.cat([s['taps'][-1] for s in students], dim=1))
        scores['fusion'] = F.softmax(fusion_logits, dim=1)
        for b, sample in enumerate(results):
            sample.set_field({k: v[b] for k, v in scores.items()}, 'network_scores')
        return results
