"""What a loss can read from a network: one forward, every feature.

:func:`network_outputs` runs a classifier once and returns :class:`NetworkOutputs`; a loss entry
picks its input with a *source* (docs/losses_and_connectors.md):

=====================  =============================================================
``'logits'``           the head's output ``[B, C]``
``'emb'``              the pooled vector the head reads (``f_{L+1}``)
``'final'``            the pre-pool map (e.g. WRN's ``relu(bn(f3))``, MobileNetV2's 1x1 conv)
``'stem'``             ``f0``
``'stages'``           ``[f1 .. fL]``; ``'stages:<i>'`` is ``f_{i+1}`` (0-based stage index)
``'last_stage'``       ``fL``
``'stem_and_stages'``  ``[f0 .. fL]``
``'stages_and_emb'``   ``[f1 .. fL, emb]``
``int`` / ``[int]``    index into ``[f0 (stem), f1..fL (stages), emb]`` (RepDistiller's ``feat``)
``'aux_logits'``       HSAKD auxiliary-branch logits ``L x [B, 4C]``; ``'aux_logits:<i>'`` one
``'module:<path>'``    the output of the submodule at ``<path>`` (``'module:backbone.layer3'``),
                       recorded by a forward hook — for networks that are not mmkd backbones
=====================  =============================================================

Stage sources give the post-activation maps, or the pre-activation ones of the **same forward**
when the entry asks for ``preact`` on that side (``student_preact`` / ``teacher_preact``).

Networks that are not mmkd classifiers are supported: an mmpretrain ``ImageClassifier`` with any
backbone gives ``logits``, ``emb`` and ``final``; any other module (timm, torchvision) gives
``logits`` (its output); their inner features are read by module path.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn

from mmkd.utils.errors import ConfigError

#: named sources (see the module docstring); ``'<name>:<i>'`` indexes a list source
NAMED_SOURCES = ('logits', 'emb', 'final', 'stem', 'stages', 'last_stage', 'stem_and_stages',
                 'stages_and_emb', 'aux_logits')
#: sources that need the backbone's stage features
STAGE_SOURCES = ('stem', 'stages', 'last_stage', 'stem_and_stages', 'stages_and_emb')
MODULE_PREFIX = 'module:'

Source = Union[str, int, Sequence[int]]


def is_module_source(source) -> bool:
    return isinstance(source, str) and source.startswith(MODULE_PREFIX)


def uses_aux(source) -> bool:
    return isinstance(source, str) and source.split(':')[0] == 'aux_logits'


def _parse(source):
    """``'stages:1'`` -> ``('stages', 1)``; ``'logits'`` -> ``('logits', None)``."""
    name, _, index = source.partition(':')
    if name not in NAMED_SOURCES:
        raise ConfigError(f'Unknown loss source {source!r}; use one of {", ".join(NAMED_SOURCES)}'
                          ", 'module:<path>', an int feature index or a list of them (see "
                          'docs/losses_and_connectors.md).')
    if not index:
        return name, None
    try:
        return name, int(index)
    except ValueError:
        raise ConfigError(f'Loss source {source!r}: the part after ":" must be an index.') \
            from None


@dataclass
class NetworkOutputs:
    """One forward of one network.

    ``stages``/``preact_stages`` are ``None`` for networks that are not mmkd backbones;
    ``preact_stages`` is ``None`` when no pre-activation was asked for (or exists).
    """

    logits: torch.Tensor
    emb: Optional[torch.Tensor] = None
    final: Optional[torch.Tensor] = None
    stem: Optional[torch.Tensor] = None
    stages: Optional[List[torch.Tensor]] = None
    preact_stages: Optional[List[torch.Tensor]] = None
    aux_logits: Optional[List[torch.Tensor]] = None
    modules: Dict[str, torch.Tensor] = field(default_factory=dict)
    kind: str = 'mmkd'

    @property
    def feats(self) -> List[torch.Tensor]:
        """``[f0 (stem), f1..fL (stages), emb]``, the reference feature-list convention."""
        return [self.stem, *self.stages, self.emb]

    def _stages(self, preact: bool) -> List[torch.Tensor]:
        return self.preact_stages if preact and self.preact_stages is not None else self.stages

    def _missing(self, source, what: str):
        raise ConfigError(
            f'Loss source {source!r} needs {what}, which this network ({self.kind}) does not '
            "give; name a submodule output instead, e.g. source='module:backbone.layer3' "
            '(see docs/losses_and_connectors.md).')

    def select(self, source: Source, preact: bool = False):
        """Pick what a loss reads (see the module docstring)."""
        if is_module_source(source):
            return self.modules[source[len(MODULE_PREFIX):]]
        if isinstance(source, bool):
            raise ConfigError(f'Unknown loss source {source!r}.')
        if isinstance(source, (int, list, tuple)):
            if self.stages is None:
                self._missing(source, 'stage features')
            feats = [self.stem, *self._stages(preact), self.emb]
            if isinstance(source, int):
                return feats[source]
            return [feats[i] for i in source]
        if not isinstance(source, str):
            raise ConfigError(f'Unknown loss source {source!r}.')
        name, index = _parse(source)
        if name in STAGE_SOURCES and self.stages is None:
            self._missing(source, 'stage features')
        if name == 'logits':
            value = self.logits
        elif name in ('emb', 'final'):
            value = getattr(self, name)
            if value is None:
                self._missing(source, f'the {name} features')
        elif name == 'stem':
            value = self.stem
        elif name == 'stages':
            value = self._stages(preact)
        elif name == 'last_stage':
            value = self._stages(preact)[-1]
        elif name == 'stem_and_stages':
            value = [self.stem, *self._stages(preact)]
        elif name == 'stages_and_emb':
            value = [*self._stages(preact), self.emb]
        else:  # aux_logits
            if self.aux_logits is None:
                self._missing(source, 'auxiliary-branch logits (an AuxBranchClassifier)')
            value = self.aux_logits
        if index is not None:
            if not isinstance(value, list):
                raise ConfigError(f'Loss source {source!r}: {name} is not a list to index.')
            return value[index]
        return value

    def check_source(self, source: Source, who: str) -> None:
        """Raise one clear ConfigError if ``source`` does not exist for this network."""
        if isinstance(source, (int, list, tuple)) and not isinstance(source, bool) \
                and self.stages is not None:
            indices = [source] if isinstance(source, int) else list(source)
            n = len(self.stages) + 2
            for i in indices:
                if not -n <= i < n:
                    raise ConfigError(
                        f'{who}: feature index {i} does not exist; this network gives {n} '
                        f'features [f0 (stem), f1..f{n - 2} (stages), f{n - 1} (pooled '
                        f'embedding)], valid indices 0..{n - 1}.')
        if isinstance(source, str) and ':' in source and not is_module_source(source):
            name, index = _parse(source)
            value = self.select(name)
            if isinstance(value, list) and not -len(value) <= index < len(value):
                raise ConfigError(f'{who}: {source!r} does not exist; {name} has {len(value)} '
                                  f'entries (indices 0..{len(value) - 1}).')
        try:
            self.select(source)
        except ConfigError as e:
            raise ConfigError(f'{who}: {e}') from None

    def detached(self) -> 'NetworkOutputs':

        def d(v):
            if v is None:
                return None
            if isinstance(v, list):
                return [t.detach() for t in v]
            return v.detach()

        return NetworkOutputs(
            logits=d(self.logits),
            emb=d(self.emb),
            final=d(self.final),
            stem=d(self.stem),
            stages=d(self.stages),
            preact_stages=d(self.preact_stages),
            aux_logits=d(self.aux_logits),
            modules={
                k: d(v)
                for k, v in self.modules.items()
            },
            kind=self.kind)


class ModuleRecorder:
    """Records the outputs of named submodules of a network with forward hooks (opt-in: only
    the paths some loss names are hooked). In the spirit of mmrazor's ``ModuleOutputs``
    recorder and torchdistill's forward hooks; for a module called several times in one forward
    the last output is kept."""

    def __init__(self, network: nn.Module, paths: Sequence[str], role: str = 'network'):
        self.paths = tuple(dict.fromkeys(paths))
        self.outputs: Dict[str, torch.Tensor] = {}
        self._active = False
        self._handles = []
        modules = dict(network.named_modules())
        for path in self.paths:
            if path not in modules:
                import difflib
                close = difflib.get_close_matches(path, list(modules), n=3)
                hint = f' Did you mean {", ".join(close)}?' if close else ''
                raise ConfigError(f"The {role} has no submodule {path!r} (source "
                                  f"'module:{path}').{hint}")
            self._handles.append(modules[path].register_forward_hook(self._hook(path)))

    def _hook(self, path):

        def record(module, args, output):
            if self._active:
                self.outputs[path] = output

        return record

    def __enter__(self):
        self.outputs = {}
        self._active = True
        return self

    def __exit__(self, *exc):
        self._active = False
        return False


def _is_mmkd(classifier) -> bool:
    return hasattr(getattr(classifier, 'backbone', None), 'forward_features')


def network_outputs(classifier: nn.Module,
                    inputs: torch.Tensor,
                    preact: bool = False,
                    aux: bool = False,
                    recorder: Optional[ModuleRecorder] = None,
                    detach_aux_features: bool = False) -> NetworkOutputs:
    """Run ``classifier`` once on ``inputs`` and keep every feature a loss may read.

    Args:
        preact: also keep the pre-activation stage outputs (same forward).
        aux: run the auxiliary branches of an :class:`AuxBranchClassifier` too (its
            ``forward_aux``; ``detach_aux_features`` cuts their gradient into the backbone).
        recorder: records the submodule outputs named by ``'module:<path>'`` sources.
    """
    if recorder is not None:
        with recorder:
            out = _forward(classifier, inputs, preact, aux, detach_aux_features)
        out.modules = dict(recorder.outputs)
        return out
    return _forward(classifier, inputs, preact, aux, detach_aux_features)


def _forward(classifier, inputs, preact, aux, detach_aux_features) -> NetworkOutputs:
    if aux and hasattr(classifier, 'forward_aux'):
        res = classifier.forward_aux(inputs, detach_features=detach_aux_features, preact=preact)
        f = res.feats
        return NetworkOutputs(
            logits=res.logits,
            emb=res.emb,
            final=f.final,
            stem=f.stem,
            stages=f.stages,
            preact_stages=f.preact_stages,
            aux_logits=list(res.ss_logits))
    if _is_mmkd(classifier):
        f = classifier.backbone.forward_features(inputs, preact=preact)
        pooled = (f.final, )
        if getattr(classifier, 'with_neck', False):
            pooled = classifier.neck(pooled)
        logits = classifier.head(pooled)
        return NetworkOutputs(
            logits=logits,
            emb=pooled[-1],
            final=f.final,
            stem=f.stem,
            stages=f.stages,
            preact_stages=f.preact_stages)
    if all(hasattr(classifier, k) for k in ('backbone', 'head')):  # mmpretrain ImageClassifier
        x = classifier.backbone(inputs)
        x = x if isinstance(x, (tuple, list)) else (x, )
        final = x[-1]
        if getattr(classifier, 'with_neck', False):
            x = classifier.neck(x)
        logits = classifier.head(x)
        return NetworkOutputs(
            logits=logits,
            emb=x[-1],
            final=final,
            kind=f'{type(classifier.backbone).__name__} backbone')
    logits = classifier(inputs)  # any nn.Module returning logits (timm, torchvision)
    return NetworkOutputs(logits=logits, kind=type(classifier).__name__)
