"""A validation metric whose score is scripted per epoch (imported by configs in tests through
``custom_imports``), so that a test decides which epochs make a new best checkpoint."""
import os
import signal

from mmengine.evaluator import BaseMetric
from mmengine.logging import MessageHub

from mmkd.registry import METRICS


@METRICS.register_module()
class ScriptedScoreMetric(BaseMetric):
    """``score`` = ``scores[e - 1]`` after training epoch ``e`` (1-based).

    The epoch is read from the message hub's training iteration (``iters_per_epoch`` per epoch),
    which is ``e * n - 1`` during the validation that follows epoch ``e`` and ``e * n`` when a
    resumed run validates epoch ``e`` again before training on. With ``kill_at_epoch`` the process
    kills itself (SIGKILL) during that epoch's validation, once (``kill_marker`` remembers it).
    """

    def __init__(self,
                 scores,
                 iters_per_epoch: int,
                 kill_at_epoch: int = 0,
                 kill_marker: str = '',
                 topk=None,
                 **kwargs):
        super().__init__(**kwargs)  # topk: left over from the Accuracy metric it replaces
        self.scores = [float(s) for s in scores]
        self.iters_per_epoch = int(iters_per_epoch)
        self.kill_at_epoch = int(kill_at_epoch)
        self.kill_marker = kill_marker

    def process(self, data_batch, data_samples) -> None:
        self.results.append(len(data_samples))

    def compute_metrics(self, results) -> dict:
        it = int(MessageHub.get_current_instance().get_info('iter'))
        epoch = (it + 1) // self.iters_per_epoch
        if self.kill_at_epoch and epoch == self.kill_at_epoch and \
                not os.path.exists(self.kill_marker):
            # SIGKILL in the middle of this epoch's validation, the first time only
            open(self.kill_marker, 'w').close()
            os.kill(os.getpid(), signal.SIGKILL)
        return dict(score=self.scores[epoch - 1])
