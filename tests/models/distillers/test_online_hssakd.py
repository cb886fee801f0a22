"""Online HSSAKD: losses recomputed by hand, stop-gradients, both peers trained, better-peer export,
PeerAccuracy, and one tools/train.py + tools/test.py run of a shipped config.

The peers are the parts ``peer1`` .. ``peerP`` of an online distiller (one optimizer each);
``tests/models/distillers/test_online_hssakd_parts.py`` covers the per-part training."""
import glob
import os.path as osp
import pickle
import re

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.structures import DataSample

from mmkd.datasets import write_tiny_cifar
from mmkd.registry import METRICS, MODELS
from mmkd.utils.checkpoint import safe_load
from tests.utils import run_tool

PEER = 'configs/_base_/models/hsakd/resnet20_aux.py'
PLAIN = 'configs/_base_/models/resnet20.py'
C = 100
T = 3.0


def build(**kwargs):
    torch.manual_seed(0)
    model = MODELS.build(dict(type='HSSAKDOnlineDistiller', peer=PEER, **kwargs))
    model.init_weights()
    return model


def batch(n=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, 32, 32, generator=g)
    y = torch.randint(0, C, (n, ), generator=g)
    return x, y, [DataSample().set_gt_label(int(v)) for v in y]


def rotated_by_hand(x, y):
    rows, labels = [], []
    for i in range(len(x)):
        for r in range(4):
            rows.append(torch.rot90(x[i], r, (1, 2)))
            labels.append(4 * int(y[i]) + r)
    return torch.stack(rows), torch.tensor(labels)


def ce(logits, target):
    return -logits.log_softmax(1)[torch.arange(len(target)), target].mean()


def kl(s, t):  # T^2 * sum_c p_t (log p_t - log p_s) / rows, target t (no stop-gradient here)
    p_t = (t / T).softmax(1)
    return (p_t * ((t / T).log_softmax(1) - (s / T).log_softmax(1))).sum() / len(s) * T**2


TERMS = ('loss_cls', 'loss_aux', 'loss_kd', 'loss_kd_aux')


def peers_of(model):
    return [model.peer1, model.peer2]


def joint_terms(losses):
    """The reference's joint loss terms: each the sum of the peers' own terms."""
    return {t: sum(v for k, v in losses.items() if k.split('.', 1)[1] == t) for t in TERMS}


