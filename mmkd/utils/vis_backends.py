"""``tools/train.py --vis-backend tensorboard|wandb``: mmengine's optional logging backends.

mmengine always writes ``vis_data/scalars.json`` (``LocalVisBackend``, what mmkd's analysis tools
read); these add its ``TensorboardVisBackend`` (needs ``pip install tensorboard``; event files go
to ``<work_dir>/<timestamp>/vis_data/``, view with ``tensorboard --logdir work_dirs``) or
``WandbVisBackend`` (needs ``pip install wandb`` and ``wandb login``).
"""
import importlib.util

from .errors import ConfigError

#: flag value -> (mmengine backend type, module it needs, pip package)
VIS_BACKENDS = {
    'tensorboard': ('TensorboardVisBackend', 'tensorboard', 'tensorboard'),
    'wandb': ('WandbVisBackend', 'wandb', 'wandb'),
}


def add_vis_backends(cfg, names) -> None:
    for name in names:
        backend, module, package = VIS_BACKENDS[name]
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f'--vis-backend {name} needs the {package!r} package: '
                              f'pip install {package} (or drop --vis-backend {name}).')
        backends = cfg.visualizer.setdefault('vis_backends', [dict(type='LocalVisBackend')])
        if not any(b.get('type') == backend for b in backends):
            backends.append(dict(type=backend))
