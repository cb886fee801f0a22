"""Online HSSAKD as an online distiller with one part per peer (issue 12).

* one SGD per peer (the configs' OnlineParts wrapper) = the reference's one SGD over both peers on
  the summed loss, two steps in float64;
* three peers: every loss by hand (mean over the other peers), all forwards before any update,
  updates in order peer1, peer2, peer3;
* bad input (num_peers, a missing / unknown / single optimizer) is one ConfigError line;
* checkpoints of the earlier ``peers.<i>`` layout load;
* through tools/train.py: stop + --resume is bit-exact for every peer, optimizer and scheduler;
  2 gloo processes x batch B train what 1 process trains with 2B.
"""
import copy
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmpretrain.structures import DataSample

from mmkd.models.losses.kd import kd_loss
from mmkd.registry import METRICS, MODELS
from mmkd.utils.checkpoint import safe_load
from mmkd.utils.errors import ConfigError
from tests import _launcher
from tests.models.distillers.test_online_hssakd import T, ce, kl, rotated_by_hand
from tests.utils import ROOT, assert_equal_trees, run_tool, train_ranks

PEER = 'configs/_base_/models/hsakd/resnet20_aux.py'
CONFIG = 'configs/hssakd/resnet56.py'
C = 10
TERMS = ('loss_cls', 'loss_aux', 'loss_kd', 'loss_kd_aux')


@pytest.fixture(autouse=True)
def mmkd_scope():
    init_default_scope('mmkd')


def build(num_peers=2, seed=0, dtype=torch.float32, **kwargs):
    peer = Config.fromfile(osp.join(ROOT, PEER)).model.to_dict()
    peer['head']['num_classes'] = C
    torch.manual_seed(seed)
    model = MODELS.build(
        dict(
            type='HSSAKDOnlineDistiller',
            peer=peer,
            num_peers=num_peers,
            data_preprocessor=dict(type='BaseDataPreprocessor'),
            **kwargs))
    model.init_weights()
    return model.to(dtype).train()


def batch(n=2, seed=0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g, dtype=dtype)
    y = torch.randint(0, C, (n, ), generator=g)
    return x, y, [DataSample().set_gt_label(int(v)) for v in y]


def peers(model):
    return [getattr(model, name) for name in model.part_names]


def shipped_optim_wrapper(model, config=CONFIG, **optimizer):
    cfg = copy.deepcopy(Config.fromfile(osp.join(ROOT, config)).optim_wrapper.to_dict())
    cfg['peer*']['optimizer'].update(optimizer)
    return build_optim_wrapper(model, cfg)


def test_one_sgd_per_peer_is_the_references_single_sgd():
    """HSAKD train_online_kd_cifar.py: one SGD (lr 0.05, momentum 0.9, Nesterov, wd 5e-4) over
    both networks of mutual_kd_net.py, stepping on the sum of every term."""
    model = build(dtype=torch.float64)
    ref = copy.deepcopy(model)
    wrappers = shipped_optim_wrapper(model)
    assert list(wrappers.keys()) == ['peer1', 'peer2']
    opt = dict(Config.fromfile(osp.join(ROOT, CONFIG)).optim_wrapper['peer*']['optimizer'])
    assert opt == dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    opt.pop('type')
    single = torch.optim.SGD(list(ref.peer1.parameters()) + list(ref.peer2.parameters()), **opt)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    for step in range(2):  # the second step exercises the momentum buffers
        x, y, samples = batch(seed=step, dtype=torch.float64)
        model.train_step(dict(inputs=x, data_samples=samples), wrappers)
        x4, joint = rotated_by_hand(x, y)
        (f1, a1), (f2, a2) = [(o.logits, o.ss_logits)
                              for o in (p.forward_aux(x4) for p in (ref.peer1, ref.peer2))]
        # kd_loss (checked against the formula in test_online_hssakd.py) computes in float32
        # for AMP; the same call here keeps the comparison at float64 precision
        loss = (
            ce(f1[0::4], y) + ce(f2[0::4], y) + sum(ce(a, joint) for a in a1 + a2) +
            kd_loss(f1, f2.detach(), T) + kd_loss(f2, f1.detach(), T) + sum(
                kd_loss(s1, s2.detach(), T) + kd_loss(s2, s1.detach(), T)
                for s1, s2 in zip(a1, a2)))
        single.zero_grad()
        loss.backward()
        single.step()
    moved = 0
    for key, value in ref.state_dict().items():
        got = model.state_dict()[key]
        if value.is_floating_point():
            # float64: only the order of the gradient sums differs
            torch.testing.assert_close(got, value, rtol=1e-9, atol=1e-12, msg=key)
            moved += int((got - start[key]).abs().max() > 1e-6)
        else:
            assert torch.equal(got, value), key
    assert moved > 100  # both peers' weights really moved (not a vacuous comparison)


