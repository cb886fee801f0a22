"""Helpers shared by tests: shrink a shipped config so that it runs in seconds on generated data."""
import os
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _walk(obj, fn):
    if isinstance(obj, dict):
        fn(obj)
        for v in obj.values():
            _walk(v, fn)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            _walk(v, fn)


def shrink_config(cfg, data_root: str, batch_size: int = 2, n_data: int = None):
    """Point every dataset at ``data_root`` and make the run tiny (in place; returns ``cfg``).

    * every dataloader gets ``batch_size`` and no worker processes;
    * every dataset with a ``data_root`` reads ``data_root`` (the generated CIFAR); STL-10 and
      Tiny-ImageNet read generated copies in their own formats (:func:`generated_dataset_root`);
    * an mmpretrain ``ImageNet`` dataset (HSAKD's ImageNet configs) becomes the generated CIFAR-100
      under ``data_root``: CIFAR split names, no ``LoadImageFromFile`` (CIFAR images are in
      memory), ImageNet's 1000 class names kept so that the 1000-way model and the dataset agree,
      crop/resize sizes scaled by 64/224;
    * batch-size-dependent modules (SemCKD's SelfA, whose MLP width is batch/4, so at least 4) get
      the new batch size; CRD's memory gets the dataset size ``n_data`` and a handful of negatives;
    * no checkpoint is loaded: the teacher (``teacher_ckpt``), the distilled student of a linear
      evaluation (``student_ckpt``) and HSAKD's frozen backbone (``backbone_ckpt``) stay as built.

    Idempotent: shrinking again (e.g. once ``n_data`` is known) changes only what the new
    arguments change.
    """
    types = set()
    _walk(cfg._cfg_dict, lambda d: types.add(d.get('type')))
    if 'SelfAttentionConnector' in types:
        batch_size = max(batch_size, 4)

    def fix(d):
        if 'data_root' in d:
            d['data_root'] = data_root
        if d.get('type') == 'CRDInstanceSampleDataset':
            d['nce_k'] = 4
        if d.get('type') == 'CRDConnector':
            d['nce_k'] = 4
            if n_data is not None:
                d['n_data'] = n_data
        if 'batch_size' in d and d.get('type') == 'SelfAttentionConnector':
            d['batch_size'] = batch_size
        if d.get('type') in GENERATED_DATASETS:  # STL-10 / Tiny-ImageNet: generated copies
            d['data_root'] = generated_dataset_root(data_root, d['type'])

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            loader['batch_size'] = batch_size
            loader['num_workers'] = 0
            loader['persistent_workers'] = False
    _walk(cfg._cfg_dict, _imagenet_as_tiny_cifar(data_root))
    _walk(cfg._cfg_dict, fix)
    model = cfg.get('model') or {}
    for net in ('teacher', 'student', 'backbone'):
        key = f'{net}_ckpt'
        if key in model or (net == 'teacher' and 'teacher' in model):
            model[key] = None
            model[f'{key}_required'] = False
    return cfg


