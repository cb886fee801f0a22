"""Write the Tf-KD configs under ``configs/tfkd/`` from the tables of the reference code.

A maintenance tool, like ``generate_distill_configs.py``: every hyperparameter of the reference's
``experiments/**/params.json`` and every published number is in the tables below, and the
configs are a few lines each on top of the Tf-KD base configs; a ``metafile.yml`` beside the
configs of each folder lists every config with its pair and published top-1
(:func:`mmkd.utils.load_metafile`). The reference is
``yuanli2333/Teacher-free-Knowledge-Distillation`` (paths below are relative to it); docs/tfkd.md
explains the quirk labels G1-G10 used in the comments. Edit a table, run it and commit the
result; ``tests/dev/test_config_generators.py`` checks that the committed files match.

    python tools/dev/generate_tfkd_configs.py [--check | --out DIR]

Only files whose first line is this script's header are rewritten or deleted.

Layout (``<m>``: mobilenetv2 shufflenetv2 resnet18 resnet50 googlenet densenet121 resnext29, the
Tf-KD CIFAR zoo — NOT RepDistiller's mobilenetv2/ShuffleV2):

    configs/tfkd/baselines/<m>_cifar100.py       normal training (teachers; keeps 1/50/51/best)
    configs/tfkd/<m>_reg.py                      Tf-KD_reg (virtual teacher, no teacher network)
    configs/tfkd/<m>_lsr.py                      the reference label smoothing
    configs/tfkd/<m>_self.py                     Tf-KD_self (the student's own best baseline)
    configs/tfkd/kd/<teacher>_<student>.py       normal KD (strong teacher)
    configs/tfkd/rekd/<teacher>_<student>.py     Reversed KD (weak teacher, strong student)
    configs/tfkd/dekd/<teacher>_<student>_epoch{1,50}.py   Defective KD (poorly trained teacher)
    configs/tfkd/cifar10/..., configs/tfkd/tiny_imagenet/...   the same modes on other datasets
"""
import os.path as osp
import sys
import textwrap

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from config_writer import GeneratedFiles, main  # noqa: E402

SCRIPT = osp.basename(__file__)
BASE = 'configs/tfkd'
REF_LR, REF_BATCH = 0.1, 128  # lr = params.learning_rate * batch_size / 128 (main.py)

#: the Tf-KD zoo: mmkd model config, reference base experiment, its batch size, Tf-KD_reg params
#: (reg_alpha, reg_temperature, multiplier) and the README baseline top-1
ZOO = {
    'mobilenetv2':
    dict(
        cfg='mobilenetv2_tfkd',
        name='MobileNetV2',
        base='base_mobilenetv2',
        batch=128,
        reg=(0.95, 40, 1.0),
        baseline=68.38),
    'shufflenetv2':
    dict(
        cfg='shufflenetv2_tfkd',
        name='ShuffleNetV2',
        base='base_shufflenetv2',
        batch=128,
        reg=(0.95, 10, 1.0),
        baseline=70.34),
    'resnet18':
    dict(
        cfg='resnet18',
        name='ResNet18',
        base='base_resnet18',
        batch=128,
        reg=(0.1, 20, 100.0),
        baseline=75.87),
    'resnet50':
    dict(
        cfg='resnet50',
        name='ResNet50',
        base='base_resnet50',
        batch=64,
        reg=None,
        baseline=78.16,
        override=dict(backbone=dict(init='tfkd'))),
    'googlenet':
    dict(
        cfg='googlenet',
        name='GoogLeNet',
        base='base_googlenet',
        batch=64,
        reg=(0.1, 40, 50.0),
        baseline=78.72),
    'densenet121':
    dict(
        cfg='densenet121',
        name='DenseNet121',
        base='base_densenet121',
        batch=128,
        reg=(0.1, 40, None),
        baseline=79.04),
    'resnext29':
    dict(
        cfg='resnext29_8x64d',
        name='ResNeXt29-8x64d',
        base='base_resnext29',
        batch=64,
        reg=(0.5, 40, None),
        baseline=81.03),
}

