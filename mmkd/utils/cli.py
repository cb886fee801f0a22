"""Shared helpers of the command-line tools: set-up and the one-message error report."""
import os
import sys
from contextlib import contextmanager

import torch

from .errors import MMKDUserError


def setup_for_tools(cfg) -> None:
    """Register modules, install the safe checkpoint loader, pick gloo when there is no GPU."""
    from .checkpoint import install_safe_loader
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    install_safe_loader()
    if not torch.cuda.is_available():
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'


@contextmanager
def user_errors_as_messages():
    """Print an :class:`MMKDUserError` as one line and exit 1 (``MMKD_DEBUG=1``: traceback)."""
    try:
        yield
    except MMKDUserError as e:
        if os.environ.get('MMKD_DEBUG'):
            raise
        print(f'\nmmkd error: {e}', file=sys.stderr, flush=True)
        sys.exit(1)
