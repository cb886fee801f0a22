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
    # scikit-learn (few-shot splits) sets KMP_DUPLICATE_LIB_OK when first imported: imported
    # here, before the snapshot, so a test importing it later does not make every later tool
    # run differ from the launcher's environment (and fall back to a real subprocess)
    import sklearn  # noqa: F401

    from tests import _launcher
    _launcher.snapshot_environment()  # with what the imports set (cv2: library paths)


#: a test runs a tool in another process when its code (or a fixture's) calls one of these
_SUBPROCESS = re.compile(r'\b(run_tool|_launcher\.(run|Popen)|'
                         r'subprocess\.(run|Popen|check_call|check_output|call)|'
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


@pytest.fixture(scope='session')
def trained_resnet8(tiny_cifar_root, tmp_path_factory):
    """The work dir of ``configs/baselines/resnet8_cifar100.py`` trained for one epoch by
    tools/train.py on the tiny CIFAR-100 (``epoch_1.pth``, the logs, ``vis_data``), once per
    session for the tests that only need *a* trained run; they read it and write elsewhere."""
    from tests.tools.test_train_resume_test import TINY, data_opts
    from tests.utils import run_tool
    work = str(tmp_path_factory.mktemp('trained_resnet8'))
    run_tool([
        'tools/train.py', 'configs/baselines/resnet8_cifar100.py', '--work-dir', work,
        '--cfg-options', 'train_cfg.max_epochs=1'
    ] + TINY + data_opts(tiny_cifar_root))
    return work


# --------------------------------------------------------------------- measured shard weights
DURATIONS = os.path.join(ROOT, 'tests', 'durations.json')
#: key prefix of a file's CPU seconds in the quick tier (``-m "not slow"``)
QUICK_PREFIX = 'quick:'


def pytest_addoption(parser):
    parser.addoption(
        '--record-durations',
        action='store_true',
        help='write each test file\'s CPU seconds (this process, its subprocesses '
        'and its forked tool runs) into tests/durations.json, which '
        'tools/run_tests.sh uses to balance its shards')


def _cpu_seconds():
    import resource

    from tests import _launcher
    self_, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return (self_.ru_utime + self_.ru_stime + children.ru_utime + children.ru_stime +
            _launcher.children_cpu())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    if not item.config.getoption('record_durations'):
        yield
        return
    start = _cpu_seconds()
    yield
    per_file = item.config.stash.setdefault(_FILE_CPU, {})
    path = os.path.relpath(str(item.path), ROOT)
    if item.config.getoption('markexpr') == 'not slow':  # the quick tier's weights apart
        path = QUICK_PREFIX + path
    per_file[path] = per_file.get(path, 0.0) + _cpu_seconds() - start


_FILE_CPU = pytest.StashKey()


def pytest_deselected(items):
    """A file whose every test the quick tier deselects weighs 0 there (not its full weight)."""
    if not items or not items[0].config.getoption('record_durations') or \
            items[0].config.getoption('markexpr') != 'not slow':
        return
    per_file = items[0].config.stash.setdefault(_FILE_CPU, {})
    for item in items:
        per_file.setdefault(QUICK_PREFIX + os.path.relpath(str(item.path), ROOT), 0.0)


def pytest_sessionfinish(session):
    per_file = session.config.stash.get(_FILE_CPU, None)
    if not per_file:
        return
    import fcntl
    import json
    import tempfile
    import zlib
    lock_path = os.path.join(tempfile.gettempdir(),
                             'mmkd-durations-%x.lock' % zlib.crc32(DURATIONS.encode()))
    with open(lock_path, 'w') as lock:  # shards finish side by side: one at a time
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(DURATIONS) as f:
                table = json.load(f)
        except (OSError, ValueError):
            table = {}
        table.update({k: round(v, 1) for k, v in per_file.items()})
        with open(DURATIONS + '.tmp', 'w') as f:
            json.dump(dict(sorted(table.items())), f, indent=0)
            f.write('\n')
        os.replace(DURATIONS + '.tmp', DURATIONS)
