"""The README's lint command passes on the whole tree (full tier: it reads every file)."""
import os.path as osp
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.mark.slow
def test_lint_sh_passes():
    res = subprocess.run(['bash', osp.join('tools', 'dev', 'lint.sh')],
                         cwd=ROOT,
                         capture_output=True,
                         text=True)
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    for step in ('[lint] flake8', '[lint] isort', '[lint] yapf',
                 'generate_distill_configs.py --check'):
        assert step in res.stdout


def test_lint_sh_fails_on_a_lint_error(tmp_path):
    """flake8 and isort read setup.cfg: a bad file under a copy of the settings is reported."""
    bad = tmp_path / 'bad.py'
    bad.write_text('import os\nimport sys, re\nx=1\n')
    cfg = osp.join(ROOT, 'setup.cfg')
    flake = subprocess.run(['flake8', '--config', cfg, str(bad)], capture_output=True, text=True)
    assert flake.returncode != 0 and 'F401' in flake.stdout and 'E401' in flake.stdout
    isort = subprocess.run(['isort', '--settings-path', cfg, '--check-only',
                            str(bad)],
                           capture_output=True,
                           text=True)
    assert isort.returncode != 0
    yapf = subprocess.run(
        ['yapf', '--style', cfg, '--diff', str(bad)], capture_output=True, text=True)
    assert yapf.returncode != 0 and '+x = 1' in yapf.stdout