#: G4 (docs/tfkd.md): reg configs whose reference params.json cannot run, and the value shipped
#: instead
REG_FIXES = {
    'densenet121': ('multiplier', 50.0,
                    'base_densenet121 has no "multiplier" (the reference raises AttributeError); '
                    'm = 50 as GoogLeNet, the other alpha 0.1 / T 40 config (effective KL '
                    'weight alpha*m/K = 0.05, as GoogLeNet)'),
    'resnext29': ('multiplier', 10.0,
                  'base_resnext29 has no "multiplier" (the reference raises AttributeError); '
                  'm = 10 gives the effective KL weight alpha*m/K = 0.05 of GoogLeNet, the other '
                  'T 40 config of a large model'),
    'resnet50': ('reg', (0.1, 20, 100.0),
                 'base_resnet50 has no reg_* keys (not runnable with --regularization); '
                 'ResNet18\'s values (alpha 0.1, T 20, m 100), the same ResNet family'),
}

#: published Tf-KD_reg / LSR top-1 (figures/Reg-Normal-LSR.png; GoogLeNet's baseline is 78.15
#: in that figure, 78.72 in the README)
REG_PUBLISHED = dict(mobilenetv2=70.88, shufflenetv2=72.09, resnet18=77.36, googlenet=79.22)
LSR_PUBLISHED = dict(mobilenetv2=69.32, shufflenetv2=70.83, resnet18=77.26, googlenet=79.07)

#: Tf-KD_self: reference dir, alpha, T, multiplier, batch, published top-1 (figures/Tf-self.png)
SELF = {
    'mobilenetv2': ('mobilenet_distill/mobilenet_self_teacher', 0.95, 20, 1.0, 128, 70.96),
    'shufflenetv2': ('shufflenet_distill/shufflenet_self_teacher', 0.95, 20, 1.0, 128, 72.23),
    'resnet18': ('resnet18_distill/resnet18_self_teacher', 0.95, 6, 50.0, 128, 77.10),
    'resnet50': ('resnet50_distill/resnet50_self_teacher', 0.95, 6, None, 128, None),
    'googlenet': ('googlenet_distill/googlenet_self_teacher', 0.4, 20, 50.0, 64, 80.17),
    'densenet121': ('densenet121_distill/densenet_self_teacher', 0.9, 20, 50.0, 100, 80.26),
    'resnext29': ('resnext29_distill/resnext29_self_teacher', 0.9, 20, 100.0, 64, 82.08),
}
SELF_FIXES = {
    'resnet50': (1.0, 'resnet50_self_teacher has no "multiplier" (--self_training raises '
                 'AttributeError); m = 1, which is what loss_kd (no multiplier) computes'),
}

#: normal KD (strong teacher -> weak student): (teacher, student) -> reference dir (None: no
#: params.json in the reference), alpha, T, batch, published top-1, source figure
KD = {
    ('resnet18', 'mobilenetv2'):
    ('mobilenet_distill/resnet18_teacher', 0.95, 20, 128, '71.05±0.16', 'Re-KD.png'),
    ('resnet18', 'shufflenetv2'):
    ('shufflenet_distill/resnet18_teacher', 0.95, 20, 128, '72.05±0.13', 'Re-KD.png'),
    ('resnet50', 'mobilenetv2'): (None, 0.95, 20, 128, '71.04±0.20', 'Re-KD.png'),
    ('resnet50', 'shufflenetv2'):
    ('shufflenet_distill/resnet50_teacher', 0.95, 20, 128, '72.15±0.18', 'Re-KD.png'),
    ('densenet121', 'mobilenetv2'):
    ('mobilenet_distill/densenet121_teacher', 0.95, 20, 128, '71.29±0.23', 'Re-KD.png'),
    ('densenet121', 'shufflenetv2'): ('shufflenet_distill/densenet121_teacher', 0.95, 20, 128,
                                      '72.32±0.25', 'Re-KD.png'),
    ('resnext29', 'mobilenetv2'): ('mobilenet_distill/resnext29_teacher', 0.95, 20, 64,
                                   '71.65±0.41', 'Re-KD.png'),
    ('resnext29', 'resnet18'): ('resnet18_distill/resnext29_teacher', 0.6, 20, 64, '77.84±0.15',
                                'Re-KD.png'),
    ('resnet50', 'resnet18'): ('resnet18_distill/resnet50_teacher', 0.6, 20, 64, '77.19',
                               'Reg-Normal-LSR.png'),
    ('resnext29', 'googlenet'): (None, 0.6, 20, 64, '78.84', 'Reg-Normal-LSR.png'),
}
KD_MISSING = {
    ('resnet50', 'mobilenetv2'):
    'the reference has no mobilenet_distill/resnet50_teacher; '
    'values of shufflenet_distill/resnet50_teacher (alpha 0.95, T 20, '
    'batch 128)',
    ('resnext29', 'googlenet'):
    'the reference has no googlenet_distill/resnext29_teacher; '
    'alpha 0.6, T 20 as every strong-student config, batch 64 as '
    'every config with a ResNeXt29 teacher',
}

