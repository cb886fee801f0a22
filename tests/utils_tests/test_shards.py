"""tools/run_tests.sh's shards: measured weights balance them, its exit code is the shards'."""
import json
import os.path as osp
import subprocess
import textwrap

from tests import _shards
from tests.utils import ROOT


def test_heaviest_first_to_the_least_loaded():
    weight = {'a': 10.0, 'b': 6.0, 'c': 5.0, 'd': 4.0, 'e': 1.0}
    shards, loads = _shards.deal(list(weight), 2, weight)
    assert shards == [['a', 'd'], ['b', 'c', 'e']] and loads == [14.0, 12.0]
    shards, _ = _shards.deal(['a', 'b'], 4, weight)  # no empty shard
    assert shards == [['a'], ['b']]


def test_recorded_seconds_win_over_the_estimate(tmp_path):
    known = osp.join(ROOT, 'tests', 'utils_tests', 'test_shards.py')
    unknown = osp.join(ROOT, 'tests', 'utils_tests', 'test_metafile.py')
    w = _shards.weights([known, unknown], {'tests/utils_tests/test_shards.py': 123.4})
    assert w[known] == 123.4
    assert w[unknown] == _shards.estimate(unknown) > 0
    big = tmp_path / 'test_tools.py'
    big.write_text('run_tool(["tools/train.py"])\n' * 4)
    small = tmp_path / 'test_unit.py'
    small.write_text('def test_x():\n    assert 1\n')
    assert _shards.estimate(str(big)) > _shards.estimate(str(small)) + 10


def test_folders_become_their_test_files_node_ids_stay():
    files = _shards.test_files(['tests/utils_tests', 'tests/dev/test_lint.py::test_x'])
    assert 'tests/utils_tests/test_shards.py' in files
    assert files[-1] == 'tests/dev/test_lint.py::test_x'
    assert all(osp.basename(f.split('::')[0]).startswith('test_') for f in files)


def test_durations_table_is_valid():
    path = osp.join(ROOT, 'tests', 'durations.json')
    with open(path) as f:
        table = json.load(f)
    assert all(
        k.split('quick:', 1)[-1].startswith('tests/') and k.endswith('.py') and v >= 0
        for k, v in table.items())


def test_quick_tier_weights_win_in_the_quick_tier():
    known = osp.join(ROOT, 'tests', 'utils_tests', 'test_shards.py')
    table = {
        'tests/utils_tests/test_shards.py': 100.0,
        'quick:tests/utils_tests/test_shards.py': 2.0
    }
    assert _shards.weights([known], table)[known] == 100.0
    assert _shards.weights([known], table, quick=True)[known] == 2.0
    del table['quick:tests/utils_tests/test_shards.py']
    assert _shards.weights([known], table, quick=True)[known] == 100.0


def test_run_tests_reports_every_shard_and_fails_when_one_fails(tmp_path):
    for name, body in [('test_passes.py', 'def test_ok():\n    assert True\n'),
                       ('test_fails.py', 'def test_not_ok():\n    assert 1 == 2\n')]:
        (tmp_path / name).write_text(textwrap.dedent(body))

    def run(*args):
        return subprocess.run(['bash', 'tools/run_tests.sh', *args],
                              cwd=ROOT,
                              timeout=300,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT,
                              text=True)

    both = run('--jobs', '2', '-q', str(tmp_path))
    assert both.returncode == 1, both.stdout
    assert '=== shard 1/2' in both.stdout and '=== shard 2/2' in both.stdout
    assert '1 failed' in both.stdout and '1 passed' in both.stdout
    ok = run('--jobs', '2', '-q', str(tmp_path / 'test_passes.py'))  # one file: one process
    assert ok.returncode == 0 and '=== shard' not in ok.stdout and '1 passed' in ok.stdout
    none = run('--jobs', '2', '-q', '-k', 'no_such_test', str(tmp_path))
    assert none.returncode == 5, none.stdout
