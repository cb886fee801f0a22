"""The pre-imported tool launcher (tests/_launcher.py) behaves like a fresh ``python``."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests import _launcher
from tests.utils import ROOT, run_tool

PROBE = textwrap.dedent('''
    import json, os, signal, sys
    import torch
    from mmkd.registry import MODELS
    from mmkd.utils import register_all_modules
    register_all_modules()
    mode = sys.argv[1]
    report = dict(
        argv=sys.argv, cwd=os.getcwd(), file=__file__, name=__name__, path0=sys.path[0],
        pythonpath=[p for p in sys.path if 'site-packages' not in p and 'python3' not in p],
        foo=os.environ.get('MMKD_LAUNCHER_FOO'), bar=os.environ.get('MMKD_LAUNCHER_BAR'),
        signals={s: str(signal.getsignal(getattr(signal, s)))
                 for s in ('SIGINT', 'SIGPIPE', 'SIGXFSZ', 'SIGTERM', 'SIGCHLD', 'SIGUSR1')},
        threads=torch.get_num_threads(), stdin=sys.stdin.read(),
        test_modules=sorted(m for m in sys.modules if m == 'tests' or m.startswith('tests.')),
        polluted=MODELS.get('LauncherTestOnlyModule') is not None,
        n_models=len(list(MODELS.module_dict)),
        warnings_ignored=any(f[0] == 'ignore' and f[2] is Warning for f in __import__(
            'warnings').filters))
    os.environ['MMKD_LAUNCHER_BAR'] = 'set by the previous run'
    print(json.dumps(report))
    print('to stderr', file=sys.stderr)
    if mode == 'raise':
        raise ValueError('raised by the probe')
    if mode == 'exit7':
        sys.exit(7)
    if mode == 'exit-message':
        sys.exit('a message instead of a code')
    if mode == 'sleep':
        import time
        print('sleeping', flush=True)
        time.sleep(300)
''')


@pytest.fixture(scope='module')
def probe(tmp_path_factory):
    path = tmp_path_factory.mktemp('launcher') / 'launcher_probe.py'
    path.write_text(PROBE)
    return str(path)


def both(args, **kwargs):
    """(forked, real subprocess) runs of ``python args``; the forked one really forked."""
    cmd = [sys.executable] + [str(a) for a in args]
    kwargs.setdefault('env', _launcher.tool_env())
    forked = _launcher.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    real = subprocess.run(
        cmd, capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, **kwargs)
    return forked, real


def report(proc):
    return json.loads(proc.stdout.splitlines()[0])


def test_runs_are_forked_from_the_zygote(probe):
    proc = _launcher.Popen([sys.executable, probe, 'ok'],
                           env=_launcher.tool_env(),
                           stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE,
                           text=True)
    assert isinstance(proc, _launcher.ForkedProcess)
    with open(f'/proc/{proc.pid}/status') as f:  # a child of the zygote, not of pytest
        ppid = int([line for line in f if line.startswith('PPid:')][0].split()[1])
    assert ppid == _launcher._client.proc.pid != os.getpid()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0 and err == 'to stderr\n' and json.loads(out)['name'] == '__main__'


@pytest.mark.parametrize('mode,code', [('ok', 0), ('raise', 1)])
def test_same_as_a_real_interpreter(probe, tmp_path, mode, code):
    forked, real = both([probe, mode, 'extra arg'], cwd=str(tmp_path))
    assert forked.returncode == real.returncode == code
    got, want = report(forked), report(real)
    assert got == want
    assert got['argv'] == [probe, mode, 'extra arg'] and got['cwd'] == str(tmp_path)
    assert got['path0'] == os.path.dirname(probe) and got['file'] == probe
    assert got['signals']['SIGXFSZ'] == str(signal.SIG_IGN)  # as python sets it: EFBIG errors
    assert got['stdin'] == '' and got['test_modules'] == [] and got['threads'] == 1
    assert forked.stderr.splitlines()[-1] == real.stderr.splitlines()[-1]
    if mode == 'raise':
        assert forked.stderr.startswith('to stderr\nTraceback (most recent call last):')
        assert forked.stderr.splitlines()[-1] == 'ValueError: raised by the probe'


@pytest.mark.parametrize('mode,code,last_line',
                         [('exit7', 7, 'to stderr'),
                          ('exit-message', 1, 'a message instead of a code')])
def test_exit_codes_as_python_gives_them(probe, mode, code, last_line):
    proc = _launcher.run([sys.executable, probe, mode],
                         capture_output=True,
                         text=True,
                         env=_launcher.tool_env())
    assert proc.returncode == code and proc.stderr.splitlines()[-1] == last_line


def test_environment_is_each_runs_own(probe):
    first = _launcher.run([sys.executable, probe, 'ok'],
                          capture_output=True,
                          text=True,
                          env=_launcher.tool_env({'MMKD_LAUNCHER_FOO': 'first'}))
    second = _launcher.run([sys.executable, probe, 'ok'],
                           capture_output=True,
                           text=True,
                           env=_launcher.tool_env())
    assert report(first)['foo'] == 'first' and report(second)['foo'] is None
    # what the first run wrote into its os.environ is gone too
    assert report(first)['bar'] is None and report(second)['bar'] is None


def test_thread_count_and_warning_options_are_applied(probe):
    assert isinstance(
        _launcher.Popen([sys.executable, probe, 'exit7'],
                        env=_launcher.tool_env({
                            'OMP_NUM_THREADS': '2',
                            'MKL_NUM_THREADS': '2'
                        })), _launcher.ForkedProcess)
    forked, real = both([probe, 'ok'],
                        env=_launcher.tool_env({
                            'OMP_NUM_THREADS': '2',
                            'MKL_NUM_THREADS': '2',
                            'PYTHONWARNINGS': 'ignore'
                        }))
    assert report(forked) == report(real)
    assert report(forked)['threads'] == 2 and report(forked)['warnings_ignored']


def test_classes_registered_by_tests_stay_out(probe):
    from mmkd.registry import MODELS

    @MODELS.register_module(name='LauncherTestOnlyModule', force=True)
    class LauncherTestOnlyModule:
        pass

    try:
        forked, real = both([probe, 'ok'])
        assert not report(forked)['polluted']
        assert report(forked)['n_models'] == report(real)['n_models']
    finally:
        MODELS.module_dict.pop('LauncherTestOnlyModule')  # public dict view of the registry


def test_sigkill_by_pid_and_wait_timeout(probe):
    proc = _launcher.Popen([sys.executable, probe, 'sleep'],
                           env=_launcher.tool_env(),
                           stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL,
                           text=True)
    assert isinstance(proc, _launcher.ForkedProcess)
    for line in proc.stdout:  # the json report, then 'sleeping'
        if line.strip() == 'sleeping':
            break
    assert proc.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.2)
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(timeout=60) == -signal.SIGKILL
    proc.stdout.close()


def test_output_to_a_file_like_popen(probe, tmp_path):
    log = tmp_path / 'log.txt'
    with open(log, 'w') as f:
        proc = _launcher.Popen([sys.executable, probe, 'exit7'],
                               env=_launcher.tool_env(),
                               cwd=ROOT,
                               stdout=f,
                               stderr=subprocess.STDOUT)
    assert proc.wait(timeout=300) == 7
    lines = log.read_text().splitlines()
    assert json.loads(lines[0])['cwd'] == ROOT and lines[1] == 'to stderr'


@pytest.mark.parametrize(
    'cmd,env',
    [
        (['-c', 'import sys; print(sys.argv)'], {}),
        (['-m', 'json.tool', '--help'], {}),
        ([None, 'ok'], {
            'PYTHONHASHSEED': '3'
        }),  # read at interpreter start
        ([None, 'ok'], {
            'MPMATH_NOGMPY': '1'
        }),  # read while importing torch (sympy's mpmath)
    ])
def test_what_a_fork_cannot_reproduce_runs_in_a_real_interpreter(tmp_path, cmd, env):
    script = tmp_path / 'argv_probe.py'
    script.write_text('import sys\nprint(sys.argv)\n')
    cmd = [str(script) if c is None else c for c in cmd]
    proc = _launcher.Popen(
        [sys.executable] + cmd,
        env=_launcher.tool_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True)
    assert isinstance(proc, subprocess.Popen)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert out


@pytest.mark.slow  # starts the launcher
def test_reasons_for_falling_back(probe):
    client = _launcher._get_client()
    for env, reason in [({
            'PYTHONHASHSEED': '3'
    }, 'PYTHONHASHSEED differs'), ({
            'LD_PRELOAD': 'x.so'
    }, 'LD_PRELOAD differs'), ({
            'OMP_NUM_THREADS': 'many'
    }, 'cannot be applied'), ({
            'MKL_NUM_THREADS': '3'
    }, 'MKL_NUM_THREADS=\'3\' differs'), ({
            'PYTHONPATH': '/elsewhere'
    }, 'PYTHONPATH lacks')]:
        req_id, reply = client.request([probe, 'ok'], _launcher.tool_env(env), ROOT, [0, 1, 2])
        client.forget(req_id)
        assert reason in reply['fallback']


def test_pythonpath_that_would_shadow_an_imported_module_falls_back(probe, tmp_path):
    (tmp_path / 'mmkd').mkdir()
    (tmp_path / 'mmkd' / '__init__.py').write_text('raise SystemExit("the shadowing copy")\n')
    client = _launcher._get_client()
    env = _launcher.tool_env()
    env['PYTHONPATH'] = str(tmp_path) + os.pathsep + env['PYTHONPATH']
    req_id, reply = client.request([probe, 'ok'], env, ROOT, [0, 1, 2])
    client.forget(req_id)
    assert 'shadow' in reply['fallback']
    proc = _launcher.run([sys.executable, probe, 'ok'], env=env, capture_output=True, text=True)
    assert proc.returncode == 1 and 'the shadowing copy' in proc.stderr  # what python does


def test_run_tool_matches_a_real_subprocess():
    forked = run_tool(['tools/train.py', '-h'])
    real = subprocess.run([sys.executable, 'tools/train.py', '-h'],
                          cwd=ROOT,
                          env=_launcher.tool_env(),
                          capture_output=True,
                          text=True)
    assert forked.returncode == real.returncode == 0
    assert forked.stdout == real.stdout + real.stderr
    bad = run_tool(['tools/train.py', 'configs/does/not/exist.py'], check=False)
    real = subprocess.run([sys.executable, 'tools/train.py', 'configs/does/not/exist.py'],
                          cwd=ROOT,
                          env=_launcher.tool_env(),
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True)
    assert bad.returncode == real.returncode != 0
    assert bad.stdout.splitlines()[-1] == real.stdout.splitlines()[-1]


def test_a_launcher_that_cannot_start_leaves_real_subprocesses(tmp_path, monkeypatch):
    broken = tmp_path / 'broken_zygote.py'
    broken.write_text('raise SystemExit(3)\n')
    monkeypatch.setattr(_launcher, 'ZYGOTE', str(broken))
    monkeypatch.setattr(_launcher, '_client', None)
    monkeypatch.setattr(_launcher, '_broken', None)
    script = tmp_path / 'hello.py'
    script.write_text('print("hello")\n')
    with pytest.warns(UserWarning, match='the tool launcher did not start'):
        proc = _launcher.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert isinstance(proc, subprocess.Popen)
    assert proc.communicate(timeout=120)[0] == 'hello\n' and proc.returncode == 0


def test_zygote_starts_with_the_sessions_environment_not_its_first_callers(tmp_path, monkeypatch):
    """A fixture that changes os.environ while the zygote starts (e.g. a PYTHONPATH entry it
    removes again) does not make every later run fall back."""
    monkeypatch.setattr(_launcher, '_client', None)
    monkeypatch.setattr(_launcher, '_broken', None)
    script = tmp_path / 'hello.py'
    script.write_text('print("hello")\n')
    extra = tmp_path / 'extra'
    extra.mkdir()
    try:
        with monkeypatch.context() as m:
            m.setenv('PYTHONPATH', str(extra) + os.pathsep + os.environ.get('PYTHONPATH', ''))
            first = _launcher.Popen([sys.executable, str(script)],
                                    env=_launcher.tool_env(),
                                    stdout=subprocess.PIPE,
                                    text=True)
            assert first.communicate(timeout=300)[0] == 'hello\n'
        later = _launcher.Popen([sys.executable, str(script)],
                                env=_launcher.tool_env(),
                                stdout=subprocess.PIPE,
                                text=True)
        assert isinstance(first, _launcher.ForkedProcess)
        assert isinstance(later, _launcher.ForkedProcess)
        assert later.communicate(timeout=300)[0] == 'hello\n'
    finally:
        if _launcher._client is not None:
            _launcher._client.close()


def test_poll_sees_the_exit_without_a_wait(probe):
    """poll() alone (a loop such as the SIGKILL test's) learns that the run ended."""
    proc = _launcher.Popen([sys.executable, probe, 'exit7'],
                           env=_launcher.tool_env(),
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    assert isinstance(proc, _launcher.ForkedProcess)
    for _ in range(30000):  # bounded: at most ~5 min
        if proc.poll() is not None:
            break
        time.sleep(0.01)
    assert proc.returncode == 7


def test_torch_home_of_the_run_is_what_torch_and_torchvision_use(tmp_path):
    """TORCH_HOME is read while importing torchvision (its datasets' root): a run that sets it
    is still forked, and sees the paths a real interpreter derives from it."""
    script = tmp_path / 'torch_home_probe.py'
    script.write_text('import json, torch.hub, torchvision._internally_replaced_utils as u\n'
                      'print(json.dumps([torch.hub.get_dir(), u._HOME]))\n')
    env = _launcher.tool_env({'TORCH_HOME': str(tmp_path / 'torch_home')})
    proc = _launcher.Popen([sys.executable, str(script)],
                           env=env,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    assert isinstance(proc, _launcher.ForkedProcess)
    proc.wait(300)
    forked, real = both([script], env=env)
    assert forked.returncode == real.returncode == 0, forked.stderr + real.stderr
    assert json.loads(forked.stdout) == json.loads(real.stdout) == [
        str(tmp_path / 'torch_home' / 'hub'),
        str(tmp_path / 'torch_home' / 'datasets' / 'vision')
    ]


def test_rlimits_apply_to_that_run_only(tmp_path, monkeypatch):
    """``rlimits=`` (the launcher's stand-in for a ``preexec_fn`` calling setrlimit): the forked
    run starts with the limit, the next run does not, a real subprocess gets the same."""
    import resource
    script = tmp_path / 'rlimit_probe.py'
    script.write_text('import resource\nprint(resource.getrlimit(resource.RLIMIT_FSIZE))\n')
    limit = {resource.RLIMIT_FSIZE: (12345, 12345)}
    cmd = [sys.executable, str(script)]
    env = _launcher.tool_env()
    proc = _launcher.Popen(cmd, env=env, rlimits=limit, stdout=subprocess.PIPE, text=True)
    assert isinstance(proc, _launcher.ForkedProcess)
    assert proc.communicate(timeout=300)[0].strip() == '(12345, 12345)'
    unlimited = str(resource.getrlimit(resource.RLIMIT_FSIZE))
    assert _launcher.run(cmd, env=env, capture_output=True, text=True).stdout.strip() == unlimited
    monkeypatch.setenv('MMKD_TOOL_LAUNCHER', 'subprocess')  # every run a real subprocess
    real = _launcher.run(cmd, env=env, rlimits=limit, capture_output=True, text=True)
    assert real.stdout.strip() == '(12345, 12345)'


def test_train_ranks_gives_each_rank_its_environment_and_stops_them_when_one_fails(tmp_path):
    from tests.utils import train_ranks
    script = tmp_path / 'rank_probe.py'
    script.write_text(
        textwrap.dedent('''
        import os, sys, time
        print(os.environ['RANK'], os.environ['WORLD_SIZE'], os.environ['MASTER_PORT'], sys.argv[1:])
        if os.environ.get('PROBE_FAIL') == os.environ['RANK']:
            sys.exit(3)
        if os.environ.get('PROBE_FAIL'):
            time.sleep(300)  # waits "in a collective" for the rank that failed
        '''))
    ok = train_ranks([script, 'x'], nproc=2)
    lines = [line for line in ok.stdout.splitlines() if not line.startswith('--- rank')]
    assert [line.split()[:2] for line in lines] == [['0', '2'], ['1', '2']]
    assert lines[0].split()[2] == lines[1].split()[2]  # one rendezvous port
    assert lines[0].endswith("['x', '--launcher', 'pytorch']")
    # rank 1 exits 3; rank 0 (asleep for longer than the timeout, which would raise) is killed
    failed = train_ranks([script], nproc=2, env={'PROBE_FAIL': '1'}, check=False, timeout=200)
    assert failed.returncode == signal.SIGKILL  # the highest of 3 and -SIGKILL
