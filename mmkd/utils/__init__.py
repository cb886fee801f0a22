"""Utilities: registration and default scope, user-facing errors, safe checkpoint I/O, resume
discovery, the tools' command-line helpers (and their config text laid out once), run records,
training chains and the metafile reader."""
from .atomic import atomic_torch_save, atomic_write_bytes, install_atomic_local_backend
from .chain import Reference, Step, find_checkpoint_references, resolve_chain
from .checkpoint import install_safe_loader, safe_load
from .cli import explain_unknown_type, setup_for_tools, user_errors_as_messages
from .config_text import TextCachedConfig
from .errors import CheckpointError, ConfigError, DatasetError, MMKDUserError
from .metafile import MetafileModel, load_metafile, load_metafiles
from .resume import find_resumable_checkpoint, is_complete_checkpoint
from .run_records import RunRecord, find_runs, read_dumped_config, read_run
from .seeds import run_seeds
from .setup_env import register_all_modules
from .vis_backends import VIS_BACKENDS, add_vis_backends

__all__ = [
    'register_all_modules', 'MMKDUserError', 'DatasetError', 'CheckpointError', 'ConfigError',
    'safe_load', 'install_safe_loader', 'atomic_torch_save', 'atomic_write_bytes',
    'install_atomic_local_backend', 'is_complete_checkpoint', 'find_resumable_checkpoint',
    'setup_for_tools', 'explain_unknown_type', 'user_errors_as_messages', 'MetafileModel',
    'load_metafile', 'load_metafiles', 'Reference', 'Step', 'find_checkpoint_references',
    'resolve_chain', 'RunRecord', 'find_runs', 'read_dumped_config', 'read_run', 'run_seeds',
    'VIS_BACKENDS', 'add_vis_backends', 'TextCachedConfig'
]
