"""One FFSD iteration equals the reference trainer's (SJLeo/FFSD CIFARTrainer.train_with_test),
replayed here step by step with plain torch optimizers and the reference's loss formulas."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample

from mmkd.registry import MODELS

CFG = 'configs/ffsd/resnet20.py'


# ------------------------------------------------------------- the reference's formulas
def ref_attention_loss(x, y):  # CIFARTrainer.attention_loss / fusion_loss
    x = F.normalize(x.view(x.size(0), -1))
    y = F.normalize(y.view(y.size(0), -1))
    return (x - y).pow(2).mean()


def att(f):
    return f.pow(2).mean(1, keepdim=True)


def ref_diversity_loss(x, y):  # CIFARTrainer.diversity_loss
    norm_y = torch.norm(y.view(y.size(0), -1), dim=1, keepdim=True)
    x = F.normalize(x.view(x.size(0), -1))
    y = F.normalize(y.view(y.size(0), -1))
    threshold = y.topk(int(y.size(1) / 3), largest=False)[0][:, -1].unsqueeze(-1)
    y = (norm_y / 2 - y) * torch.sign(y - threshold) + norm_y / 2
    return (x - y).pow(2).mean()


def ref_diversity_target(y):  # CIFARTrainer.diversity_target
    attention_y = att(y)
    size = attention_y.size()
    norm_y = torch.norm(attention_y.view(attention_y.size(0), -1), dim=1, keepdim=True)
    attention_y = F.normalize(attention_y.view(attention_y.size(0), -1))
    threshold = attention_y.topk(int(attention_y.size(1) / 3), largest=False)[0][:, -1]
    threshold = threshold.unsqueeze(-1)
    target_y = (norm_y / 2 - attention_y) * torch.sign(attention_y - threshold) + norm_y / 2
    diff = target_y - attention_y.view(attention_y.size(0), -1)
    return y + (diff * norm_y / y.size(1)).view(size)


def ref_sd_loss(decoder, source_maps, input_map):  # CIFARTrainer.self_distillation_loss
    decoder.eval()
    targets = decoder(input_map.detach())  # mmkd's decoder returns the stages shallow first
    return sum(
        ref_attention_loss(att(source_maps[i]), att(t.detach())) for i, t in enumerate(targets))


def ref_train_decoder(decoder, optimizer, maps, lam_sd):  # train_self_distillation_model
    decoder.train()
    outs = decoder(maps[-1].detach())
    feat = sum(lam_sd * ref_attention_loss(o, maps[i].detach()) for i, o in enumerate(outs))
    attn = sum(lam_sd * ref_attention_loss(att(o), att(maps[i].detach()))
               for i, o in enumerate(outs))
    optimizer.zero_grad()
    (feat + attn).backward()
    optimizer.step()
    return feat.item(), attn.item()


def kl(s, t, T):
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction='batchmean')


def reference_iteration(students, leader, fusion, sd_models, sd_leader, x, labels, epoch, T=2.):

    def warmup(lam):
        return lam * math.exp(-5 * (1 - epoch / 5)**2) if epoch <= 5 else lam

    lam_div, lam_fus, lam_sd = warmup(1e-5), warmup(10.), warmup(1000.)
    sgd = dict(lr=0.1, momentum=0.9, nesterov=True)
    optims = [torch.optim.SGD(m.parameters(), weight_decay=1e-4, **sgd) for m in students]
    sd_optims = [torch.optim.Adam(m.parameters(), weight_decay=1e-4) for m in sd_models]
    sd_leader_optim = torch.optim.Adam(sd_leader.parameters(), weight_decay=1e-4)
    fusion_optim = torch.optim.SGD(fusion.parameters(), weight_decay=1e-5, **sgd)
    leader_optim = torch.optim.SGD(leader.parameters(), weight_decay=1e-4, **sgd)
    M = len(students)
    logs = {}

    lead = leader.forward_taps(x)
    outs = [m.forward_taps(x) for m in students]
    maps = [o['taps'] for o in outs]
    fusion_in = torch.cat([m[-1].detach() for m in maps], dim=1)
    fused, fusion_out = fusion(fusion_in)
    ensemble = sum(o['logits'] for o in outs) / M
    for i in range(M):
        out = outs[i]['logits']
        loss_ce = F.cross_entropy(out, labels)
        loss_dml = sum(kl(out, outs[j]['logits'].detach(), T) for j in range(M) if j != i)
        loss_dml = T**2 * loss_dml / (M - 1)
        loss = loss_ce + loss_dml
        if i != 0:
            div = lam_div * ref_diversity_loss(att(maps[i][-1]), att(maps[i - 1][-1].detach()))
            sd = lam_div * ref_sd_loss(sd_models[i - 1], maps[i],
                                       ref_diversity_target(maps[i - 1][-1].detach()))
            loss = loss + div + sd
            logs[f'student{i + 1}.loss_diversity'] = div.item()
            logs[f'student{i + 1}.loss_shift_sd'] = sd.item()
        logs[f'student{i + 1}.loss'] = loss.item()
        optims[i].zero_grad()
        loss.backward()
        optims[i].step()
    loss_fusion = (
        F.cross_entropy(fusion_out, labels) + T**2 * kl(fusion_out, ensemble.detach(), T))
    logs['fusion.loss'] = loss_fusion.item()
    fusion_optim.zero_grad()
    loss_fusion.backward()
    fusion_optim.step()
    lmaps = lead['taps']
    terms = dict(
        loss_ce=F.cross_entropy(lead['logits'], labels),
        loss_kd=T**2 * kl(lead['logits'], fusion_out.detach(), T),
        loss_fused_att=lam_fus * ref_attention_loss(att(lmaps[-1]), att(fused.detach())),
        loss_trans_fusion=lam_fus * ref_attention_loss(att(lead['trans']), att(fusion_in)),
        loss_sd=lam_fus * ref_sd_loss(sd_leader, lmaps, fused.detach()))
    loss_leader = sum(terms.values())
    logs.update({f'leader.{k}': v.item() for k, v in terms.items()})
    logs['leader.loss'] = loss_leader.item()
    leader_optim.zero_grad()
    loss_leader.backward()
    leader_optim.step()
    for i in range(1, M):
        feat, attn = ref_train_decoder(sd_models[i - 1], sd_optims[i - 1], maps[i], lam_sd)
        logs[f'decoder_student{i + 1}.loss_feat'] = feat
        logs[f'decoder_student{i + 1}.loss_att'] = attn
    feat, attn = ref_train_decoder(sd_leader, sd_leader_optim, lmaps, lam_sd)
    logs['decoder_leader.loss_feat'], logs['decoder_leader.loss_att'] = feat, attn
    return logs


@pytest.mark.parametrize('epoch', [0, 6])
def test_one_iteration_matches_the_reference_trainer(epoch):
    torch.manual_seed(0)
    cfg = Config.fromfile(CFG)
    model = MODELS.build(cfg.model).train()
    model.set_epoch(epoch)  # 0-based: epoch 0 is the reference's epoch 1 (warm-up 0.041)
    inputs = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    data = dict(
        inputs=list(inputs),
        data_samples=[DataSample().set_gt_label(i * 7 % 100) for i in range(4)])
    parts = {n: copy.deepcopy(model.part(n)) for n in model.part_names}
    before = {n: {k: p.detach().clone() for k, p in m.named_parameters()} for n, m in parts.items()}
    x = model.data_preprocessor(copy.deepcopy(data), True)['inputs']
    labels = torch.tensor([i * 7 % 100 for i in range(4)])
    ref_logs = reference_iteration([parts['student1'], parts['student2']], parts['leader'],
                                   parts['fusion'], [parts['decoder_student2']],
                                   parts['decoder_leader'], x, labels, epoch + 1)

    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    logs = model.train_step(data, optim_wrapper)
    for key, value in ref_logs.items():
        assert logs[key].item() == pytest.approx(value, rel=1e-5, abs=1e-9), key
    for name in model.part_names:
        mine, ref = model.part(name).state_dict(), parts[name].state_dict()
        for key, value in ref.items():
            # same float32 operations in the same order: equal up to rounding
            assert torch.allclose(mine[key].double(), value.double(), rtol=1e-5, atol=1e-7), \
                f'{name}.{key}'
    # every part's weights moved in this step
    for name in model.part_names:
        assert any(not torch.equal(p, before[name][k])
                   for k, p in model.part(name).named_parameters()), name