def test_three_peers_losses_order_and_updates():
    model = build(num_peers=3, dtype=torch.float64)
    assert model.part_names == ['peer1', 'peer2', 'peer3']
    x, y, samples = batch(n=2, seed=3, dtype=torch.float64)
    before = copy.deepcopy(model)

    # every loss by hand: KL terms are the mean over the two other peers
    losses = before.loss(x, samples)
    assert list(losses) == [f'peer{p}.{t}' for p in (1, 2, 3) for t in TERMS]
    x4, joint = rotated_by_hand(x, y)
    with torch.no_grad():
        outs = [p.forward_aux(x4) for p in peers(copy.deepcopy(before))]
    for p, me in enumerate(outs):
        others = [o for q, o in enumerate(outs) if q != p]
        want = {
            'loss_cls': ce(me.logits[0::4], y),
            'loss_aux': sum(ce(a, joint) for a in me.ss_logits),
            'loss_kd': sum(kl(me.logits, o.logits) for o in others) / 2,
            'loss_kd_aux':
            sum(kl(s, t) for o in others for s, t in zip(me.ss_logits, o.ss_logits)) / 2
        }
        for term, value in want.items():
            # the KL terms are computed in float32 (kd_loss), CE in float64
            tol = 1e-5 if 'kd' in term else 1e-10
            torch.testing.assert_close(
                losses[f'peer{p + 1}.{term}'].detach().double(), value, rtol=tol, atol=tol * 1e-2)

    # one plain-SGD step per peer from the gradients of the state *before* any update
    lr = 0.1
    expected = {}
    for p, name in enumerate(before.part_names, 1):
        net = getattr(before, name)
        params = dict(net.named_parameters())
        total = sum(v for k, v in losses.items() if k.startswith(f'{name}.'))
        grads = torch.autograd.grad(total, list(params.values()))
        expected.update({
            f'{name}.{k}': v.detach() - lr * g
            for (k, v), g in zip(params.items(), grads)
        })

    wrappers = shipped_optim_wrapper(model, lr=lr, momentum=0, weight_decay=0, nesterov=False)
    events = []
    for name in model.part_names:
        getattr(model, name).register_forward_hook(
            lambda m, a, kw, out, name=name: events.append(('forward', name)), with_kwargs=True)
        wrapper = wrappers[name]
        original = wrapper.update_params
        wrapper.update_params = (lambda loss, original=original, name=name, **kw: (events.append(
            ('update', name)), original(loss, **kw))[1])
    log = model.train_step(dict(inputs=x, data_samples=samples), wrappers)
    assert events == [('forward', f'peer{p}') for p in (1, 2, 3)] + \
        [('update', f'peer{p}') for p in (1, 2, 3)]
    for p in (1, 2, 3):
        total = sum(float(losses[f'peer{p}.{t}'].detach()) for t in TERMS)
        assert float(log[f'peer{p}.loss'].detach()) == pytest.approx(total, rel=1e-10)
    params = dict(model.named_parameters())
    assert set(params) == set(expected)
    for key, value in expected.items():
        torch.testing.assert_close(params[key].detach(), value, rtol=1e-9, atol=1e-12, msg=key)


