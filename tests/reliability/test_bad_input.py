"""Bad input through the real tools: one message naming the problem and the fix, nothing lost."""
import os
import os.path as osp
import shutil

import pytest

from mmkd.datasets import write_tiny_cifar
from mmkd.utils.checkpoint import safe_load
from tests.tools.test_train_resume_test import TINY, data_opts
from tests.utils import run_tool

KD = 'configs/kd/resnet56_resnet20.py'
SMALL_KD = [
    'model.teacher=configs/_base_/models/resnet8.py',
    'model.student=configs/_base_/models/resnet8.py'
]


def fails_with(args, *fragments):
    proc = run_tool(args, check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    assert 'mmkd error:' in proc.stdout, proc.stdout[-3000:]
    assert 'Traceback' not in proc.stdout, proc.stdout[-3000:]
    message = proc.stdout.split('mmkd error:', 1)[1]
    for fragment in fragments:
        assert fragment in message, f'{fragment!r} not in {message!r}'
    return message


def train(config, work, *opts):
    return ['tools/train.py', config, '--work-dir', str(work), '--cfg-options'] + TINY + list(opts)


def test_missing_dataset(tmp_path):
    root = tmp_path / 'cifar100'
    fails_with(
        train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w', *data_opts(root),
              'train_dataloader.dataset.download=False'), 'cifar-100-python.tar.gz', str(root))


def test_corrupted_dataset_file(tmp_path):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    with open(osp.join(folder, 'train'), 'r+b') as f:
        f.truncate(50)
    fails_with(
        train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w', *data_opts(tmp_path)),
        'cannot be read', 'corrupted')


def test_missing_teacher_checkpoint(tiny_cifar_root, tmp_path):
    fails_with(
        train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root),
              f'model.teacher_ckpt={tmp_path}/none.pth'), 'Teacher checkpoint', 'does not exist',
        'configs/baselines')


@pytest.fixture(scope='module')
def resnet8_ckpt(trained_resnet8):
    """resnet8_cifar100 after one epoch of tools/train.py (the session's shared run)."""
    return osp.join(trained_resnet8, 'epoch_1.pth')


def test_teacher_checkpoint_of_another_model(tiny_cifar_root, resnet8_ckpt, tmp_path):
    fails_with(
        train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root),
              f'model.teacher_ckpt={resnet8_ckpt}'), 'does not fit the teacher config',
        'Missing keys', 'backbone.layer1.1.conv1.weight')


def test_class_count_mismatch(tiny_cifar_root, tmp_path):
    fails_with(
        train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), 'model.teacher_ckpt=None',
              'model.teacher.head.num_classes=10'),
        'teacher predicts 10 classes but the student 100')


def test_unknown_loss_type(tiny_cifar_root, tmp_path):
    fails_with(
        train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), 'model.teacher_ckpt=None',
              'model.distill_losses.kd.type=KLDLoss'), "Unknown model type 'KLDLoss'", 'KDLoss')


def test_unknown_dataset_type(tmp_path):
    fails_with(
        train('configs/baselines/resnet8_cifar100.py', tmp_path / 'w',
              'train_dataloader.dataset.type=CIFAR1000'), "Unknown dataset type 'CIFAR1000'",
        'CIFAR100')


def test_feature_index_out_of_range(tiny_cifar_root, tmp_path):
    fails_with(
        train('configs/fitnet/resnet56_resnet20.py', tmp_path / 'w', *data_opts(tiny_cifar_root),
              *SMALL_KD, 'model.teacher_ckpt=None', 'model.distill_losses.fitnet.source=9'),
        'feature index 9 does not exist', 'valid indices 0..4')


def test_batch_size_semckd_cannot_take(tiny_cifar_root, tmp_path):
    fails_with(
        train('configs/semckd/resnet32x4_resnet8x4.py', tmp_path / 'w', *data_opts(tiny_cifar_root),
              *SMALL_KD, 'model.teacher_ckpt=None'), 'batch', 'drop_last')


