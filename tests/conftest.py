import gc
import inspect
import os
import re
import warnings

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    warnings.filterwarnings('ignore', message='Fail to import ``MultiScaleDeformableAttention``')
    from mmkd.utils import register_all_modules
    register_all_modules()


#: a test runs a tool in another process when its code (or a fixture's) calls one of these
_SUBPROCESS = re.compile(r'\b(run_tool|subprocess\.(run|Popen|check_call|check_output|call)|'
                         r'os\.system|multiprocessing|mp\.spawn)\b')


def _runs_a_subprocess(func, seen=None) -> bool:
    """``func``'s source, or that of a test-suite function it calls (transitively), starts one."""
    seen = set() if seen is None else seen
    func = inspect.unwrap(func)
    if id(func) in seen or not hasattr(func, '__code__'):
        return False
    seen.add(id(func))
    try:
        if _SUBPROCESS.search(inspect.getsource(func)):
            return True
    except (OSError, TypeError):
        return False
    names, codes = set(), [func.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes.extend(c for c in code.co_consts if inspect.iscode(c))
    for name in names:
        callee = func.__globals__.get(name)
        if inspect.isfunction(callee) and callee.__module__.startswith('tests') and \
                _runs_a_subprocess(callee, seen):
            return True
    return False


def pytest_collection_modifyitems(config, items):
    """Mark ``slow`` every test that runs a tool in a subprocess, itself or through a fixture.

    Such a test pays the tool's ~4 s of imports at least; the quick tier
    (``tools/run_tests.sh --quick``, ``-m "not slow"``) skips it, the full tier runs it. Tests
    that train in-process for more than a few seconds carry an explicit ``@pytest.mark.slow``.
    """
    slow = []
    for item in items:
        if item.get_closest_marker('slow') or not hasattr(item, 'function'):
            continue
        funcs = [item.function]
        fixtureinfo = getattr(item, '_fixtureinfo', None)
        for name in (fixtureinfo.names_closure if fixtureinfo else ()):
            for fixturedef in fixtureinfo.name2fixturedefs.get(name, ()):
                funcs.append(fixturedef.func)
        if any(_runs_a_subprocess(f) for f in funcs):
            slow.append(item)
    for item in slow:
        item.add_marker('slow')


def pytest_collection_finish(session):
    """Move what imports and collection created out of the garbage collector's sight.

    mmengine's ``BaseDataset`` calls ``gc.collect()`` whenever it builds a dataset; with torch,
    mmengine and mmpretrain loaded that scan takes ~0.15 s, paid by every dataset a test builds.
    Frozen objects are still freed by reference counting; only the cyclic scan skips them.
    """
    gc.collect()
    gc.freeze()


@pytest.fixture(scope='session')
def tiny_cifar_root(tmp_path_factory):
    """A tiny CIFAR-100 and CIFAR-10 (real on-disk format) written once per test session."""
    from mmkd.datasets import write_tiny_cifar
    root = str(tmp_path_factory.mktemp('tiny_cifar'))
    write_tiny_cifar(root, num_classes=100, train_per_class=2, test_per_class=1, seed=0)
    write_tiny_cifar(root, num_classes=10, train_per_class=8, test_per_class=4, seed=1)
    return root