#: Reversed KD (weak teacher -> strong student), figures/Re-KD.png
REKD = {
    ('mobilenetv2', 'resnet18'):
    ('resnet18_distill/mobilenet_v2_teacher', 0.6, 20, 128, '77.28±0.28'),
    ('shufflenetv2', 'resnet18'):
    ('resnet18_distill/shufflenet_v2_teacher', 0.6, 20, 128, '77.35±0.32'),
    ('mobilenetv2', 'resnet50'):
    ('resnet50_distill/mobilenet_v2_teacher', 0.6, 20, 128, '79.30±0.11'),
    ('shufflenetv2', 'resnet50'):
    ('resnet50_distill/shufflenet_v2_teacher', 0.6, 20, 128, '79.43±0.39'),
    ('mobilenetv2', 'densenet121'): ('densenet121_distill/mobilenet_v2_teacher', 0.6, 20, 128,
                                     '79.55±0.11'),
    ('shufflenetv2', 'densenet121'): ('densenet121_distill/shufflenet_v2_teacher', 0.6, 20, 100,
                                      '79.83±0.05'),
    ('mobilenetv2', 'resnext29'): ('resnext29_distill/mobilenet_v2_teacher', 0.6, 20, 64,
                                   '81.53±0.14'),
    ('resnet18', 'resnext29'): ('resnext29_distill/resnet18_teacher', 0.6, 20, 64, '81.62±0.22'),
}
REKD_NOTES = {
    ('resnet18', 'resnext29'):
    'G4 (docs/tfkd.md): the reference dir '
    'resnext29_distill/resnet18_teacher is '
    'mislabelled (its params.json sets "teacher": "mobilenet_v2"); '
    'this config uses the ResNet18 teacher the table names',
}

#: Defective KD, figures/De-KD.png: (teacher, student, epoch) -> reference dir, alpha, T, batch,
#: published top-1; the teacher's published accuracy in DEKD_TEACHERS
DEKD = {
    ('resnet18', 'mobilenetv2', 1):
    ('mobilenet_distill/resnet18_teacher', 0.95, 20, 128, '70.65±0.35'),
    ('resnet18', 'shufflenetv2', 1):
    ('shufflenet_distill/resnet18_teacher', 0.95, 20, 128, '71.82±0.11'),
    ('resnet50', 'mobilenetv2', 50): (None, 0.95, 20, 128, '71.45±0.23'),
    ('resnet50', 'shufflenetv2', 50):
    ('shufflenet_distill/resnet50_teacher', 0.95, 20, 128, '72.11±0.09'),
    ('resnet50', 'resnet18', 50): ('resnet18_distill/resnet50_teacher', 0.6, 20, 64, '77.23±0.11'),
    ('resnext29', 'mobilenetv2', 50):
    ('mobilenet_distill/resnext29_teacher', 0.95, 20, 64, '71.52±0.27'),
    ('resnext29', 'shufflenetv2', 50): ('shufflenet_distill/resnext29_teacher', 0.95, 20, 64,
                                        '72.26±0.36'),
    ('resnext29', 'resnet18', 50): ('resnet18_distill/resnext29_teacher', 0.6, 20, 64,
                                    '77.28±0.17'),
}
#: reference checkpoint, mmkd kept checkpoint, published teacher accuracy
DEKD_TEACHERS = {
    ('resnet18', 1): ('base_resnet18/0.pth.tar', 1, 15.48),
    ('resnet50', 50): ('base_resnet50/50.pth.tar', 51, 45.82),
    ('resnext29', 50): ('base_resnext29/50.pth.tar', 51, 51.94),
}
#: the epochs every Tf-KD baseline keeps (De-KD teachers: 0.pth.tar = after 1 epoch, 50.pth.tar =
#: after 51 epochs; epoch 50 for the README's "50-epoch-trained" reading)
KEEP_EPOCHS = [1, 50, 51]