def test_three_peers_predict_select_and_export():
    model = build(num_peers=3).eval()
    x, _, samples = batch(n=4, seed=5)
    plain_cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/models/resnet20.py')).model
    plain_cfg.head.num_classes = C
    plain = MODELS.build(plain_cfg)
    preds = model(x, samples, mode='predict')
    assert preds[0].peer_scores.shape == (3, C)
    metric = METRICS.build(dict(type='PeerAccuracy', topk=(1, )))
    # make peer 3 right on every sample: it is the best, and becomes the deliverable
    for sample, pred in zip(samples, preds):
        sample.set_gt_label(int(pred.peer_scores[2].argmax()))
    metric.process(
        {}, [dict(peer_scores=p.peer_scores, gt_label=s.gt_label) for p, s in zip(preds, samples)])
    result = metric.evaluate(len(samples))
    assert result['peer3/top1'] == 100.0 and result['accuracy/top1'] == 100.0
    assert result['peer/best'] == 3
    model.set_best_peer(result['peer/best'] - 1)
    assert model.deliverable == 'peer3' and model.student is model.peer3
    plain.load_state_dict(model.student_state_dict(), strict=True)
    plain.eval()
    torch.testing.assert_close(model(x, mode='tensor'), plain(x, mode='tensor'))
    again = model(x, samples, mode='predict')
    torch.testing.assert_close(again[0].pred_score, again[0].peer_scores[2])
    with pytest.raises(ValueError, match=r'best peer must be in \[0, 3\)'):
        model.set_best_peer(3)


def test_bad_input_is_one_clear_error():
    for bad in (1, 0, 2.0, True):
        with pytest.raises(ConfigError, match='num_peers must be an integer of at least 2'):
            build(num_peers=bad)
    model = build()
    sgd = dict(optimizer=dict(type='SGD', lr=0.1))
    with pytest.raises(
            ConfigError, match=r"part 'peer2' has no optimizer: add "
            r"optim_wrapper\.peer2"):
        build_optim_wrapper(model,
                            dict(constructor='OnlinePartsOptimWrapperConstructor', peer1=sgd))
    with pytest.raises(
            ConfigError, match=r'optim_wrapper\.peer3 configures a part that does '
            r'not exist'):
        build_optim_wrapper(
            model,
            dict(constructor='OnlinePartsOptimWrapperConstructor', peer1=sgd, peer2=sgd, peer3=sgd))
    # an earlier config's single optimizer over the whole model
    single = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    x, _, samples = batch()
    with pytest.raises(
            ConfigError,
            match=r"trains 2 parts with one optimizer each \(peer1, "
            r"peer2\); set optim_wrapper = dict\(constructor="):
        model.train_step(dict(inputs=x, data_samples=samples), single)


def test_checkpoints_of_the_earlier_layout_load(tmp_path):
    """Before issue 12 the peers were one ModuleList: ``peers.0.*``, ``peers.1.*``."""
    source = build(seed=1)
    source.set_best_peer(1)
    old = {
        re.sub(r'^peer(\d+)\.', lambda m: f'peers.{int(m.group(1)) - 1}.', k): v
        for k, v in source.state_dict().items()
    }
    assert any(k.startswith('peers.1.')
               for k in old) and not any(k.startswith('peer2.') for k in old)
    path = str(tmp_path / 'old.pth')
    torch.save(dict(state_dict=old, meta=dict()), path)
    model = build(seed=2)
    load_checkpoint(model, path, strict=True)
    assert int(model.best_peer) == 1
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key


# ----------------------------------------------------------------------------- tools/train.py
def tiny_opts(root):
    from tests.tools.test_train_resume_test import TINY, data_opts
    return TINY + data_opts(root) + [
        f'model.peer={PEER}', 'train_dataloader.dataset.indices=32', 'randomness.seed=5'
    ]


