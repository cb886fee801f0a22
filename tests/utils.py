"""Helpers shared by tests: shrink a shipped config so that it runs in seconds on generated data."""
import os
import os.path as osp
import subprocess
import sys

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

    Batch-size-dependent modules (SemCKD's SelfA, whose MLP width is batch/4, so at least 4) get
    the new batch size; CRD's memory gets the dataset size ``n_data`` and a handful of negatives.
    """
    if 'SelfAttentionConnector' in cfg.pretty_text:
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

    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(key)
        if loader:
            loader['batch_size'] = batch_size
            loader['num_workers'] = 0
            loader['persistent_workers'] = False
    _walk(cfg._cfg_dict, fix)
    if 'teacher' in cfg.model:
        cfg.model['teacher_ckpt'] = None
        cfg.model['teacher_ckpt_required'] = False
    return cfg


def run_tool(args, check=True, env=None, timeout=600):
    """Run ``python <args>`` from the repo root; return the CompletedProcess (text output)."""
    full_env = dict(os.environ)
    full_env['PYTHONPATH'] = ROOT + os.pathsep + full_env.get('PYTHONPATH', '')
    full_env.setdefault('OMP_NUM_THREADS', '1')
    if env:
        full_env.update(env)
    proc = subprocess.run([sys.executable] + list(args), cwd=ROOT, env=full_env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(args)} failed ({proc.returncode}):\n{proc.stdout[-6000:]}')
    return proc
