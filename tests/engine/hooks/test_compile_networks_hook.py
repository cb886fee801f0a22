"""CompileNetworksHook on a real mmengine Runner: the backbone runs compiled, once, same outputs.

``compiled_or_eager`` (the fallback) and ``--compile`` through tools/train.py are tested in
tests/engine/test_fast_path.py.
"""
import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmkd.engine.hooks.compile_hook import CompileNetworksHook
from mmkd.registry import HOOKS
from tests.engine.hooks.toy_runner import toy_runner


class Classifier(BaseModel):
    """A network with a ``backbone``, as the hook finds networks."""

    def __init__(self):
        super().__init__()
        self.backbone = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.backbone(torch.stack(inputs) if isinstance(inputs, list) else inputs)
        return dict(loss=(out**2).mean()) if mode == 'loss' else out


def test_backbone_forward_is_compiled_once_and_gives_the_eager_output(tmp_path):
    graphs = []

    def counting_backend(gm, example_inputs):  # dynamo hands each captured graph to it
        graphs.append(gm)
        return gm.forward

    model = Classifier()
    eager = model.backbone.forward
    hook = HOOKS.build(dict(type='CompileNetworksHook', backend=counting_backend))
    assert isinstance(hook, CompileNetworksHook)
    runner = toy_runner(tmp_path, model=model, custom_hooks=[hook], max_epochs=2)
    runner.train()
    assert model.backbone.forward is not eager and graphs  # compiled, and the graph was used
    x = torch.randn(3, 2)
    with torch.no_grad():
        torch.testing.assert_close(model.backbone(x), eager(x))
    compiled = model.backbone.forward
    hook.before_train(runner)  # a second train() does not wrap it again
    assert model.backbone.forward is compiled