#: other datasets: the same per-model params.json with "dataset" switched (the reference's
#: data_loader.py supports cifar10 and tiny_imagenet); no published numbers in the reference
OTHER_DATASETS = {
    'cifar10':
    dict(
        base='cifar10_tfkd',
        classes=10,
        suffix='cifar10',
        name='CIFAR-10',
        models=['mobilenetv2', 'shufflenetv2', 'resnet18']),
    'tiny_imagenet':
    dict(
        base='tiny_imagenet_tfkd',
        classes=200,
        suffix='tiny_imagenet',
        name='Tiny-ImageNet',
        models=['mobilenetv2', 'shufflenetv2', 'resnet18']),
}


def lr_for(batch: int) -> float:
    return REF_LR * batch / REF_BATCH


def fmt(v) -> str:
    return repr(float(v)) if isinstance(v, (int, float)) else repr(v)


def model_spec(m: str, num_classes: int = 100) -> str:
    """The student/teacher entry of a distiller: ``dict(cfg_path=..., <overrides>)``."""
    path = f"'configs/_base_/models/{ZOO[m]['cfg']}.py'"
    extra = []
    if 'override' in ZOO[m]:
        extra.append("backbone=dict(init='tfkd')")
    if num_classes != 100:
        extra.append(f'head=dict(num_classes={num_classes})')
    return f"dict(cfg_path={', '.join([path] + extra)})"


def recipe_lines(batch: int) -> list:
    lines = []
    if batch != 128:
        lines.append(f'train_dataloader = dict(batch_size={batch})')
        lines.append(f'optim_wrapper = dict(optimizer=dict(lr={lr_for(batch)!r}))  '
                     f'# 0.1 * {batch}/128')
    return lines


#: what :func:`build` is collecting: the files and the metafile records
FILES = None
MODELS = []
PAPER = dict(
    Title='Revisiting Knowledge Distillation via Label Smoothing Regularization',
    URL='https://arxiv.org/abs/1909.11723')
REPO = 'https://github.com/yuanli2333/Teacher-free-Knowledge-Distillation'


def write(rel: str, lines: list) -> None:
    FILES.add(rel, '\n'.join(lines) + '\n')


def top1(value):
    """``'71.05±0.16'`` -> (71.05, 0.16); ``77.19`` -> (77.19, None)."""
    if isinstance(value, str):
        mean, _, std = value.partition('±')
        return float(mean), (float(std) if std else None)
    return float(value), None


def record(rel, mode, student, teacher, dname, pub=None, figure=None, teacher_epoch=None):
    """Add the metafile record of ``configs/tfkd/<rel>``; ``student``/``teacher``: ZOO keys,
    recorded as their model config names under ``configs/_base_/models/``."""
    meta = {
        'Mode': mode,
        'Teacher': ZOO[teacher]['cfg'] if teacher else None,
        'Student': ZOO[student]['cfg'],
        'Training Data': dname or 'CIFAR-100'
    }
    if teacher_epoch is not None:
        meta['Teacher Epochs Trained'] = teacher_epoch
    entry = {
        'Name': 'tfkd_' + rel[:-3].replace('/', '_'),
        'In Collection': 'Tf-KD',
        'Config': f'{BASE}/{rel}',
        'Metadata': meta
    }
    if pub is not None and not dname:
        mean, std = top1(pub)
        metrics = {'Top 1 Accuracy': mean}
        if std is not None:
            metrics['Top 1 Accuracy Std'] = std
        meta['Source'] = {
            'Paper': 'Tf-KD paper (CVPR 2020)',
            'Code': f'yuanli2333/Teacher-free-Knowledge-Distillation {figure}'
        }
        entry['Results'] = [{
            'Task': 'Image Classification',
            'Dataset': 'CIFAR-100',
            'Metrics': metrics
        }]
    MODELS.append(entry)


