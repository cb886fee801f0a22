"""Shared helpers of the command-line tools: set-up and the one-message error report."""
import os
import sys
from contextlib import contextmanager

import torch

from .errors import MMKDUserError


def setup_for_tools(cfg) -> None:
    """Register modules, install the safe checkpoint loader, pick gloo when there is no GPU."""
    from .atomic import install_atomic_local_backend
    from .checkpoint import install_safe_loader
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    install_safe_loader()
    install_atomic_local_backend()
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
        if cfg.get('launcher', 'none') != 'none':
            _setup_cpu_distributed(cfg)


def _setup_cpu_distributed(cfg) -> None:
    """Distributed training without GPUs (gloo): mmengine's ``init_dist`` and its DDP wrapper both
    assume CUDA devices, so the process group is created here and DDP gets ``device_ids=None``."""
    import torch.distributed as torch_dist
    if cfg.launcher == 'pytorch' and not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    wrapper = dict(type='MMDistributedDataParallel', broadcast_buffers=False,
                   find_unused_parameters=cfg.get('find_unused_parameters', False))
    wrapper.update(cfg.get('model_wrapper_cfg') or {})
    wrapper['device_ids'] = None
    if cfg.get('sync_bn'):
        # torch's SyncBatchNorm needs GPUs; synchronise BatchNorm over gloo instead
        cfg.sync_bn = None
        separate = wrapper['type'] in ('MMSeparateDistributedDataParallel',
                                       'CPUSyncSeparateDistributedDataParallel')
        wrapper['type'] = ('CPUSyncSeparateDistributedDataParallel' if separate else
                           'CPUSyncDistributedDataParallel')
    cfg.model_wrapper_cfg = wrapper


def explain_unknown_type(error: KeyError):
    """Turn mmengine's "X is not in the mmkd::model registry" into a message with close names."""
    import difflib
    import re

    import mmkd.registry as registries
    match = re.search(r"(\S+) is not in the (\S+)::([\w ]+) registry", str(error))
    if not match:
        return None
    name, _, kind = match.groups()
    name = name.strip('`\'"')
    known = set()
    for reg in vars(registries).values():
        if getattr(reg, 'name', None) == kind and hasattr(reg, '_module_dict'):
            node = reg
            while node is not None:
                known.update(node._module_dict)
                node = node.parent
    close = difflib.get_close_matches(name, sorted(known), n=5, cutoff=0.5)
    hint = f' Did you mean: {", ".join(close)}?' if close else ''
    mmkd_own = sorted(k for reg in vars(registries).values()
                      if getattr(reg, 'name', None) == kind and getattr(reg, 'scope', '') == 'mmkd'
                      for k in reg._module_dict)
    listing = f' mmkd\'s own {kind} types: {", ".join(mmkd_own)}.' if mmkd_own else ''
    return MMKDUserError(f'Unknown {kind} type {name!r} in the config.{hint}{listing}')


@contextmanager
def user_errors_as_messages():
    """Print an :class:`MMKDUserError` as one line and exit 1 (``MMKD_DEBUG=1``: traceback)."""
    try:
        try:
            yield
        except KeyError as e:
            explained = explain_unknown_type(e)
            if explained is None:
                raise
            raise explained from e
    except MMKDUserError as e:
        if os.environ.get('MMKD_DEBUG'):
            raise
        print(f'\nmmkd error: {e}', file=sys.stderr, flush=True)
        sys.exit(1)
