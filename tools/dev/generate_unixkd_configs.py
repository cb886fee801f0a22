"""Write configs/unixkd/<teacher>_<student>{,_kd}.py and configs/unixkd/metafile.yml.

The pairs and published numbers are the tables of the xuguodong03/UNIXKD README (CIFAR-100
top-1, mean of 4 runs) and its ``command/command.sh``. Run after changing the table and commit
the result (``--check`` reports drift); ``tests/unixkd/test_unixkd_configs.py`` checks what it
wrote. The hand-written ``configs/unixkd/addons/`` are not generated.

    python tools/dev/generate_unixkd_configs.py
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from config_writer import GeneratedFiles, main, wrap_comments  # noqa: E402

SCRIPT = 'generate_unixkd_configs.py'
BASE = 'configs/unixkd'

#: command.sh trains these students with --lr 0.01 (all others 0.05)
LOW_LR_STUDENTS = {'mobilenetv2', 'shufflev1', 'shufflev2'}

#: mmkd model config of each architecture (UNIXKD's MobileNetV2 has a bare Linear classifier)
MODEL_CONFIG = dict(mobilenetv2='mobilenetv2_unixkd')

#: reference names (README / command.sh) of the mmkd architectures
REFERENCE_NAME = dict(
    vgg13='vgg13',
    vgg16='vgg16',
    vgg8='vgg8',
    resnet50='ResNet50',
    resnet32x4='resnet32x4',
    resnet8x4='resnet8x4',
    resnet56='resnet56',
    resnet20='resnet20',
    wrn40_2='wrn_40_2',
    wrn16_2='wrn_16_2',
    wrn40_1='wrn_40_1',
    mobilenetv2='MobileNetV2',
    shufflev1='ShuffleV1',
    shufflev2='ShuffleV2')

#: (teacher, student): (teacher top-1, student top-1, Ft/Fs, KD top-1, UNIXKD top-1,
#: UNIXKD computation %), README order
PAIRS = {
    ('vgg13', 'mobilenetv2'): (75.38, 65.79, 38.17, 67.94, 68.09, 77.49),
    ('resnet50', 'mobilenetv2'): (79.10, 65.79, 174.00, 68.33, 68.76, 75.57),
    ('resnet50', 'vgg8'): (79.10, 70.68, 13.56, 73.43, 74.02, 81.43),
    ('resnet32x4', 'shufflev1'): (79.63, 70.77, 27.16, 74.52, 76.48, 78.43),
    ('resnet32x4', 'shufflev2'): (79.63, 73.12, 23.49, 75.07, 76.86, 78.92),
    ('wrn40_2', 'shufflev1'): (76.46, 70.77, 8.22, 76.04, 77.06, 84.79),
    ('wrn40_2', 'wrn16_2'): (76.46, 73.64, 3.25, 75.40, 75.40, 94.06),
    ('wrn40_2', 'wrn40_1'): (76.46, 72.24, 3.93, 73.77, 74.38, 91.88),
    ('resnet56', 'resnet20'): (73.44, 69.63, 3.06, 70.72, 70.41, 94.76),
    ('resnet32x4', 'resnet8x4'): (79.63, 72.51, 6.12, 73.34, 74.86, 87.32),
    ('vgg13', 'vgg8'): (75.38, 70.68, 2.97, 73.38, 73.55, 95.10),
    # the README's similar-architecture table has a 6th, unlabelled column of numbers; vgg16 ->
    # vgg8 is the only other pair of command.sh (an interpretation)
    ('vgg16', 'vgg8'): (None, None, 4.14, 72.10, 73.06, 91.29),
}


def pair_config(teacher: str, student: str, kd: bool) -> str:
    t_acc, s_acc, ratio, kd_acc, unix_acc, comp = PAIRS[(teacher, student)]
    lr = 0.01 if student in LOW_LR_STUDENTS else 0.05
    t_name, s_name = REFERENCE_NAME[teacher], REFERENCE_NAME[student]
    flags = ('--strategy 0 --k 64 --b 64 --w 1000' if kd else '--strategy 3 --k 48 --b 32 --w 10')
    accs = (f'teacher {t_acc:.2f}, student {s_acc:.2f}, ' if t_acc is not None else '')
    if kd:
        title = f'KD baseline of UNIXKD, {t_name} -> {s_name}'
        published = [
            f'# Published: {kd_acc:.2f} top-1 at 100% computation (README, CIFAR-100, '
            'mean of 4 runs);',
            f'#   UNIXKD {unix_acc:.2f} at {comp:.2f}%; {accs}Ft/Fs {ratio:.2f}.'
        ]
        base = '../_base_/methods/unixkd_kd.py'
    else:
        title = f'UNIXKD, {t_name} -> {s_name}'
        published = [
            f'# Published: {unix_acc:.2f} top-1 at {comp:.2f}% of KD\'s computation '
            '(README, CIFAR-100, mean of 4 runs);',
            f'#   KD baseline {kd_acc:.2f} (100%); {accs}Ft/Fs {ratio:.2f}.'
        ]
        base = '../_base_/methods/unixkd.py'
    if t_acc is None:
        published.append('#   (the unlabelled 6th column of the README\'s similar-architecture '
                         'table; vgg16 -> vgg8 is')
        published.append('#   the only other pair of command.sh: an interpretation)')
    lines = [
        f'# {title} (xuguodong03/UNIXKD command/command.sh:',
        f'#   {flags} --lr {lr:g}).',
        *published,
        f'# Teacher: configs/baselines/{teacher}_cifar100.py (the recipe of UNIXKD\'s teacher.py);',
        f'#   the README\'s published {t_name}: --layout unixkd, then model.teacher_ckpt '
        '(docs/unixkd.md).',
        f"_base_ = ['{base}']",
        'model = dict(',
        f"    student=dict(cfg_path='configs/_base_/models/{MODEL_CONFIG.get(student, student)}"
        ".py'),",
        f"    teacher=dict(cfg_path='configs/_base_/models/{MODEL_CONFIG.get(teacher, teacher)}"
        ".py'),",
        f"    teacher_ckpt='work_dirs/baselines/{teacher}_cifar100/epoch_240.pth',",
        ')',
    ]
    if lr != 0.05:
        lines.append(f'optim_wrapper = dict(optimizer=dict(lr={lr:g}))')
    return '\n'.join(lines) + '\n'


COLLECTION = {
    'Name': 'UNIXKD',
    'Paper': {
        'Title': 'Computation-Efficient Knowledge Distillation via Uncertainty-Aware Mixup',
        'URL': 'https://arxiv.org/abs/2012.09413'
    },
    'Code': ['https://github.com/xuguodong03/UNIXKD'],
}
SOURCE = {
    'Paper': 'UNIXKD paper (arXiv 2012.09413); the README numbers (mean of 4 runs) differ '
    'slightly from the paper',
    'Code': 'xuguodong03/UNIXKD README.md, command/command.sh'
}


def record(teacher: str, student: str, kd: bool) -> dict:
    t_acc, _, ratio, kd_acc, unix_acc, comp = PAIRS[(teacher, student)]
    name = f'{teacher}_{student}{"_kd" if kd else ""}'
    meta = {
        'Teacher': teacher,
        'Student': MODEL_CONFIG.get(student, student),
        'Convention': 'UNIXKD KD baseline (KD only)' if kd else 'UNIXKD (KD only)',
        'Training Data': 'CIFAR-100',
        'Ft/Fs': ratio,
        'Computation': '100%' if kd else f'{comp:.2f}%',
        'Source': dict(SOURCE)
    }
    if t_acc is None:
        meta['Note'] = ("the unlabelled 6th column of the README's similar-architecture table, "
                        'read as vgg16 -> vgg8 (the only other pair of command.sh)')
    return {
        'Name':
        f'unixkd_{name}',
        'In Collection':
        'UNIXKD',
        'Config':
        f'{BASE}/{name}.py',
        'Metadata':
        meta,
        'Results': [{
            'Task': 'Image Classification',
            'Dataset': 'CIFAR-100',
            'Metrics': {
                'Top 1 Accuracy': kd_acc if kd else unix_acc
            }
        }]
    }


def build() -> GeneratedFiles:
    files = GeneratedFiles(SCRIPT, BASE, scan=['.'])
    models = []
    for teacher, student in PAIRS:
        for kd in (False, True):
            name = f'{teacher}_{student}{"_kd" if kd else ""}.py'
            files.add(name, wrap_comments(pair_config(teacher, student, kd)))
            models.append(record(teacher, student, kd))
    files.add_yaml(
        'metafile.yml', {
            'Collections': [COLLECTION],
            'Models': models
        },
        comment='# the UNIXKD configs of this folder, their teacher/student, the '
        'published CIFAR-100 top-1 and\n# computation (mmkd.utils.load_metafile)\n')
    return files


if __name__ == '__main__':
    sys.exit(main(build, __doc__.splitlines()[0], BASE))