def up(rel: str) -> str:
    """``../`` from ``configs/tfkd/<rel>`` back to ``configs/``."""
    return '../' * (rel.count('/') + 1)


def plain_bases(rel: str, m: str, dataset: str) -> list:
    u = up(rel)
    bases = [
        f"'{u}_base_/models/{ZOO[m]['cfg']}.py'", f"'{u}_base_/datasets/{dataset}.py'",
        f"'{u}_base_/schedules/tfkd_200e.py'", f"'{u}_base_/tfkd_runtime.py'"
    ]
    first = f'_base_ = [{bases[0]}, {bases[1]},'
    if len(first) <= 100:
        return [first, f'          {bases[2]}, {bases[3]}]']
    return [f'_base_ = [{bases[0]},'] + [f'          {b},' for b in bases[1:-1]] + \
        [f'          {bases[-1]}]']


def model_override(m: str, num_classes: int, loss: str = None) -> list:
    parts = []
    if 'override' in ZOO[m]:
        parts.append("backbone=dict(init='tfkd')")
    head = []
    if num_classes != 100:
        head.append(f'num_classes={num_classes}')
    if loss:
        head.append(f'loss={loss}')
    if head:
        parts.append(f"head=dict({', '.join(head)})")
    if not parts:
        return []
    one = f"model = dict({', '.join(parts)})"
    if len(one) <= 100:
        return [one]
    if len(parts) == 1 and head and len(head) > 1:
        return ['model = dict(', '    head=dict('] + [f'        {h},' for h in head] + ['    ))']
    return ['model = dict('] + [f'    {p},' for p in parts] + [')']


def baseline_dir(m: str, suffix: str, sub: str = '') -> str:
    return f'work_dirs/tfkd/{sub}baselines/{m}_{suffix}'


# ------------------------------------------------------------------------------ writers
def header(first: str, *paragraphs: str) -> list:
    """The comment block: a one-line summary (mode, model, published number), then the details
    wrapped at 100 columns."""
    lines = []
    for text in (first, ) + paragraphs:
        if text:
            lines += textwrap.wrap(
                text,
                width=100,
                initial_indent='# ',
                subsequent_indent='#   ',
                break_on_hyphens=False)
    return lines


def published(value, figure, dname):
    if dname:
        return f'No published {dname} number in the reference.'
    return f'Published: {value} top-1 ({figure}).' if value else 'Not reported in the reference.'


def write_baseline(m, dataset='cifar100_tfkd', classes=100, suffix='cifar100', sub='', dname=''):
    z = ZOO[m]
    rel = f'{sub}baselines/{m}_{suffix}.py'
    lines = header(
        f"Tf-KD baseline, {z['name']} ({dname or 'CIFAR-100'}). " +
        published(z['baseline'], 'Tf-KD README', dname),
        f"Reference: normal training with experiments/base_experiments/{z['base']} (batch "
        f"{z['batch']}, lr {lr_for(z['batch'])!r}), the Tf-KD recipe (main.py, train_kd.py).",
        f'Keeps the checkpoints of epochs {KEEP_EPOCHS} and the best one in '
        f'{baseline_dir(m, suffix, sub)}/keep/ (the De-KD and Tf-KD_self teachers).',
        "init='tfkd': the Tf-KD copy of this network keeps PyTorch's default init."
        if 'override' in z else '')
    lines += plain_bases(rel, m, dataset)
    lines += model_override(m, classes)
    lines += recipe_lines(z['batch'])
    lines.append(f'custom_hooks = [dict(type=\'KeepCheckpointsHook\', epochs={KEEP_EPOCHS}, '
                 'best=True)]')
    write(rel, lines)
    record(rel, 'baseline', m, None, dname, z['baseline'], 'README.md')


