import warnings

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmkd.registry import HOOKS


def compiled_or_eager(fn, name: str, **compile_kwargs):
    """``torch.compile(fn)`` that falls back to ``fn`` (once, with a message) if compiling or the
    first compiled call fails; later calls go straight to whichever works."""
    try:
        compiled = torch.compile(fn, **compile_kwargs)
    except Exception as e:  # e.g. an unknown backend, no compiler on the machine
        warnings.warn(f'--compile: {name} runs eagerly ({type(e).__name__}: {e})')
        return fn
    state = dict(fn=compiled, tried=False)

    def call(*args, **kwargs):
        if state['tried']:
            return state['fn'](*args, **kwargs)
        state['tried'] = True
        try:
            return compiled(*args, **kwargs)
        except Exception as e:
            state['fn'] = fn
            first_line = str(e).splitlines()[0] if str(e) else ''
            warnings.warn(f'--compile: compiling {name} failed, it runs eagerly '
                          f'({type(e).__name__}: {first_line})')
            return fn(*args, **kwargs)

    return call


def networks_of(model):
    """(name, classifier) of every network: the model itself for a plain classifier, else its
    children with a backbone (student, teacher) and those inside ModuleDicts (online peers)."""
    if hasattr(model, 'backbone'):
        return [('model', model)]
    found = []
    for name, child in model.named_children():
        if isinstance(child, (torch.nn.ModuleDict, torch.nn.ModuleList)):
            found += [(f'{name}.{n}', m) for n, m in child.named_children()
                      if hasattr(m, 'backbone')]
        elif hasattr(child, 'backbone'):
            found.append((name, child))
    return found


@HOOKS.register_module()
class CompileNetworksHook(Hook):
    """``torch.compile`` each network of the model (student, teacher, peers, a plain backbone):
    their backbone's ``forward_features`` (what distillers call) and ``forward``.

    Opt-in: ``tools/train.py --compile`` or ``custom_hooks=[dict(type='CompileNetworksHook')]``.
    A network that fails to compile runs eagerly, with a message. Losses, connectors and the
    optimizer step stay eager (they are cheap and vary per method).

    Args:
        **compile_kwargs: passed to ``torch.compile`` (``mode``, ``backend``, ``dynamic``...).
    """

    priority = 'VERY_HIGH'

    def __init__(self, **compile_kwargs):
        self.compile_kwargs = compile_kwargs
        self._done = False

    def before_train(self, runner) -> None:
        if self._done:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        for name, net in networks_of(model):
            backbone = getattr(net, 'backbone', net)
            for method in ('forward_features', 'forward'):
                if hasattr(backbone, method):
                    setattr(
                        backbone, method,
                        compiled_or_eager(
                            getattr(backbone, method), f'{name}.{method}', **self.compile_kwargs))
        self._done = True