def test_resume_with_checkpoint_of_another_model(tiny_cifar_root, resnet8_ckpt, tmp_path):
    fails_with([
        'tools/train.py', 'configs/baselines/resnet20_cifar100.py', '--work-dir',
        str(tmp_path / 'w'), '--resume', resnet8_ckpt, '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root), 'does not fit the model', 'Missing keys')


def test_test_tool_with_full_distillation_checkpoint_and_plain_config(tiny_cifar_root, tmp_path):
    work = tmp_path / 'kd'
    run_tool(
        train(KD, work, *data_opts(tiny_cifar_root), *SMALL_KD, 'model.teacher_ckpt=None',
              'train_cfg.max_epochs=1'))
    fails_with([
        'tools/test.py', 'configs/baselines/resnet8_cifar100.py',
        str(work / 'epoch_1.pth'), '--work-dir',
        str(tmp_path / 't'), '--cfg-options'
    ] + TINY + data_opts(tiny_cifar_root), 'full distillation checkpoint', 'student_last.pth')


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tiny_cifar_root, tmp_path):
    work = tmp_path / 'nan'
    opts = list(data_opts(tiny_cifar_root)) + SMALL_KD + ['model.teacher_ckpt=None']
    run_tool(train(KD, work, *opts, 'train_cfg.max_epochs=1'))
    good = safe_load(str(work / 'epoch_1.pth'))['state_dict']
    message = fails_with(
        ['tools/train.py', KD, '--work-dir',
         str(work), '--resume', '--cfg-options'] + TINY + opts +
        ['train_cfg.max_epochs=2', 'model.distill_losses.kd.loss_weight=nan'],
        'non-finite at iteration', 'loss_kd=nan', 'epoch_1.pth')
    assert 'epoch 2' in message
    assert not osp.exists(work / 'epoch_2.pth')
    assert open(work / 'last_checkpoint').read().strip().endswith('epoch_1.pth')
    again = safe_load(str(work / 'epoch_1.pth'))['state_dict']
    assert all((good[k] == again[k]).all() for k in good)


# rel-exec: files that are not (usable) PyTorch checkpoints, through every tool route. Each is
# "corrupt or not a PyTorch checkpoint" with what the file is; never the advice to trust and
# unpickle it (issue 9 §5).
NOT_CHECKPOINT_ROUTES = {
    'random': 'resume',
    'text': 'teacher_ckpt',
    'plain_pickle': 'test',
    'npy': 'load_from',
    'flipped': 'resume',
    'truncated': 'teacher_ckpt',
    'list': 'test',
    'strings': 'load_from'
}


@pytest.mark.slow
@pytest.mark.parametrize('kind,route', sorted(NOT_CHECKPOINT_ROUTES.items()))
def test_file_that_is_not_a_checkpoint(tiny_cifar_root, tmp_path, kind, route):
    from tests.reliability.test_code_execution import DETAILS, bad_checkpoint_files
    path = str(bad_checkpoint_files(tmp_path)[kind])
    config = 'configs/baselines/resnet8_cifar100.py'
    if route == 'test':
        args = ['tools/test.py', config, path, '--work-dir',
                str(tmp_path / 'w'), '--cfg-options'] + TINY + data_opts(tiny_cifar_root)
    elif route == 'resume':
        args = [
            'tools/train.py', config, '--work-dir',
            str(tmp_path / 'w'), '--resume', path, '--cfg-options'
        ] + TINY + data_opts(tiny_cifar_root)
    elif route == 'load_from':
        args = train(config, tmp_path / 'w', *data_opts(tiny_cifar_root), f'load_from={path}')
    else:
        args = train(KD, tmp_path / 'w', *data_opts(tiny_cifar_root), *SMALL_KD,
                     f'model.teacher_ckpt={path}')
    message = fails_with(args, f'Checkpoint {path} is corrupt or not a PyTorch checkpoint',
                         DETAILS[kind])
    assert 'i-trust-this-file' not in message and 'pickled an' not in message
    assert len(message.strip().splitlines()) == 1


# end rel-exec

# rel-msg ----------------------------------------------------------------------------------------
# Messages for bad configs, options and tool arguments, checked by running the tools forked from
# the pre-imported tool launcher (tests/_launcher.py; cheap: no interpreter start or imports, most
# cases stop before any data is read); the runs that train or start several processes are
# subprocesses marked slow.
import pickle  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import torch  # noqa: E402

from tests import _launcher  # noqa: E402
from tests.utils import ROOT, dist_script_env  # noqa: E402

BASELINE = 'configs/baselines/resnet8_cifar100.py'


def run_main(tool, args, env=None, timeout=600):
    """Run ``python tools/<tool>.py args`` forked from the session's pre-imported tool launcher
    (no interpreter start or imports; every run is a fresh process); returns (exit code, output)."""
    full_env = _launcher.tool_env()
    full_env.pop('MMKD_DEBUG', None)
    full_env.update(env or {})
    proc = _launcher.run_quick(
        [sys.executable, f'tools/{tool}.py'] + [str(a) for a in args],
        cwd=ROOT,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    return proc.returncode, proc.stdout


def main_fails(tool, args, *fragments):
    """tools/<tool>.py with ``args`` exits 1 with one ``mmkd error:`` line holding ``fragments``."""
    code, output = run_main(tool, args)
    assert code == 1, output[-3000:]
    lines = [line for line in output.splitlines() if line.startswith('mmkd error:')]
    assert len(lines) == 1, output[-3000:]
    assert 'Traceback' not in output, output[-3000:]
    message = lines[0]
    for fragment in fragments:
        assert fragment in message, f'{fragment!r} not in {message!r}'
    return message


def _options(work, *opts):
    return ['--work-dir', work, '--cfg-options'] + TINY + list(opts)


# (tool, config, options, expected fragments): each fails before any data or weights are read
CONFIG_CASES = {
    'unknown loss argument':
    (KD, ['model.distill_losses.kd.temperature=2'],
     ["KDLoss (model.distill_losses.kd) has no argument 'temperature'", 'accepts: tau']),
    'unknown loop argument': (KD, ['train_cfg.max_epoch=2'], [
        "EpochBasedTrainLoop (train_cfg) has no argument 'max_epoch'", "Did you mean 'max_epochs'?",
        'accepts: max_epochs, val_begin'
    ]),
    'unknown backbone argument':
    (BASELINE, ['model.backbone.depht=20'],
     ["ResNetCifar (model.backbone) has no argument 'depht'", "Did you mean 'depth'?"]),
    'unknown argument in a student config file':
    (KD, ['model.student.backbone.depht=20'],
     ["ResNetCifar (model.student.backbone) has no argument 'depht'"]),
    'unknown dataloader argument':
    (BASELINE, ['train_dataloader.batch_sizee=2'],
     ["DataLoader (train_dataloader) has no argument 'batch_sizee'", "'batch_size'"]),
    'misspelt top-level option':
    (BASELINE, ['train_dataloder.batch_size=2'],
     ["no key 'train_dataloder'", "Did you mean 'train_dataloader.batch_size'?"]),
    'misspelt model option': (KD, ['modle.student.cfg_path=configs/_base_/models/resnet8.py'],
                              ["no key 'modle'", "Did you mean 'model.student.cfg_path'?"]),
    'file variable as option': (BASELINE, ['data_root=/somewhere'], [
        "'data_root' is a variable of the config file", 'changes nothing',
        'train_dataloader.dataset.data_root=..., val_dataloader.dataset.data_root=...'
    ]),
    'zero epochs': (BASELINE, ['train_cfg.max_epochs=0'], ['train_cfg.max_epochs=0', 'positive']),
    'negative lr': (BASELINE, ['optim_wrapper.optimizer.lr=-0.1'],
                    ['optim_wrapper.optimizer.lr=-0.1', 'negative learning rate']),
    'bad collective timeout': (BASELINE, ['env_cfg.dist_cfg.timeout=0'],
                               ['env_cfg.dist_cfg.timeout=0', 'seconds']),
    'option without =': (BASELINE, ['train_cfg.max_epochs'],
                         ["'train_cfg.max_epochs'", 'KEY=VALUE']),
    'unknown argument found at build time':
    (BASELINE, ['model.data_preprocessor.to_rgbb=True'],
     ["ClsDataPreprocessor has no argument 'to_rgbb'", "Did you mean 'to_rgb'?"]),
}


@pytest.mark.parametrize('case', sorted(CONFIG_CASES))
def test_config_mistake_message(case, tmp_path):
    config, opts, fragments = CONFIG_CASES[case]
    main_fails('train', [config] + _options(tmp_path / 'w', *opts), *fragments)
    assert not osp.exists(tmp_path / 'w' / 'last_checkpoint')


def test_misspelt_top_level_key_in_config_file(tmp_path):
    config = tmp_path / 'mine.py'
    config.write_text(f"_base_ = ['{ROOT}/{BASELINE}']\ntrain_dataloder = dict(batch_size=2)\n"
                      "my_pipeline = [dict(type='PackInputs')]\n"  # a variable: not flagged
                      'test_pipeline = my_pipeline\n')
    main_fails('train', [config] + _options(tmp_path / 'w'),
               "'train_dataloder' (did you mean 'train_dataloader'?)")


def test_missing_config_file(tmp_path):
    main_fails('train', ['configs/kd/resnet56_resnet2.py'] + _options(tmp_path / 'w'),
               'configs/kd/resnet56_resnet2.py does not exist', 'configs/kd/resnet56_resnet20.py')
    main_fails('test', ['configs/kd/nope.py', __file__], 'configs/kd/nope.py does not exist')


def test_work_dir_is_a_file(tmp_path):
    (tmp_path / 'f').write_text('')
    main_fails('train', [BASELINE] + _options(tmp_path / 'f'), 'is a file, not a folder')
    main_fails('train', [BASELINE] + _options(tmp_path / 'f' / 'sub'), 'a parent of the work dir',
               'is a file')


@pytest.fixture
def read_only_dir(tmp_path):
    """A folder this process cannot write to (immutable for root, mode 555 otherwise)."""
    folder = tmp_path / 'ro'
    folder.mkdir()
    immutable = os.geteuid() == 0 and subprocess.run(
        ['chattr', '+i', str(folder)], capture_output=True).returncode == 0 \
        if shutil.which('chattr') else False
    if not immutable:
        folder.chmod(0o555)
    try:
        (folder / 'probe').write_text('')
        writable = True
    except OSError:
        writable = False
    try:
        if writable:
            pytest.skip('cannot make a read-only folder here')
        yield folder
    finally:
        if immutable:
            subprocess.run(['chattr', '-i', str(folder)])
        folder.chmod(0o755)


def test_read_only_work_dir(read_only_dir):
    main_fails('train', [BASELINE] + _options(read_only_dir), 'is not writable', '--work-dir')


@pytest.mark.skipif(torch.cuda.is_available(), reason='the message is for machines without GPU')
def test_amp_without_gpu(tmp_path):
    main_fails('train', [BASELINE, '--amp'] + _options(tmp_path / 'w'), '--amp', 'needs a GPU')


def test_launcher_pytorch_without_torchrun(monkeypatch, tmp_path):
    for key in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    main_fails('train', [BASELINE, '--launcher', 'pytorch'] + _options(tmp_path / 'w'),
               '--launcher pytorch', 'RANK', 'tools/dist_train.sh')


def _rewrite_labels(folder, labels):
    path = osp.join(folder, 'train')
    with open(path, 'rb') as f:
        entry = pickle.load(f, encoding='latin1')
    entry['fine_labels'] = labels(entry['fine_labels'])
    with open(path, 'wb') as f:
        pickle.dump(entry, f)


@pytest.mark.parametrize('kind', ['string', 'fractional'])
def test_non_integer_labels(kind, tmp_path):
    folder = write_tiny_cifar(str(tmp_path), train_per_class=1, test_per_class=1)
    if kind == 'string':
        _rewrite_labels(folder, lambda ls: [f'class{y}' for y in ls])
        found = "found 'class"
    else:
        _rewrite_labels(folder, lambda ls: [y + 0.5 for y in ls])
        found = '.5 (float64)'
    main_fails('train', [BASELINE] + _options(tmp_path / 'w', *data_opts(tmp_path)),
               'labels must be integer class indices', osp.join(folder, 'train'), found)


def test_num_classes_smaller_than_labels(tiny_cifar_root, tmp_path):
    main_fails('train', [BASELINE] +
               _options(tmp_path / 'w', *data_opts(tiny_cifar_root), 'model.head.num_classes=10'),
               'labels up to 99', 'predicts 10 classes', 'num_classes to at least 100')


def test_empty_split(tmp_path):
    write_tiny_cifar(str(tmp_path), train_per_class=0, test_per_class=1)
    main_fails('train', [BASELINE] + _options(tmp_path / 'w', *data_opts(tmp_path)),
               f'CIFAR100 at {tmp_path}', "(split 'train')", 'the split is empty (0 samples)')


def test_drop_last_batch_larger_than_dataset(tiny_cifar_root, tmp_path):
    main_fails('train', [BASELINE] +
               _options(tmp_path / 'w', *data_opts(tiny_cifar_root),
                        'train_dataloader.batch_size=512', 'train_dataloader.drop_last=True'),
               'batch_size=512 with drop_last=True and 200 samples', '0 iterations per epoch',
               'drop_last=False')


def test_test_tool_refuses_non_finite_weights(tiny_cifar_root, tmp_path):
    from mmengine.config import Config

    from mmkd.registry import MODELS
    model = MODELS.build(Config.fromfile(osp.join(ROOT, BASELINE)).model)
    state = model.state_dict()
    state['head.fc.weight'][0, 0] = float('nan')
    state['backbone.conv1.weight'][0, 0, 0, 0] = float('inf')
    ckpt = tmp_path / 'diverged.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=state), ckpt)
    main_fails('test', [BASELINE, ckpt] + _options(tmp_path / 'w', *data_opts(tiny_cifar_root)),
               f'{ckpt} holds NaN/inf weights (2 tensors', 'head.fc.weight',
               'backbone.conv1.weight', 'earlier checkpoint')


def _configs(one_per_family):
    import glob
    paths = sorted(
        p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
        if '_base_' not in p)
    if one_per_family:
        seen = {}
        for p in paths:
            seen.setdefault(osp.dirname(p), p)
        paths = sorted(seen.values())
    return [osp.relpath(p, ROOT) for p in paths]


def _check_shipped(config):
    from mmengine.config import Config

    from mmkd.utils.config_check import check_config
    check_config(Config.fromfile(osp.join(ROOT, config)), config)


@pytest.mark.parametrize('config', _configs(one_per_family=True))
def test_shipped_config_passes_the_checks(config):
    _check_shipped(config)


@pytest.mark.slow
def test_every_shipped_config_passes_the_checks():
    for config in _configs(one_per_family=False):
        _check_shipped(config)


@pytest.mark.slow
def test_no_validate_and_num_workers_zero(tiny_cifar_root, tmp_path):
    """--no-validate on a distillation config trains; num_workers=0 alone turns persistent workers
    off (the config has persistent_workers=True)."""
    work = tmp_path / 'w'
    opts = [o for o in TINY if 'persistent_workers' not in o and 'test_' not in o]
    run_tool(['tools/train.py', KD, '--no-validate', '--work-dir',
              str(work), '--cfg-options'] + opts + data_opts(tiny_cifar_root)[:1] + SMALL_KD +
             ['model.teacher_ckpt=None', 'train_cfg.max_epochs=1'])
    assert osp.isfile(work / 'epoch_1.pth')
    assert osp.isfile(work / 'student_last.pth')
    assert not any(n.startswith('best_') for n in os.listdir(work))


@pytest.mark.slow
def test_dist_train_prints_the_error_once_and_last(tmp_path):
    proc = subprocess.run([
        'bash', 'tools/dist_train.sh', BASELINE, '2', '--work-dir',
        str(tmp_path / 'w'), '--cfg-options', 'train_cfg.max_epoch=3'
    ],
                          cwd=ROOT,
                          env=dist_script_env(),
                          stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT,
                          text=True,
                          timeout=600)
    assert proc.returncode != 0
    assert proc.stdout.count('mmkd error') == 1, proc.stdout[-4000:]
    last = [line for line in proc.stdout.splitlines() if line.strip()][-1]
    assert last.startswith("mmkd error: EpochBasedTrainLoop (train_cfg) has no argument "
                           "'max_epoch'"), proc.stdout[-4000:]


def _alive(pid):
    """Running or stopped (not gone, not a zombie waiting to be reaped)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def _pids_with(tag, rank):
    found = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            env = open(f'/proc/{pid}/environ', 'rb').read().split(b'\0')
        except OSError:
            continue
        if f'MMKD_TEST_TAG={tag}'.encode() in env and f'RANK={rank}'.encode() in env:
            found.append(int(pid))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not osp.isdir('/proc'), reason='finds the rank processes through /proc')
def test_stopped_rank_times_out_with_a_message(tiny_cifar_root, tmp_path):
    """A SIGSTOPped rank: the other one gives up after env_cfg.dist_cfg.timeout, not 30 min."""
    tag, work = uuid.uuid4().hex, tmp_path / 'w'
    proc = subprocess.Popen(
        ['bash', 'tools/dist_train.sh', BASELINE, '2', '--work-dir',
         str(work), '--cfg-options'] + TINY + data_opts(tiny_cifar_root) +
        ['train_cfg.max_epochs=100', 'env_cfg.dist_cfg.timeout=20'],
        cwd=ROOT,
        env=dist_script_env(MMKD_TEST_TAG=tag),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True)
    stopped = []
    try:
        deadline = time.monotonic() + 400
        while time.monotonic() < deadline and proc.poll() is None:
            logs = [osp.join(r, f) for r, _, fs in os.walk(work) for f in fs if f.endswith('.log')]
            if any('Epoch(train)' in open(p).read() for p in logs):
                break
            time.sleep(1)
        assert proc.poll() is None, proc.stdout.read()[-4000:]
        stopped = _pids_with(tag, 1)
        assert stopped, 'rank 1 not found'
        survivors = _pids_with(tag, 0)
        for pid in stopped:
            os.kill(pid, signal.SIGSTOP)
        # rank 0 gives up after the timeout and exits; torchrun then SIGTERMs the stopped rank
        # and SIGKILLs it 30 s later: kill it as soon as rank 0 is gone instead of waiting
        while time.monotonic() < deadline and any(map(_alive, survivors)):
            time.sleep(0.5)
        for pid in stopped:
            os.kill(pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=400)
    finally:
        for pid in stopped:
            for sig in (signal.SIGKILL, signal.SIGCONT):
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    last = [line for line in out.splitlines() if line.strip()][-1]
    assert last.startswith('mmkd error: A collective operation between the processes timed '
                           'out'), out[-4000:]
    assert 'env_cfg.dist_cfg.timeout=SECONDS' in last


def test_dist_scripts_show_the_lowest_rank_own_error_last(tmp_path):
    """The selection in tools/dist_*.sh, with a stand-in for torchrun: rank 1's own error wins over
    rank 0's "another process stopped", is printed once, last, and the files are removed."""
    fake = tmp_path / 'python'
    fake.write_text('#!/usr/bin/env bash\n'
                    'echo "mmkd error: peer gone" > "$MMKD_ERROR_FILE.peer0"\n'
                    'echo "mmkd error (rank 1): the real problem" > "$MMKD_ERROR_FILE.rank1"\n'
                    'echo "$MMKD_ERROR_FILE" > "$(dirname "$0")/where"\n'
                    'echo "torch.distributed.elastic.multiprocessing.errors.ChildFailedError:"\n'
                    'exit 1\n')
    fake.chmod(0o755)
    for script, args in (('dist_train.sh', [BASELINE,
                                            '2']), ('dist_test.sh', [BASELINE, 'x.pth', '2'])):
        proc = subprocess.run(
            ['bash', f'tools/{script}'] + args,
            cwd=ROOT,
            env=dict(os.environ, PYTHON=str(fake)),
            capture_output=True,
            text=True,
            timeout=60)
        assert proc.returncode == 1
        assert 'ChildFailedError' in proc.stdout
        err = [line for line in proc.stderr.splitlines() if line.strip()]
        assert err == ['mmkd error (rank 1): the real problem'], proc.stderr
        error_file = (tmp_path / 'where').read_text().strip()
        assert not [
            f
            for f in os.listdir(osp.dirname(error_file)) if f.startswith(osp.basename(error_file))
        ]


def test_report_and_exit_writes_the_rank_file(monkeypatch, tmp_path):
    from mmkd.utils.cli import PeerFailure, report_and_exit
    from mmkd.utils.errors import ConfigError
    monkeypatch.setenv('MMKD_ERROR_FILE', str(tmp_path / 'err'))
    monkeypatch.setenv('RANK', '1')
    with pytest.raises(SystemExit):
        report_and_exit(PeerFailure('gone'))
    with pytest.raises(SystemExit):
        report_and_exit(ConfigError('bad'))
    assert (tmp_path / 'err.peer1').read_text() == 'mmkd error (rank 1): gone\n'
    assert (tmp_path / 'err.rank1').read_text() == 'mmkd error (rank 1): bad\n'


# rel-msg end ------------------------------------------------------------------------------------