def reg_params(m):
    alpha, temp, mult = ZOO[m]['reg'] if ZOO[m]['reg'] else (None, None, None)
    note = None
    if m in REG_FIXES:
        what, value, note = REG_FIXES[m]
        if what == 'multiplier':
            mult = value
        else:
            alpha, temp, mult = value
    return alpha, temp, mult, note


def write_reg(m, dataset='cifar100_tfkd', classes=100, sub='', dname='', variant='code'):
    z = ZOO[m]
    alpha, temp, mult, note = reg_params(m)
    name = f'{m}_reg' + ('_paper' if variant == 'paper' else '')
    rel = f'{sub}{name}.py'
    if variant == 'code':
        loss = ('Loss (1 - alpha)*CE + alpha*m*KL(softmax(P/T) || softmax(z)), P = 0.99 on the '
                'true class and 0.01/(K-1) elsewhere (probabilities fed to softmax as logits), '
                'KL averaged over the N*K elements as the reference (batchmean weight alpha*m/K '
                f'= {alpha * mult / classes:g}); no student temperature and no T^2 '
                '(my_loss_function.py loss_kd_regularization; G2).')
    else:
        loss = ("variant='paper' (the paper's Eq. 9; the author says Tiny-ImageNet and ImageNet "
                'soften both sides, reference issue #3): (1 - alpha)*CE + alpha*m*T^2*KL('
                'softmax(P/T) || softmax(z/T)), KL averaged over the N*K elements. The reference '
                "code's form is " + f'{m}_reg.py.')
    lines = header(
        f"Tf-KD_reg (virtual teacher), {z['name']} ({dname or 'CIFAR-100'}"
        f"{', paper variant' if variant == 'paper' else ''}). " +
        published(REG_PUBLISHED.get(m), 'figures/Reg-Normal-LSR.png', dname),
        f"Reference: --regularization with experiments/base_experiments/{z['base']} "
        f"(reg_alpha {alpha}, reg_temperature {temp}, multiplier {mult}; batch {z['batch']}, lr "
        f"{lr_for(z['batch'])!r}). No teacher network: the loss of the classification head.", loss,
        f'G4 (docs/tfkd.md): {note}.' if note else '')
    lines += plain_bases(rel, m, dataset)
    lines += ['model = dict(']
    if 'override' in z:
        lines.append("    backbone=dict(init='tfkd'),")
    lines.append('    head=dict(')
    if classes != 100:
        lines.append(f'        num_classes={classes},')
    lines += [
        '        loss=dict(', "            _delete_=True,",
        "            type='TfKDRegularizationLoss',", f'            alpha={alpha!r},',
        f'            temperature={fmt(temp)},', f'            multiplier={fmt(mult)},',
        '            correct_prob=0.99,  # hard-coded in the reference',
        f"            variant='{variant}',", "            reduction='elementwise_mean')))"
    ]
    lines += recipe_lines(z['batch'])
    write(rel, lines)
    record(rel, 'Tf-KD_reg' + (' (paper variant)' if variant == 'paper' else ''), m, None, dname,
           REG_PUBLISHED.get(m), 'figures/Reg-Normal-LSR.png')


def write_lsr(m, dataset='cifar100_tfkd', classes=100, sub='', dname=''):
    z = ZOO[m]
    rel = f'{sub}{m}_lsr.py'
    lines = header(
        f"Label smoothing, {z['name']} ({dname or 'CIFAR-100'}). " +
        published(LSR_PUBLISHED.get(m), 'figures/Reg-Normal-LSR.png', dname),
        f"Reference: --label_smoothing with experiments/base_experiments/{z['base']} (batch "
        f"{z['batch']}, lr {lr_for(z['batch'])!r}). Target 1 - 0.1 on the true class and "
        "0.1/(K - 1) elsewhere (my_loss_function.py loss_label_smoothing; G3; not mmpretrain's "
        'LabelSmoothLoss).')
    lines += plain_bases(rel, m, dataset)
    lines += model_override(m, classes,
                            "dict(_delete_=True, type='TfKDLabelSmoothingLoss', epsilon=0.1)")
    lines += recipe_lines(z['batch'])
    write(rel, lines)
    record(rel, 'label smoothing', m, None, dname, LSR_PUBLISHED.get(m),
           'figures/Reg-Normal-LSR.png')


