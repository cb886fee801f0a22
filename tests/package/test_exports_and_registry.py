"""Public exports of every mmkd package and registration without an import-everything helper.

Each package ``__init__`` imports each of its registering modules explicitly (a new module that
is not listed there would silently not register: the static test below names it), exports every
class its modules register, and the registries import their ``locations`` on first build, so a
fresh process builds mmkd and mmpretrain types without calling ``register_all_modules``.
"""
import ast
import importlib
import os
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGES = [
    'mmkd.datasets', 'mmkd.engine', 'mmkd.engine.hooks', 'mmkd.evaluation', 'mmkd.models.backbones',
    'mmkd.models.classifiers', 'mmkd.models.connectors', 'mmkd.models.distillers',
    'mmkd.models.heads', 'mmkd.models.losses', 'mmkd.models.necks', 'mmkd.models.utils',
    'mmkd.utils'
]


def registering_modules(package):
    """The modules of ``package`` that register something (``@X.register_module()``)."""
    folder = osp.join(ROOT, *package.split('.'))
    out = []
    for name in sorted(os.listdir(folder)):
        if name.endswith('.py') and not name.startswith('_'):
            with open(osp.join(folder, name), encoding='utf-8') as f:
                if '.register_module(' in f.read():
                    out.append(name[:-3])
    return out


def imported_by_init(package):
    with open(osp.join(ROOT, *package.split('.'), '__init__.py'), encoding='utf-8') as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split('.')[0])
            else:
                found.update(a.name for a in node.names)
    return found


@pytest.mark.parametrize('package', PACKAGES)
def test_init_imports_every_registering_module_of_its_package(package):
    missing = [m for m in registering_modules(package) if m not in imported_by_init(package)]
    assert not missing, (f'{package}/__init__.py does not import {missing}: add '
                         f'`from .{missing[0]} import <its public names>` and list them in __all__')


def test_the_registering_modules_are_found():
    assert sum(len(registering_modules(p)) for p in PACKAGES) > 50
    assert 'kd' in registering_modules('mmkd.models.losses')


@pytest.mark.parametrize('package', PACKAGES)
def test_all_names_exist(package):
    module = importlib.import_module(package)
    assert module.__all__, package
    assert len(set(module.__all__)) == len(module.__all__), package
    for name in module.__all__:
        assert hasattr(module, name), f'{package}.__all__ names {name}, which it lacks'


def registered_mmkd_classes():
    from mmengine.registry import Registry

    import mmkd.registry as registries
    out = []
    for attr in dir(registries):
        reg = getattr(registries, attr)
        if isinstance(reg, Registry) and reg.scope == 'mmkd':
            for name, obj in reg.module_dict.items():
                if obj.__module__.startswith('mmkd.'):  # not the helpers tests register
                    out.append((attr, name, obj))
    return out


def test_every_registered_class_is_exported_by_its_package():
    classes = registered_mmkd_classes()
    assert len(classes) > 60
    for registry, name, obj in classes:
        package = obj.__module__.rsplit('.', 1)[0]
        module = importlib.import_module(package)
        assert name in module.__all__, f'{name} ({registry}) is not exported by {package}'
        assert getattr(module, name) is obj


def test_public_imports_are_the_registered_classes():
    from mmkd.engine import NaNGuardHook
    from mmkd.models import SingleTeacherDistiller
    from mmkd.models.losses import KDLoss
    from mmkd.registry import HOOKS, MODELS
    assert MODELS.get('KDLoss') is KDLoss
    assert MODELS.get('SingleTeacherDistiller') is SingleTeacherDistiller
    assert HOOKS.get('NaNGuardHook') is NaNGuardHook


FRESH = r'''
import sys
from mmkd.registry import HOOKS, METRICS, MODELS, TRANSFORMS
assert 'mmkd.models' not in sys.modules and 'mmpretrain.models' not in sys.modules
loss = MODELS.build(dict(type='KDLoss', tau=4.0))
head = MODELS.build(dict(type='LinearClsHead', num_classes=3, in_channels=8))
hook = HOOKS.build(dict(type='NaNGuardHook'))
rot = TRANSFORMS.build(dict(type='RandomRotation', degrees=15))
crop = TRANSFORMS.build(dict(type='RandomCrop', crop_size=32, padding=4))
acc = METRICS.build(dict(type='Accuracy', topk=(1, )))
print(type(loss).__module__, type(head).__module__, type(hook).__module__,
      type(rot).__module__, type(crop).__module__, type(acc).__module__)
'''


@pytest.mark.slow
def test_a_fresh_process_builds_mmkd_and_mmpretrain_types_without_register_all_modules():
    res = subprocess.run([sys.executable, '-c', FRESH],
                         cwd=ROOT,
                         capture_output=True,
                         text=True,
                         env=dict(os.environ, PYTHONPATH=ROOT))
    assert res.returncode == 0, res.stderr[-3000:]
    modules = res.stdout.split()
    assert modules[0] == 'mmkd.models.losses.kd'
    assert modules[1].startswith('mmpretrain.models.heads')
    assert modules[2] == 'mmkd.engine.hooks.nan_guard_hook'
    assert modules[3] == 'mmkd.datasets.random_rotation'
    assert modules[4].startswith('mmpretrain.datasets.transforms')
    assert modules[5].startswith('mmpretrain.evaluation')
