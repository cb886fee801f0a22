"""Shared helpers of the command-line tools: set-up, argument checks and the one-message error
report."""
import os
import os.path as osp
import sys
import tempfile
from contextlib import contextmanager
from datetime import timedelta

import torch
from mmengine.config import DictAction

from .errors import ConfigError, MMKDUserError

#: collective timeout (seconds) of CPU/gloo runs when ``env_cfg.dist_cfg.timeout`` is not set:
#: a stopped or hung process stops the others after this long instead of torch's 30 minutes.
#: Long enough for rank 0 to download a dataset while the others wait.
GLOO_TIMEOUT_S = 600


def setup_for_tools(cfg) -> None:
    """Register modules, add the hooks the model requires (a distiller's distillation hooks,
    whatever ``custom_hooks`` the config sets), install the safe checkpoint loader, pick gloo
    when there is no GPU."""
    from mmkd.models.distillers.base import merge_required_hooks
    from .atomic import install_atomic_local_backend
    from .checkpoint import install_safe_loader
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    merge_required_hooks(cfg)
    install_safe_loader()
    install_atomic_local_backend()
    if not torch.cuda.is_available():
        dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
        dist_cfg['backend'] = 'gloo'
        dist_cfg.setdefault('timeout', GLOO_TIMEOUT_S)
        if cfg.get('launcher', 'none') != 'none':
            _setup_cpu_distributed(cfg)


def _setup_cpu_distributed(cfg) -> None:
    """Distributed training without GPUs (gloo): mmengine's ``init_dist`` and its DDP wrapper both
    assume CUDA devices, so the process group is created here and DDP gets ``device_ids=None``."""
    import torch.distributed as torch_dist
    if cfg.launcher == 'pytorch' and not torch_dist.is_initialized():
        timeout = cfg.env_cfg.dist_cfg.get('timeout', GLOO_TIMEOUT_S)
        torch_dist.init_process_group(backend='gloo', timeout=timedelta(seconds=timeout))
    wrapper = dict(
        type='MMDistributedDataParallel',
        broadcast_buffers=False,
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    if cfg.get('sync_bn'):
        # torch's SyncBatchNorm needs GPUs; synchronise BatchNorm over gloo instead
        cfg.sync_bn = None
        separate = wrapper['type'] in ('MMSeparateDistributedDataParallel',
                                       'CPUSyncSeparateDistributedDataParallel')
        wrapper['type'] = ('CPUSyncSeparateDistributedDataParallel'
                           if separate else 'CPUSyncDistributedDataParallel')
    cfg.model_wrapper_cfg = wrapper


def explain_unknown_type(error: KeyError):
    """Turn mmengine's "X is not in the mmkd::model registry" into a message with close names."""
    import difflib
    import re

    from mmengine.registry import Registry

    import mmkd.registry as registries
    match = re.search(r"(\S+) is not in the (\S+)::([\w ]+) registry", str(error))
    if not match:
        return None
    name, _, kind = match.groups()
    name = name.strip('`\'"')
    known = set()
    for reg in vars(registries).values():
        if isinstance(reg, Registry) and reg.name == kind:
            node = reg
            while node is not None:
                known.update(node.module_dict)
                node = node.parent
    close = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.5)
    hint = f' Did you mean: {", ".join(close)}?' if close else ''
    mmkd_own = sorted(
        k for reg in vars(registries).values()
        if isinstance(reg, Registry) and reg.name == kind and reg.scope == 'mmkd'
        for k in reg.module_dict)
    listing = f' mmkd\'s own {kind} types: {", ".join(mmkd_own)}.' if mmkd_own else ''
    return MMKDUserError(f'Unknown {kind} type {name!r} in the config.{hint}{listing}')


class CfgOptionsAction(DictAction):
    """mmengine's ``DictAction`` with a message for an item that is not ``KEY=VALUE``."""

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values or []:
            if '=' not in kv or kv.startswith('='):
                report_and_exit(
                    ConfigError(
                        f'{option_string} {kv!r}: every item must be KEY=VALUE, e.g. '
                        f'train_cfg.max_epochs=2 or model.teacher_ckpt=PATH (no spaces around =).'))
        super().__call__(parser, namespace, values, option_string)