def kd_lines(rel, dataset, student, teacher, ckpt, alpha, temp, mult, batch, classes=100):
    u = up(rel)
    lines = [
        f"_base_ = ['{u}_base_/datasets/{dataset}.py', '{u}_base_/methods/tfkd_kd.py']",
        'model = dict(', f'    student={model_spec(student, classes)},',
        f'    teacher={model_spec(teacher, classes)},', f"    teacher_ckpt='{ckpt}',",
        f'    student_loss_weight={round(1 - alpha, 10)!r},  # 1 - alpha',
        f'    distill_losses=dict(kd=dict(alpha={alpha!r}, tau={fmt(temp)}, '
        f'multiplier={fmt(mult)})),', ')'
    ]
    return lines + recipe_lines(batch)


def write_self(m, dataset='cifar100_tfkd', classes=100, suffix='cifar100', sub='', dname=''):
    z = ZOO[m]
    ref, alpha, temp, mult, batch, pub = SELF[m]
    note = None
    if m in SELF_FIXES:
        mult, note = SELF_FIXES[m]
    rel = f'{sub}{m}_self.py'
    base_cfg = f'configs/tfkd/{sub}baselines/{m}_{suffix}.py'
    lines = header(
        f"Tf-KD_self, {z['name']} ({dname or 'CIFAR-100'}). " + published(
            f"{pub} (baseline {z['baseline']})" if pub else None, 'figures/Tf-self.png', dname),
        f'Reference: --self_training with experiments/kd_experiments/{ref} (alpha {alpha}, T '
        f'{temp}, multiplier {mult}; batch {batch}, lr {lr_for(batch)!r}).',
        f"The teacher is the best checkpoint of the normally trained {z['name']} "
        f'({base_cfg}: train it first; best.pth.tar in the reference).',
        'Loss (1 - alpha)*CE + alpha*T^2*m*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged '
        'over the N*K elements as the reference (batchmean weight alpha*T^2*m/K = '
        f'{alpha * temp * temp * mult / classes:g}; my_loss_function.py loss_kd_self).',
        f'G4 (docs/tfkd.md): {note}.' if note else '')
    ckpt = f'{baseline_dir(m, suffix, sub)}/keep/best.pth'
    lines += kd_lines(rel, dataset, m, m, ckpt, alpha, temp, mult, batch, classes)
    write(rel, lines)
    record(rel, 'Tf-KD_self', m, m, dname, pub, 'figures/Tf-self.png')