def _imagenet_as_tiny_cifar(data_root: str):

    def fix(d):
        if d.get('type') != 'ImageNet':
            return
        from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
        split = 'train' if d.get('split', 'train') == 'train' else 'test'
        pipeline = [dict(t) for t in d.get('pipeline', []) if t.get('type') != 'LoadImageFromFile']
        for t in pipeline:  # 224-pixel crops of 32-pixel images: 64 pixels are enough for a test
            for key in ('scale', 'crop_size'):
                if isinstance(t.get(key), int):
                    t[key] = max(1, t[key] * 64 // 224)
        for key in [k for k in d if k != 'pipeline']:
            del d[key]
        d.update(
            type='CIFAR100',
            data_root=data_root,
            split=split,
            metainfo=dict(classes=IMAGENET_CATEGORIES))
        d['pipeline'] = pipeline

    return fix


def run_tool(args, check=True, env=None, timeout=600):
    """Run ``python <args>`` from the repo root; return the CompletedProcess (text output).

    The run is forked from the session's pre-imported tool launcher (:mod:`tests._launcher`:
    a fresh interpreter's behaviour without its ~5 s of imports), or is a real subprocess where
    the launcher cannot reproduce one (e.g. ``env`` sets a variable read at interpreter start).
    """
    from tests import _launcher
    proc = _launcher.run(
        [sys.executable] + [str(a) for a in args],
        cwd=ROOT,
        env=_launcher.tool_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}')
    return proc


#: dataset types that shrink_config points at generated copies (written once next to data_root)
GENERATED_DATASETS = ('STL10', 'TinyImageNet')


def generated_dataset_root(data_root: str, dataset_type: str) -> str:
    """A tiny STL-10 / Tiny-ImageNet (real formats, real class counts) under ``data_root``."""
    import shutil
    import tempfile
    root = osp.join(data_root, f'_generated_{dataset_type.lower()}')
    if osp.isdir(root):
        return root
    tmp = tempfile.mkdtemp(dir=data_root, prefix=f'.{dataset_type.lower()}.')
    if dataset_type == 'STL10':
        from mmkd.datasets.stl10 import write_tiny_stl10
        write_tiny_stl10(tmp, train_per_class=2, test_per_class=1)
    else:
        from mmkd.datasets.tiny_imagenet import write_tiny_imagenet
        write_tiny_imagenet(tmp, num_classes=200, train_per_class=1, val_per_class=1)
    try:
        os.rename(tmp, root)
    except OSError:  # written meanwhile by another process
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def assert_equal_trees(a, b, where=''):
    """``a`` and ``b`` (tensors, dicts, lists/tuples of them, plain values) are equal exactly:
    same keys and lengths, bit-identical tensors; ``where`` names the first difference."""
    import torch
    if isinstance(a, torch.Tensor):
        assert torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            assert_equal_trees(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_equal_trees(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for a rendezvous)."""
    import socket
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_script_env(**extra) -> dict:
    """The environment for ``bash tools/dist_train.sh`` / ``dist_test.sh`` in a test: this
    interpreter as ``PYTHON``, a free rendezvous ``PORT``, one thread, the repo on PYTHONPATH."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    env['PYTHONPATH'] = ROOT + os.pathsep + env.get('PYTHONPATH', '')
    env.update(extra)
    return env


def train_ranks(args, nproc=2, env=None, timeout=600, check=True):
    """``tools/train.py args --launcher pytorch`` as ``nproc`` ranks of one job on this machine.

    Each rank gets the environment torchrun gives it (``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE``,
    ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``) and is forked from the session's
    tool launcher like :func:`run_tool` (no interpreter start or imports per rank). For tests of
    what several processes compute (gradients all-reduced, BatchNorm synchronised, a resume);
    the user's path, ``tools/dist_train.sh`` with torchrun, is tested as such on the headline
    config (tests/tools/test_hsakd_tools.py) and for its error report
    (tests/reliability/test_bad_input.py).

    Returns a CompletedProcess: the highest exit code of the ranks (a failing rank's others are
    killed, as torchrun does), their outputs one after the other (rank 0 first); ``check`` raises
    when a rank failed.
    """
    import tempfile

    from tests import _launcher
    port = str(free_port())
    procs, logs = [], []
    try:
        for rank in range(nproc):
            rank_env = dict(
                env or {},
                RANK=str(rank),
                LOCAL_RANK=str(rank),
                WORLD_SIZE=str(nproc),
                LOCAL_WORLD_SIZE=str(nproc),
                MASTER_ADDR='127.0.0.1',
                MASTER_PORT=port)
            logs.append(tempfile.TemporaryFile())  # a file: no pipe to drain while ranks wait
            procs.append(
                _launcher.Popen(
                    [sys.executable] + [str(a) for a in args] + ['--launcher', 'pytorch'],
                    cwd=ROOT,
                    env=_launcher.tool_env(rank_env),
                    stdout=logs[-1],
                    stderr=subprocess.STDOUT))
        # as torchrun does: once a rank fails, the others are stopped (they would wait for it in
        # their next collective until the process-group timeout)
        deadline = time.monotonic() + timeout
        while True:
            codes = [p.poll() for p in procs]  # every rank's (no short-circuit)
            if None not in codes:
                break
            if any(c not in (None, 0) for c in codes):
                for p, c in zip(procs, codes):
                    if c is None:
                        p.kill()
            elif time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(args, timeout)
            time.sleep(0.05)
        outputs = []
        for log in logs:
            log.seek(0)
            outputs.append(log.read().decode(errors='replace'))
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for log in logs:
            log.close()
    code = max(abs(p.returncode) for p in procs)
    out = ''.join(f'--- rank {r}\n{o}' for r, o in enumerate(outputs))
    if check and code != 0:
        raise AssertionError(f'{" ".join(map(str, args))} on {nproc} ranks failed:\n{out[-6000:]}')
    return subprocess.CompletedProcess(args, code, out)