def test_losses_recomputed_independently():
    model = build()
    model.train()
    x, y, samples = batch()
    losses = model.loss(x, samples)
    assert list(losses) == [f'peer{p}.{t}' for p in (1, 2) for t in TERMS]
    x4, joint = rotated_by_hand(x, y)
    with torch.no_grad():  # train mode: BN uses the batch statistics, as in model.loss
        (f1, a1), (f2, a2) = [(o.logits, o.ss_logits)
                              for o in (p.forward_aux(x4) for p in peers_of(model))]
    assert len(a1) == len(a2) == 3 and a1[0].shape == (12, 4 * C)
    per_peer = {}
    for p, (f, a, fo, ao) in enumerate(((f1, a1, f2, a2), (f2, a2, f1, a1)), 1):
        per_peer.update({
            f'peer{p}.loss_cls': ce(f[0::4], y),
            f'peer{p}.loss_aux': sum(ce(b, joint) for b in a),
            f'peer{p}.loss_kd': kl(f, fo),
            f'peer{p}.loss_kd_aux': sum(kl(s, t) for s, t in zip(a, ao))
        })
    for name, value in per_peer.items():
        torch.testing.assert_close(losses[name].detach(), value, rtol=1e-5, atol=1e-5)
    # summed over the peers: the reference's joint loss (mutual_kd_net.py, one SGD)
    expected = dict(
        loss_cls=ce(f1[0::4], y) + ce(f2[0::4], y),
        loss_aux=sum(ce(a, joint) for a in a1 + a2),
        loss_kd=kl(f1, f2) + kl(f2, f1),
        loss_kd_aux=sum(kl(s1, s2) + kl(s2, s1) for s1, s2 in zip(a1, a2)))
    summed = joint_terms(losses)
    for name, value in expected.items():
        torch.testing.assert_close(summed[name].detach(), value, rtol=1e-5, atol=1e-5)
    # the reference's weights are all 1; they scale the terms
    scaled = build(cls_weight=2.0, aux_kd_weight=0.5)
    scaled.load_state_dict(model.state_dict())
    scaled.train()
    again = scaled.loss(x, samples)
    for p in (1, 2):
        torch.testing.assert_close(
            again[f'peer{p}.loss_cls'], 2 * losses[f'peer{p}.loss_cls'], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(
            again[f'peer{p}.loss_kd_aux'],
            0.5 * losses[f'peer{p}.loss_kd_aux'],
            rtol=1e-4,
            atol=1e-5)


def test_both_peers_trained_and_targets_stop_gradient():
    model = build()
    model.train()
    x, y, samples = batch(seed=1)
    losses = model.loss(x, samples)
    sum(losses.values()).backward()
    for i, peer in enumerate(peers_of(model)):
        for name, p in peer.named_parameters():
            assert p.grad is not None, f'peer {i + 1}: {name} got no gradient'
        assert peer.backbone.conv1.weight.grad.abs().sum() > 0
        for branch_fc in [
                m for n, m in peer.aux_branches.named_modules() if isinstance(m, torch.nn.Linear)
        ]:
            assert branch_fc.weight.grad.abs().sum() > 0
    # loss_kd's gradient on peer 2 is that of KL(final_2 || sg final_1) alone (and vice versa)
    model.zero_grad()
    x4, _ = rotated_by_hand(x, y)
    peers = peers_of(model)
    for peer_idx in (0, 1):
        losses = joint_terms(model.loss(x, samples))
        w = peers[peer_idx].head.fc.weight
        got = torch.autograd.grad(losses['loss_kd'], w)[0]
        got_aux = torch.autograd.grad(losses['loss_kd_aux'],
                                      peers[peer_idx].backbone.conv1.weight)[0]
        outs = [p.forward_aux(x4) for p in peers]
        me, other = outs[peer_idx], outs[1 - peer_idx]
        want = torch.autograd.grad(kl(me.logits, other.logits.detach()), w)[0]
        want_aux = torch.autograd.grad(
            sum(kl(s, t.detach()) for s, t in zip(me.ss_logits, other.ss_logits)),
            peers[peer_idx].backbone.conv1.weight)[0]
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)
        torch.testing.assert_close(got_aux, want_aux, rtol=1e-4, atol=1e-7)


def test_better_peer_is_predicted_and_exported():
    model = build()
    model.eval()
    x, _, samples = batch(n=2, seed=2)
    plain = MODELS.build(Config.fromfile(PLAIN).model)
    peers = peers_of(model)
    assert int(model.best_peer) == 0 and model.student is model.peer1
    for best in (1, 0):
        model.set_best_peer(best)
        assert model.deliverable == f'peer{best + 1}' and model.student is peers[best]
        state = model.student_state_dict()
        assert not any('aux' in k for k in state)
        mine, other = peers[best].plain_state_dict(), peers[1 - best].plain_state_dict()
        assert all(torch.equal(state[k], v) for k, v in mine.items())
        assert not all(torch.equal(state[k], v) for k, v in other.items()), 'wrong peer exported'
        plain.load_state_dict(state, strict=True)  # loads into the plain resnet20 config
        plain.eval()
        preds = model(x, samples, mode='predict')
        torch.testing.assert_close(preds[0].pred_score, plain(x, mode='predict')[0].pred_score)
        assert preds[0].peer_scores.shape == (2, C)
        torch.testing.assert_close(model(x, mode='tensor'), plain(x, mode='tensor'))
    # the choice is part of the model state (saved in checkpoints, restored on resume/test)
    model.set_best_peer(1)
    fresh = build()
    fresh.load_state_dict(model.state_dict())
    assert int(fresh.best_peer) == 1