def write_pair(kind, teacher, student, ref, alpha, temp, batch, pub, figure, note=None, epoch=None):
    t, s = ZOO[teacher], ZOO[student]
    base_cfg = f'configs/tfkd/baselines/{teacher}_cifar100.py'
    if kind == 'dekd':
        ref_ckpt, kept, t_acc = DEKD_TEACHERS[(teacher, epoch)]
        rel = f'dekd/{teacher}_{student}_epoch{epoch}.py'
        ckpt = f'{baseline_dir(teacher, "cifar100")}/keep/epoch_{kept}.pth'
        first = f"Defective KD, {t['name']} ({t_acc}%) -> {s['name']} (CIFAR-100)."
        teacher_text = (
            f'Teacher: the reference --pt_teacher checkpoint {ref_ckpt}, the state after {kept} '
            f"epoch{'s' if kept > 1 else ''} (<e>.pth.tar is written after epoch e+1), kept by "
            f'{base_cfg}' + (" (keep/epoch_50.pth for the README's \"50-epoch-trained\" "
                             'reading).' if kept > 1 else '.'))
    else:
        rel = f'{kind}/{teacher}_{student}.py'
        ckpt = f'{baseline_dir(teacher, "cifar100")}/keep/best.pth'
        first = ({
            'kd': 'Normal KD',
            'rekd': 'Reversed KD'
        }[kind] + f" {t['name']} -> {s['name']} (CIFAR-100).")
        teacher_text = (f'Teacher: the best checkpoint of {base_cfg} (best.pth.tar in the '
                        'reference).')
    src = (f'experiments/kd_experiments/{ref}' if ref else 'no params.json (see below)')
    lines = header(
        f'{first} Published: {pub} top-1 (figures/{figure}).',
        f'Reference: {src} (alpha {alpha}, T {temp}; batch {batch}, lr {lr_for(batch)!r}).',
        'Loss (1 - alpha)*CE + alpha*T^2*KL(softmax(z_t/T) || softmax(z_s/T)), KL averaged over '
        f'the N*K elements as the reference (batchmean weight alpha*T^2/K = '
        f'{alpha * temp * temp / 100:g}; my_loss_function.py loss_kd, README Re-KD/De-KD).',
        teacher_text, f'{note}.' if note else '')
    lines += kd_lines(rel, 'cifar100_tfkd', student, teacher, ckpt, alpha, temp, 1.0, batch)
    write(rel, lines)
    mode = {'kd': 'normal KD', 'rekd': 'Reversed KD', 'dekd': 'Defective KD'}[kind]
    record(
        rel,
        mode,
        student,
        teacher,
        '',
        pub,
        f'figures/{figure}',
        teacher_epoch=kept if kind == 'dekd' else None)


def build() -> GeneratedFiles:
    """Every Tf-KD config and the ``metafile.yml`` of each folder."""
    global FILES
    FILES = GeneratedFiles(SCRIPT, BASE)
    MODELS.clear()
    for m in ZOO:
        write_baseline(m)
        write_reg(m)
        write_lsr(m)
        write_self(m)
    for (t, s), (ref, alpha, temp, batch, pub, fig) in KD.items():
        note = KD_MISSING.get((t, s))
        write_pair(
            'kd',
            t,
            s,
            ref,
            alpha,
            temp,
            batch,
            pub,
            fig,
            note=f'Nearest values: {note}' if note else None)
    for (t, s), (ref, alpha, temp, batch, pub) in REKD.items():
        write_pair(
            'rekd', t, s, ref, alpha, temp, batch, pub, 'Re-KD.png', note=REKD_NOTES.get((t, s)))
    for (t, s, e), (ref, alpha, temp, batch, pub) in DEKD.items():
        note = KD_MISSING.get((t, s))
        write_pair(
            'dekd',
            t,
            s,
            ref,
            alpha,
            temp,
            batch,
            pub,
            'De-KD.png',
            epoch=e,
            note=f'Nearest values: {note}' if note else None)
    for key, d in OTHER_DATASETS.items():
        sub = f'{key}/'
        for m in d['models']:
            kw = dict(dataset=d['base'], classes=d['classes'], sub=sub, dname=d['name'])
            write_baseline(m, suffix=d['suffix'], **kw)
            write_reg(m, **kw)
            write_lsr(m, **kw)
            write_self(m, suffix=d['suffix'], **kw)
            if key == 'tiny_imagenet':
                write_reg(m, variant='paper', **kw)
    # one metafile per folder, beside its configs (tools look a config up in its own folder's)
    folders = {}
    for entry in MODELS:
        folders.setdefault(osp.dirname(entry['Config']), []).append(entry)
    for folder, models in sorted(folders.items()):
        FILES.add_yaml(
            osp.join(osp.relpath(folder, BASE), 'metafile.yml'), {
                'Collections': [{
                    'Name': 'Tf-KD',
                    'Paper': PAPER,
                    'Code': [REPO]
                }],
                'Models': models
            },
            comment='# the Tf-KD configs of this folder, their teacher/student and the published '
            'CIFAR-100 top-1\n# (mmkd.utils.load_metafile)\n')
    return FILES


if __name__ == '__main__':
    sys.exit(main(build, __doc__.splitlines()[0], BASE))
