"""PeerSelectionHook: after validation the online distiller is told its better peer."""
from types import SimpleNamespace

from mmengine.logging import MMLogger

from mmkd.registry import HOOKS
from tests.engine.hooks.toy_runner import ToyModel, toy_runner


class TwoPeers(ToyModel):

    def __init__(self):
        super().__init__()
        self.chosen = []

    def set_best_peer(self, index):
        self.chosen.append(index)


def runner_for(model):
    return SimpleNamespace(model=model, logger=MMLogger.get_instance('peer_selection_test'))


def test_one_based_metric_becomes_zero_based_choice():
    model = TwoPeers()
    hook = HOOKS.build(dict(type='PeerSelectionHook'))
    hook.after_val_epoch(
        runner_for(model), {
            'peer/best': 2,
            'peer1/top1': 40.0,
            'peer2/top1': 55.0
        })
    hook.after_val_epoch(runner_for(model), {'peer/best': 1.0, 'peer1/top1': 60.0})
    assert model.chosen == [1, 0]


def test_nothing_to_choose():
    model = TwoPeers()
    hook = HOOKS.build(dict(type='PeerSelectionHook'))
    hook.after_val_epoch(runner_for(model), {'accuracy/top1': 50.0})  # no peer metrics
    hook.after_val_epoch(runner_for(model), None)
    assert model.chosen == []
    hook.after_val_epoch(runner_for(ToyModel()), {'peer/best': 2})  # not an online distiller


def test_in_a_runner_after_each_validation(tmp_path):
    model = TwoPeers()
    # ScriptedMetric reports toy/score; a peer metric is what PeerAccuracy reports: feed it
    runner = toy_runner(
        tmp_path,
        model=model,
        max_epochs=2,
        val_scores=[1.0],
        custom_hooks=[dict(type='PeerSelectionHook')])
    hook = [h for h in runner.hooks if type(h).__name__ == 'PeerSelectionHook'][0]
    seen = []
    original = hook.after_val_epoch

    def with_peer_metrics(runner, metrics=None):
        seen.append(dict(metrics))
        original(runner, {**metrics, 'peer/best': len(seen)})

    hook.after_val_epoch = with_peer_metrics
    runner.train()
    assert [m['toy/score'] for m in seen] == [1.0, 1.0]
    assert model.chosen == [0, 1]