def check_tool_args(args) -> None:
    """Command-line choices that cannot work on this machine, before anything is loaded."""
    launcher = getattr(args, 'launcher', 'none')
    needs = dict(
        pytorch=('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
        slurm=('SLURM_PROCID', 'SLURM_NTASKS'),
        mpi=('OMPI_COMM_WORLD_RANK', 'OMPI_COMM_WORLD_SIZE')).get(launcher, ())
    missing = [k for k in needs if k not in os.environ]
    if missing:
        how = dict(
            pytorch='torchrun: tools/dist_train.sh CONFIG NUM_PROCESSES (or '
            'tools/dist_test.sh)',
            slurm='srun: tools/slurm_train.sh',
            mpi='mpirun').get(launcher)
        raise ConfigError(f'--launcher {launcher} needs the environment its launcher sets '
                          f'({", ".join(missing)} missing): start it with {how}. For one '
                          'process, drop --launcher.')
    if getattr(args, 'amp', False):
        from mmengine.device import get_device
        if get_device() == 'cpu':
            raise ConfigError('--amp (automatic mixed precision) needs a GPU, and this machine '
                              'has none (torch.cuda.is_available() is False). Drop --amp.')


def check_work_dir(work_dir: str) -> None:
    """The work dir must be (or become) a writable folder."""
    path = osp.abspath(work_dir)
    node = path
    while not osp.exists(node):
        node = osp.dirname(node)
    if not osp.isdir(node):
        what = 'the work dir' if node == path else f'{node}, a parent of the work dir,'
        raise ConfigError(f'--work-dir {work_dir}: {what} is a file, not a folder. Pass a '
                          'folder (it is created when missing).')
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix='.mmkd-write-test-'):
            pass
    except OSError as e:
        raise ConfigError(f'The work dir {work_dir} is not writable ({e.strerror}); checkpoints '
                          'and logs go there. Pass a writable folder with --work-dir.') from e


def build_runner(cfg):
    """The runner of ``cfg`` (``runner_type`` or mmengine's), with mmkd's input checks; its
    config lays its text out once (:class:`~mmkd.utils.config_text.TextCachedConfig`)."""
    from mmengine.runner import Runner

    from mmkd.registry import RUNNERS
    from .config_text import TextCachedConfig
    from .run_checks import InputChecksHook
    cfg = TextCachedConfig.of(cfg)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.register_hook(InputChecksHook())
    return runner


def finish_distributed() -> None:
    """End a distributed run cleanly: every rank waits for the others, then the process group
    is destroyed while the interpreter is still whole. Left to interpreter shutdown, a gloo
    group's threads can be torn down mid-teardown and abort the process ("terminate called
    without an active exception") although its work is done."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def _rank() -> int:
    for key in ('RANK', 'SLURM_PROCID', 'OMPI_COMM_WORLD_RANK'):
        if key in os.environ:
            return int(os.environ[key])
    return 0


def report_and_exit(error: MMKDUserError) -> None:
    """Show the message once and exit 1.

    Under ``tools/dist_train.sh``/``dist_test.sh`` (``MMKD_ERROR_FILE`` set) every failing rank
    writes its message to ``$MMKD_ERROR_FILE.rank<N>`` (``.peer<N>`` when it failed only because
    another process did) and the script prints the lowest rank's after torchrun has finished, as
    the last line; otherwise only rank 0 prints.
    """
    rank = _rank()
    line = f'mmkd error: {error}' if rank == 0 else f'mmkd error (rank {rank}): {error}'
    error_file = os.environ.get('MMKD_ERROR_FILE')
    if error_file:
        kind = 'peer' if isinstance(error, PeerFailure) else 'rank'
        with open(f'{error_file}.{kind}{rank}', 'w') as f:
            f.write(line + '\n')
    elif rank == 0:
        print(f'\n{line}', file=sys.stderr, flush=True)
    sys.exit(1)


class PeerFailure(MMKDUserError):
    """This process failed only because another one did (its connection closed)."""


def explain_collective_failure(error: BaseException):
    """A collective that timed out (a stopped or hung process) or whose peer went away, as one
    message; ``None`` for any other error."""
    import torch.distributed as torch_dist
    text = str(error)
    if not (torch_dist.is_available() and torch_dist.is_initialized()):
        return None
    first = text.strip().splitlines()[0][:200] if text.strip() else type(error).__name__
    if any(s in text for s in ('Connection closed by peer', 'Connection reset by peer')):
        return PeerFailure(f'Another process of this run stopped ({first}); its error is the '
                           'one to read.')
    if 'Timed out waiting' in text or 'collective operation timeout' in text or (
            type(error).__name__ == 'DistBackendError' and 'timeout' in text.lower()):
        return MMKDUserError(
            'A collective operation between the processes timed out: another process is '
            'stopped, hung or died without closing its connection. Look at the other ranks; if '
            'a step legitimately takes longer, raise the limit with --cfg-options '
            f'env_cfg.dist_cfg.timeout=SECONDS ({first}).')
    return None


@contextmanager
def user_errors_as_messages():
    """Print an :class:`MMKDUserError` as one line and exit 1 (``MMKD_DEBUG=1``: traceback)."""
    from .config_check import explain_unexpected_keyword
    from .run_checks import explain_empty_dataset
    try:
        try:
            yield
        except KeyError as e:
            explained = explain_unknown_type(e)
            if explained is None:
                raise
            raise explained from e
        except ValueError as e:
            explained = explain_empty_dataset(e)
            if explained is None:
                raise
            raise explained from e
        except TypeError as e:
            explained = explain_unexpected_keyword(e)
            if explained is None:
                raise
            raise explained from e
        except RuntimeError as e:
            if isinstance(e, MMKDUserError):
                raise
            explained = explain_collective_failure(e)
            if explained is None:
                raise
            raise explained from e
    except MMKDUserError as e:
        if os.environ.get('MMKD_DEBUG'):
            raise
        report_and_exit(e)
