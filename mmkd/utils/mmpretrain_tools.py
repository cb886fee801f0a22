"""Run one of mmpretrain's own command-line tools on mmkd configs and outputs.

mmpretrain ships its tools inside the package (``mmpretrain/.mim/tools/``). The thin scripts in
``tools/`` (``analysis_tools/analyze_logs.py``, ``analysis_tools/confusion_matrix.py``,
``misc/print_config.py``, ``visualization/browse_dataset.py``) call :func:`run_tool`, which first
does what every mmkd tool does — registers mmkd's types, installs the safe checkpoint loader —
and makes mmpretrain's ``init_default_scope('mmpretrain')`` pick mmkd's scope instead (mmkd's
registries are children of mmpretrain's, so every mmpretrain type still resolves, and mmkd's
datasets and models are found), then runs the tool with the caller's arguments.
"""
import os.path as osp
import runpy
import sys

from .errors import ConfigError


def tool_path(rel: str) -> str:
    import mmpretrain
    return osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools', rel)


def run_tool(rel: str) -> None:
    path = tool_path(rel)
    if not osp.isfile(path):
        raise ConfigError(f'mmpretrain\'s tool {rel} is not in this mmpretrain installation '
                          f'({path}); mmkd is tested with mmpretrain 1.2.')
    import mmengine.registry

    from .checkpoint import install_safe_loader
    from .setup_env import register_all_modules
    register_all_modules(init_default_scope=False)
    install_safe_loader()
    original = mmengine.registry.init_default_scope

    def init_mmkd_scope(scope: str) -> None:
        original('mmkd' if scope == 'mmpretrain' else scope)

    mmengine.registry.init_default_scope = init_mmkd_scope
    sys.argv = [path] + sys.argv[1:]
    try:
        runpy.run_path(path, run_name='__main__')
    finally:
        mmengine.registry.init_default_scope = original
