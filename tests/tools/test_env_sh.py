"""tools/env.sh: sourcing keeps the caller's shell intact; concurrent first runs build once."""
import os
import os.path as osp
import subprocess
import textwrap

from tests.utils import ROOT

ENV_SH = osp.join(ROOT, 'tools', 'env.sh')


def _fake_python(tmp_path):
    """A stand-in for python3.11 whose ``-m venv DIR`` makes a venv that records pip calls."""
    log = tmp_path / 'builds.log'
    script = tmp_path / 'fake_python'
    script.write_text(
        textwrap.dedent(f'''\
        #!/usr/bin/env bash
        # fake "python -m venv DIR": a bin/python that logs (slowly) and an empty activate
        venv="$3"
        mkdir -p "$venv/bin"
        echo "venv $venv" >> {log}
        cat > "$venv/bin/python" <<'INNER'
        #!/usr/bin/env bash
        sleep 1
        echo "pip $*" >> {log}
        INNER
        chmod +x "$venv/bin/python"
        : > "$venv/bin/activate"
        '''))
    script.chmod(0o755)
    return str(script), log


def _bash(code, env, cwd):
    return subprocess.run(['bash', '-c', code],
                          env=env,
                          cwd=cwd,
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=120)


def test_sourcing_keeps_shell_options_and_directory(tmp_path):
    fake, _ = _fake_python(tmp_path)
    env = dict(os.environ, MMKD_PYTHON=fake, MMKD_VENV=str(tmp_path / 'venv'))
    code = ('set +e +u; before="$(set +o; pwd)"; source ' + ENV_SH + ' || exit 9; '
            'after="$(set +o; pwd)"; [ "$before" = "$after" ] || { echo CHANGED; '
            'diff <(echo "$before") <(echo "$after"); exit 3; }; '
            'false; echo "still here $PYTHONPATH"')
    proc = _bash(code, env, str(tmp_path))
    assert proc.returncode == 0, proc.stdout
    assert 'still here ' + ROOT in proc.stdout


def test_two_first_runs_at_once_build_the_environment_once(tmp_path):
    fake, log = _fake_python(tmp_path)
    env = dict(os.environ, MMKD_PYTHON=fake, MMKD_VENV=str(tmp_path / 'venv'))
    code = f'source {ENV_SH} && echo ready'
    procs = [
        subprocess.Popen(['bash', '-c', code],
                         env=env,
                         cwd=str(tmp_path),
                         stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT,
                         text=True) for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 and 'ready' in o for p, o in zip(procs, outs)), outs
    lines = log.read_text().splitlines()
    assert sum(line.startswith('venv ') for line in lines) == 1, lines
    assert osp.isfile(tmp_path / 'venv' / '.mmkd-ready')


def test_failed_build_is_reported_and_not_marked_ready(tmp_path):
    broken = tmp_path / 'broken_python'
    broken.write_text('#!/usr/bin/env bash\necho "no venv module" >&2\nexit 1\n')
    broken.chmod(0o755)
    env = dict(os.environ, MMKD_PYTHON=str(broken), MMKD_VENV=str(tmp_path / 'venv'))
    proc = _bash(f'set +e; source {ENV_SH}; echo "status $?"', env, str(tmp_path))
    assert 'status 1' in proc.stdout, proc.stdout
    assert 'creating' in proc.stdout and 'failed' in proc.stdout
    assert not osp.exists(tmp_path / 'venv' / '.mmkd-ready')