def test_peer_accuracy_metric():
    metric = METRICS.build(dict(type='PeerAccuracy', topk=(1, 2)))
    # peer 1 right on 1/4, peer 2 right on 3/4 (top-1); labels 0, 1, 2, 0
    p1 = torch.tensor([[.9, .1, 0.], [.9, .1, 0.], [.9, .1, 0.], [.1, .9, 0.]])
    p2 = torch.tensor([[.9, .1, 0.], [.1, .9, 0.], [.1, .2, .7], [.1, .9, 0.]])
    labels = [0, 1, 2, 0]
    samples = [
        dict(peer_scores=torch.stack([a, b]), gt_label=torch.tensor([y]))
        for a, b, y in zip(p1, p2, labels)
    ]
    metric.process({}, samples)
    out = metric.evaluate(4)
    assert out['peer1/top1'] == 25.0 and out['peer2/top1'] == 75.0
    assert out['peer1/top2'] == 75.0 and out['peer2/top2'] == 100.0
    assert out['accuracy/top1'] == 75.0 and out['accuracy/top2'] == 100.0 and out['peer/best'] == 2
    tie = METRICS.build(dict(type='PeerAccuracy', topk=(1, )))
    tie.process({}, [dict(peer_scores=torch.stack([p1[0], p1[0]]), gt_label=torch.tensor([0]))])
    assert tie.evaluate(1)['peer/best'] == 1


@pytest.fixture(scope='module')
def small_cifar(tmp_path_factory):
    """CIFAR-100 in the real format, cut to 8 training and 4 test images."""
    root = str(tmp_path_factory.mktemp('small_cifar'))
    folder = write_tiny_cifar(root, num_classes=100, train_per_class=1, test_per_class=1, seed=4)
    for name, n in (('train', 8), ('test', 4)):
        path = osp.join(folder, name)
        with open(path, 'rb') as f:
            entry = pickle.load(f, encoding='latin1')
        for key in ('data', 'fine_labels', 'coarse_labels', 'filenames'):
            entry[key] = entry[key][:n]
        with open(path, 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    return root


def test_tools_train_and_test_online_config(small_cifar, tmp_path):
    work = str(tmp_path)
    opts = ['train_cfg.max_epochs=1', 'randomness.seed=0', 'default_hooks.logger.interval=1']
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts += [
            f'{key}.num_workers=0', f'{key}.persistent_workers=False', f'{key}.batch_size=4',
            f'{key}.dataset.data_root={small_cifar}'
        ]
    out = run_tool(
        ['tools/train.py', 'configs/hssakd/resnet56.py', '--work-dir', work, '--cfg-options'] +
        opts).stdout
    for p in (1, 2):
        assert re.search(
            rf'peer{p}\.lr: 5\.0000e-02 .*peer{p}\.loss: \S+\s+peer{p}\.loss_cls: '
            rf'\S+\s+peer{p}\.loss_aux: \S+\s+peer{p}\.loss_kd: \S+\s+'
            rf'peer{p}\.loss_kd_aux: \S+', out)
    assert re.search(r'peer1/top1: \S+\s+peer1/top5: \S+\s+peer2/top1', out)
    assert out.count('Better peer:') == 1
    best_ckpt = glob.glob(osp.join(work, 'best_accuracy_top1_epoch_*.pth'))
    assert len(best_ckpt) == 1
    full = safe_load(best_ckpt[0])['state_dict']
    best = int(full['best_peer'])
    # student_best.pth is the better peer of the best epoch, as the plain resnet56 classifier
    student = safe_load(osp.join(work, 'student_best.pth'))['state_dict']
    head = f'peer{best + 1}.'
    assert set(student) == {
        k[len(head):]
        for k in full if k.startswith(head) and '.aux_branches.' not in k
    }
    for k, v in student.items():
        assert torch.equal(v, full[head + k]), k
    plain = MODELS.build(Config.fromfile('configs/_base_/models/resnet56.py').model)
    load_checkpoint(plain, osp.join(work, 'student_best.pth'), strict=True)
    # tools/test.py: the plain config on the export gives the better peer's accuracy
    test_opts = [o for o in opts if o.startswith('test_dataloader')]
    tested = run_tool([
        'tools/test.py', 'configs/baselines/resnet56_cifar100.py',
        osp.join(work, 'student_best.pth'), '--work-dir',
        osp.join(work, 't'), '--cfg-options'
    ] + test_opts).stdout
    top1 = float(re.search(r'^accuracy/top1: ([0-9.]+)$', tested, re.M).group(1))
    logged = re.findall(r'accuracy/top1: ([0-9.]+)\s+accuracy/top5: \S+\s+peer1/top1', out)
    assert top1 == pytest.approx(max(float(v) for v in logged), abs=0.01)