@pytest.mark.slow
def test_train_stop_resume_is_bit_exact(tiny_cifar_root, tmp_path):
    opts = tiny_opts(tiny_cifar_root) + ['train_cfg.max_epochs=2']
    straight, split = str(tmp_path / 'straight'), str(tmp_path / 'split')
    run_tool(['tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options'] + opts)
    out = run_tool([
        'tools/train.py', CONFIG, '--work-dir', split, '--resume',
        osp.join(straight, 'epoch_1.pth'), '--cfg-options'
    ] + opts).stdout
    assert 'resumed epoch: 1' in out
    a = safe_load(osp.join(straight, 'epoch_2.pth'))
    b = safe_load(osp.join(split, 'epoch_2.pth'))
    assert_equal_trees(a['state_dict'], b['state_dict'], 'state_dict')
    assert list(a['optimizer']) == ['peer1', 'peer2']  # one SGD per peer
    assert_equal_trees(a['optimizer'], b['optimizer'], 'optimizer')
    assert list(a['param_schedulers']) == ['peer1', 'peer2']
    assert_equal_trees(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')
    for name in ('peer1', 'peer2'):
        assert a['param_schedulers'][name][0]['_last_value'] == [0.05]
        assert a['optimizer'][name]['param_groups'][0]['nesterov'] is True
    # the export is the best peer of the last validation, as the plain resnet20
    best = int(a['state_dict']['best_peer'])
    head = f'peer{best + 1}.'
    student = safe_load(osp.join(straight, 'student_last.pth'))['state_dict']
    assert student.keys() == {
        k[len(head):]
        for k in a['state_dict'] if k.startswith(head) and '.aux_branches.' not in k
    }
    plain = MODELS.build(Config.fromfile(osp.join(ROOT, 'configs/_base_/models/resnet20.py')).model)
    plain.load_state_dict(student, strict=True)

    # tools/test.py: the plain config on the export is that peer of the full checkpoint
    from tests.tools.test_train_resume_test import TINY, data_opts
    test_opts = TINY + data_opts(tiny_cifar_root)
    out_plain = run_tool([
        'tools/test.py', 'configs/baselines/resnet20_cifar100.py',
        osp.join(straight, 'student_last.pth'), '--work-dir',
        str(tmp_path / 't1'), '--cfg-options'
    ] + test_opts).stdout
    out_full = run_tool([
        'tools/test.py', CONFIG,
        osp.join(straight, 'epoch_2.pth'), '--work-dir',
        str(tmp_path / 't2'), '--cfg-options'
    ] + test_opts + [f'model.peer={PEER}']).stdout
    top1 = re.search(r'^accuracy/top1: (\d+\.\d\d)$', out_plain, re.M).group(1)
    assert re.search(rf'^peer{best + 1}/top1: {top1}$', out_full, re.M), (top1, out_full[-2000:])
    peer_top1 = [float(v) for v in re.findall(r'^peer\d/top1: (\d+\.\d\d)$', out_full, re.M)]
    best_top1 = re.search(r'^accuracy/top1: (\d+\.\d\d)$', out_full, re.M).group(1)
    assert len(peer_top1) == 2 and float(best_top1) == max(peer_top1)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_is_bit_exact(tiny_cifar_root, tmp_path):
    """SIGKILL a run once its first epoch checkpoint exists (mid-iteration or mid-save), then
    ``--resume``: the result equals an uninterrupted run, every peer and optimizer."""
    import signal
    import time
    opts = tiny_opts(tiny_cifar_root) + ['train_cfg.max_epochs=3']
    straight, killed = str(tmp_path / 'straight'), str(tmp_path / 'killed')
    run_tool(['tools/train.py', CONFIG, '--work-dir', straight, '--cfg-options'] + opts)
    # run_tool's environment and thread count (same reductions as the uninterrupted run)
    env = _launcher.tool_env({'OMP_NUM_THREADS': '1'})
    cmd = [sys.executable, 'tools/train.py', CONFIG, '--work-dir', killed, '--cfg-options'] + opts
    with open(str(tmp_path / 'killed.log'), 'w') as log:
        # forked from the pre-imported tool launcher; SIGKILL by pid as a real process
        proc = _launcher.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 600
        while proc.poll() is None and not osp.exists(osp.join(killed, 'epoch_1.pth')) and \
                time.time() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not osp.exists(osp.join(killed, 'epoch_3.pth')), 'the run ended before the kill'
    out = run_tool(cmd[1:5] + ['--resume'] + cmd[5:]).stdout
    assert 'resumed epoch:' in out
    a = safe_load(osp.join(straight, 'epoch_3.pth'))
    b = safe_load(osp.join(killed, 'epoch_3.pth'))
    for key in ('state_dict', 'optimizer', 'param_schedulers'):
        assert_equal_trees(a[key], b[key], key)


@pytest.mark.slow
def test_tools_train_bad_num_peers_is_one_line(tiny_cifar_root, tmp_path):
    proc = run_tool(
        ['tools/train.py', CONFIG, '--work-dir',
         str(tmp_path), '--cfg-options'] + tiny_opts(tiny_cifar_root) + ['model.num_peers=1'],
        check=False)
    assert proc.returncode == 1
    assert 'mmkd error: HSSAKDOnlineDistiller: num_peers must be an integer of at least 2' \
        in proc.stdout
    assert 'Traceback' not in proc.stdout


@pytest.mark.slow
def test_two_processes_equal_one_process_with_double_batch(tiny_cifar_root, tmp_path):
    common = [o for o in tiny_opts(tiny_cifar_root) if 'batch_size' not in o] + [
        'val_dataloader.batch_size=50',
        'test_dataloader.batch_size=50',
        # 2 iterations; small steps (a 1e-7 rounding difference grows with every large step)
        'optim_wrapper.peer*.optimizer.lr=0.001'
    ]
    one, two = str(tmp_path / 'one'), str(tmp_path / 'two')
    run_tool(['tools/train.py', CONFIG, '--work-dir', one, '--cfg-options'] + common +
             ['train_dataloader.batch_size=16', 'train_cfg.max_epochs=1'])

    def dist_train(opts, extra=()):  # the ranks torchrun starts (tests.utils.train_ranks)
        return train_ranks(
            ['tools/train.py', CONFIG, '--work-dir', two, *extra, '--cfg-options'] + opts +
            ['train_dataloader.batch_size=8', 'sync_bn=torch'],
            timeout=900).stdout

    assert 'CPUSyncSeparateDistributedDataParallel' in dist_train(common +
                                                                  ['train_cfg.max_epochs=1'])
    a = safe_load(osp.join(one, 'epoch_1.pth'))
    b = safe_load(osp.join(two, 'epoch_1.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == 2
    assert a['state_dict'].keys() == b['state_dict'].keys()  # no `<part>.module.` keys
    assert {k.split('.')[0]
            for k in b['state_dict']} - {'data_preprocessor'} == {'best_peer', 'peer1', 'peer2'}
    worst = []
    for key, x in a['state_dict'].items():
        if x.is_floating_point():
            y = b['state_dict'][key]
            excess = (x.double() - y.double()).abs() - (1e-4 + 1e-3 * x.double().abs())
            worst.append((excess.max().item(), key))
    worst.sort(reverse=True)
    assert worst[0][0] <= 0, worst[:5]  # the same sums in another order (per-process parts)
    assert torch.equal(a['state_dict']['best_peer'], b['state_dict']['best_peer'])
    # the 2-process run resumes: every peer's wrapper gets its weights and optimizer back
    out = dist_train(common + ['train_cfg.max_epochs=2'], extra=['--resume'])
    assert 'resumed epoch: 1' in out
    c = safe_load(osp.join(two, 'epoch_2.pth'))
    assert c['meta']['iter'] == 4 and list(c['optimizer']) == ['peer1', 'peer2']
