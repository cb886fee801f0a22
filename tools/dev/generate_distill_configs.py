"""Write ``configs/<method>/<teacher>_<student>.py`` for every method and reference pair.

A maintenance tool: the pair configs are a few lines each (a method base from
``configs/_base_/methods/`` plus student, teacher and teacher checkpoint); this script keeps the
table of pairs, conventions and published numbers in one place, and writes a ``metafile.yml`` per
method folder (config, teacher/student pair, published top-1 and its source) for
:func:`mmkd.utils.load_metafile`. Edit the tables below, run it and commit the result;
``tests/dev/test_config_generators.py`` checks that the committed files match the tables.

    python tools/dev/generate_distill_configs.py           # rewrite the generated files
    python tools/dev/generate_distill_configs.py --check   # report drift, write nothing

Only files whose first line is this script's header are rewritten or deleted; a hand-written
config in a method folder (e.g. ``configs/semckd/imagenet/``) is left alone.
"""
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from config_writer import GeneratedFiles, main, wrap_comments  # noqa: E402

SCRIPT = osp.basename(__file__)

#: students trained with lr 0.01 in both reference repos (RepDistiller and SemCKD train_student.py)
LOW_LR_STUDENTS = {'mobilenetv2', 'shufflev1', 'shufflev2'}

#: CRD paper (ICLR 2020) Tables 1 and 2 = HobbitLong/RepDistiller README.md: (teacher, student) ->
#: {method: top-1}; every method alone (scripts/run_cifar_distill.sh -a 0), KD with -r 0.1 -a 0.9
REPDISTILLER = {
    ('wrn40_2', 'wrn16_2'):
    dict(
        kd=74.92,
        fitnet=73.58,
        at=74.08,
        sp=73.83,
        cc=73.56,
        vid=74.11,
        rkd=73.35,
        pkt=74.54,
        ab=72.50,
        ft=73.25,
        fsp=72.91,
        nst=73.68,
        crd=75.48),
    ('wrn40_2', 'wrn40_1'):
    dict(
        kd=73.54,
        fitnet=72.24,
        at=72.77,
        sp=72.43,
        cc=72.21,
        vid=73.30,
        rkd=72.22,
        pkt=73.45,
        ab=72.38,
        ft=71.59,
        nst=72.24,
        crd=74.14),
    ('resnet56', 'resnet20'):
    dict(
        kd=70.66,
        fitnet=69.21,
        at=70.55,
        sp=69.67,
        cc=69.63,
        vid=70.38,
        rkd=69.61,
        pkt=70.34,
        ab=69.47,
        ft=69.84,
        fsp=69.95,
        nst=69.60,
        crd=71.16),
    ('resnet110', 'resnet20'):
    dict(
        kd=70.67,
        fitnet=68.99,
        at=70.22,
        sp=70.04,
        cc=69.48,
        vid=70.16,
        rkd=69.25,
        pkt=70.25,
        ab=69.53,
        ft=70.22,
        fsp=70.11,
        nst=69.53,
        crd=71.46),
    ('resnet110', 'resnet32'):
    dict(
        kd=73.08,
        fitnet=71.06,
        at=72.31,
        sp=72.69,
        cc=71.48,
        vid=72.61,
        rkd=71.82,
        pkt=72.61,
        ab=70.98,
        ft=72.37,
        fsp=71.89,
        nst=71.96,
        crd=73.48),
    ('resnet32x4', 'resnet8x4'):
    dict(
        kd=73.33,
        fitnet=73.50,
        at=73.44,
        sp=72.94,
        cc=72.97,
        vid=73.09,
        rkd=71.90,
        pkt=73.64,
        ab=73.17,
        ft=72.86,
        fsp=72.62,
        nst=73.30,
        crd=75.51),
    ('vgg13', 'vgg8'):
    dict(
        kd=72.98,
        fitnet=71.02,
        at=71.43,
        sp=72.68,
        cc=70.71,
        vid=71.23,
        rkd=71.48,
        pkt=72.88,
        ab=70.94,
        ft=70.58,
        fsp=70.23,
        nst=71.53,
        crd=73.94),
    ('vgg13', 'mobilenetv2'):
    dict(
        kd=67.37,
        fitnet=64.14,
        at=59.40,
        sp=66.30,
        cc=64.86,
        vid=65.56,
        rkd=64.52,
        pkt=67.13,
        ab=66.06,
        ft=61.78,
        nst=58.16,
        crd=69.73),
    ('resnet50', 'mobilenetv2'):
    dict(
        kd=67.35,
        fitnet=63.16,
        at=58.58,
        sp=68.08,
        cc=65.43,
        vid=67.57,
        rkd=64.43,
        pkt=66.52,
        ab=67.20,
        ft=60.99,
        nst=64.96,
        crd=69.11),
    ('resnet50', 'vgg8'):
    dict(
        kd=73.81,
        fitnet=70.69,
        at=71.84,
        sp=73.34,
        cc=70.25,
        vid=70.30,
        rkd=71.50,
        pkt=73.01,
        ab=70.65,
        ft=70.29,
        nst=71.28,
        crd=74.30),
    ('resnet32x4', 'shufflev1'):
    dict(
        kd=74.07,
        fitnet=73.59,
        at=71.73,
        sp=73.48,
        cc=71.14,
        vid=73.38,
        rkd=72.28,
        pkt=74.10,
        ab=73.55,
        ft=71.75,
        nst=74.12,
        crd=75.11),
    ('resnet32x4', 'shufflev2'):
    dict(
        kd=74.45,
        fitnet=73.54,
        at=72.73,
        sp=74.56,
        cc=71.29,
        vid=73.40,
        rkd=73.21,
        pkt=74.69,
        ab=74.31,
        ft=72.50,
        nst=74.68,
        crd=75.65),
    ('wrn40_2', 'shufflev1'):
    dict(
        kd=74.83,
        fitnet=73.73,
        at=73.32,
        sp=74.52,
        cc=71.38,
        vid=73.61,
        rkd=72.21,
        pkt=73.89,
        ab=73.34,
        ft=72.03,
        nst=74.89,
        crd=76.05),
}

#: SemCKD paper (AAAI 2021) CIFAR-100 table = DefangChen/SemCKD README.md (images/result.png),
#: every method with CE 1 + KD 1 (scripts/run_cifar_distill.sh -r 1 -a 1):
#: (teacher, student) -> {method: top-1}
SEMCKD = {
    ('resnet32x4', 'vgg8'):
    dict(kd=72.73, fitnet=72.91, at=71.90, sp=73.12, vid=73.19, hkd=72.63, semckd=75.27),
    ('resnet32x4', 'vgg13'):
    dict(kd=77.17, fitnet=77.06, at=77.23, sp=77.72, vid=77.45, hkd=76.76, semckd=79.43),
    ('vgg13', 'shufflev2'):
    dict(kd=75.60, fitnet=75.44, at=75.41, sp=75.54, vid=75.22, hkd=76.24, semckd=76.39),
    ('resnet32x4', 'shufflev2'):
    dict(kd=75.49, fitnet=75.82, at=75.91, sp=75.77, vid=75.55, hkd=76.64, semckd=77.62),
    ('wrn40_2', 'mobilenetv2'):
    dict(kd=68.70, fitnet=68.64, at=68.79, sp=68.48, vid=68.37, hkd=69.23, semckd=69.61),
    ('vgg13', 'vgg8'):
    dict(kd=73.38, fitnet=73.63, at=73.51, sp=73.53, vid=73.63, hkd=73.06, semckd=74.43),
    ('resnet32x4', 'resnet8x4'):
    dict(kd=74.42, fitnet=74.32, at=75.07, sp=74.29, vid=74.55, hkd=74.86, semckd=76.23),
}

#: mdistiller's DKD configs (configs/cifar100/dkd/*.yaml): pair -> (beta, published top-1)
DKD = {
    ('resnet56', 'resnet20'): (2.0, 71.97),
    ('resnet110', 'resnet32'): (2.0, 74.11),
    ('resnet32x4', 'resnet8x4'): (8.0, 76.32),
    ('wrn40_2', 'wrn16_2'): (6.0, 76.23),
    ('wrn40_2', 'wrn40_1'): (6.0, 74.81),
    ('vgg13', 'vgg8'): (6.0, 74.68),
    ('resnet32x4', 'shufflev1'): (8.0, 76.45),
    ('wrn40_2', 'shufflev1'): (8.0, 76.70),
    ('vgg13', 'mobilenetv2'): (6.0, 69.71),
    ('resnet50', 'mobilenetv2'): (8.0, 70.35),
    ('resnet32x4', 'shufflev2'): (8.0, 77.07),
}

NAMES = {
    'kd': 'KD',
    'fitnet': 'FitNet',
    'at': 'AT',
    'sp': 'SP',
    'cc': 'CC',
    'vid': 'VID',
    'rkd': 'RKD',
    'pkt': 'PKT',
    'ab': 'AB',
    'ft': 'FT',
    'fsp': 'FSP',
    'nst': 'NST',
    'crd': 'CRD',
    'hkd': 'HKD',
    'semckd': 'SemCKD',
    'irg': 'IRG',
    'kdsvd': 'KDSVD',
    'dkd': 'DKD'
}
#: the method's own weight beta in each convention (-b of SemCKD's and RepDistiller's
#: scripts/run_cifar_distill.sh)
BETA_SEMCKD = dict(fitnet=100, at=1000, sp=3000, vid=1, hkd=1, semckd=400)
BETA_REPDISTILLER = dict(
    fitnet=100, at=1000, sp=3000, cc=0.02, vid=1, rkd=1, pkt=30000, ft=200, nst=50, crd=0.8)
#: methods whose RepDistiller-convention base is a separate file (they also run in SemCKD's)
HAS_SEMCKD_VARIANT = {'kd', 'fitnet', 'at', 'sp', 'vid'}

#: the pairs of the CRD paper's Table 1 (teacher and student of the same family); the other
#: RepDistiller pairs are its Table 2
CRD_TABLE1 = {('wrn40_2', 'wrn16_2'), ('wrn40_2', 'wrn40_1'), ('resnet56', 'resnet20'),
              ('resnet110', 'resnet20'), ('resnet110', 'resnet32'), ('resnet32x4', 'resnet8x4'),
              ('vgg13', 'vgg8')}

SEMCKD_REPO = 'https://github.com/DefangChen/SemCKD'
REPDISTILLER_REPO = 'https://github.com/HobbitLong/RepDistiller'
MDISTILLER_REPO = 'https://github.com/megvii-research/mdistiller'
#: metafile ``Collections``: the method's paper and the code the configs follow
PAPERS = {
    'kd': ('Distilling the Knowledge in a Neural Network', 'https://arxiv.org/abs/1503.02531'),
    'fitnet': ('FitNets: Hints for Thin Deep Nets', 'https://arxiv.org/abs/1412.6550'),
    'at': ('Paying More Attention to Attention: Improving the Performance of Convolutional '
           'Neural Networks via Attention Transfer', 'https://arxiv.org/abs/1612.03928'),
    'sp': ('Similarity-Preserving Knowledge Distillation', 'https://arxiv.org/abs/1907.09682'),
    'cc': ('Correlation Congruence for Knowledge Distillation', 'https://arxiv.org/abs/1904.01802'),
    'vid': ('Variational Information Distillation for Knowledge Transfer',
            'https://arxiv.org/abs/1904.05835'),
    'rkd': ('Relational Knowledge Distillation', 'https://arxiv.org/abs/1904.05068'),
    'pkt': ('Learning Deep Representations with Probabilistic Knowledge Transfer',
            'https://arxiv.org/abs/1803.10837'),
    'ab': ('Knowledge Transfer via Distillation of Activation Boundaries Formed by Hidden '
           'Neurons', 'https://arxiv.org/abs/1811.03233'),
    'ft': ('Paraphrasing Complex Network: Network Compression via Factor Transfer',
           'https://arxiv.org/abs/1802.04977'),
    'fsp': ('A Gift from Knowledge Distillation: Fast Optimization, Network Minimization and '
            'Transfer Learning', None),
    'nst': ('Like What You Like: Knowledge Distill via Neuron Selectivity Transfer',
            'https://arxiv.org/abs/1707.01219'),
    'crd': ('Contrastive Representation Distillation', 'https://arxiv.org/abs/1910.10699'),
    'hkd': ('Heterogeneous Knowledge Distillation using Information Flow Modeling',
            'https://arxiv.org/abs/2005.00727'),
    'semckd':
    ('Cross-Layer Distillation with Semantic Calibration', 'https://arxiv.org/abs/2012.03236'),
    'irg': ('Knowledge Distillation via Instance Relationship Graph', None),
    'kdsvd': ('Self-supervised Knowledge Distillation Using Singular Value Decomposition',
              'https://arxiv.org/abs/1807.06819'),
    'dkd': ('Decoupled Knowledge Distillation', 'https://arxiv.org/abs/2203.08679'),
}
#: the published-number sources, by table
SOURCES = {
    'semckd':
    dict(
        Paper='SemCKD paper (AAAI 2021), CIFAR-100 comparison table',
        Code='DefangChen/SemCKD README.md (images/result.png)'),
    'crd1':
    dict(Paper='CRD paper (ICLR 2020) Table 1', Code='HobbitLong/RepDistiller README.md'),
    'crd2':
    dict(Paper='CRD paper (ICLR 2020) Table 2', Code='HobbitLong/RepDistiller README.md'),
    'dkd':
    dict(
        Paper='DKD paper (CVPR 2022), CIFAR-100 tables',
        Code='megvii-research/mdistiller README.md, configs/cifar100/dkd/*.yaml'),
}


class Generator:
    """Collects the pair configs and the metafile records of every method folder."""

    def __init__(self):
        self.files = GeneratedFiles(SCRIPT, 'configs')
        self.models = {}  # method -> list of metafile model records

    def config(self,
               method,
               name,
               header,
               body,
               teacher,
               student,
               convention,
               top1=None,
               source=None):
        rel = f'{method}/{name}.py'
        self.files.add(rel, wrap_comments(header) + body)
        record = {
            'Name': f'{method}_{name}',
            'In Collection': NAMES[method],
            'Config': f'configs/{rel}',
            'Metadata': {
                'Teacher': teacher,
                'Student': student,
                'Convention': convention,
                'Training Data': 'CIFAR-100'
            },
        }
        if top1 is not None:
            record['Metadata']['Source'] = dict(source)
            record['Results'] = [{
                'Task': 'Image Classification',
                'Dataset': 'CIFAR-100',
                'Metrics': {
                    'Top 1 Accuracy': top1
                }
            }]
        self.models.setdefault(method, []).append(record)

    def metafiles(self):
        for method, models in sorted(self.models.items()):
            title, url = PAPERS[method]
            paper = {'Title': title}
            if url:
                paper['URL'] = url
            codes = sorted({m['Metadata']['Convention'] for m in models})
            repos = {
                'SemCKD': SEMCKD_REPO,
                'RepDistiller': REPDISTILLER_REPO,
                'mdistiller': MDISTILLER_REPO
            }
            collection = {'Name': NAMES[method], 'Paper': paper, 'Code': [repos[c] for c in codes]}
            self.files.add_yaml(
                f'{method}/metafile.yml', {
                    'Collections': [collection],
                    'Models': models
                },
                comment='# the configs of this folder, their teacher/student pair and the '
                'published top-1 (mmkd.utils.load_metafile)\n')
        return self.files


def pair_body(teacher: str, student: str, base: str, extra: str = '') -> str:
    lines = [
        f"_base_ = ['../_base_/methods/{base}.py']", 'model = dict(',
        f"    student=dict(cfg_path='configs/_base_/models/{student}.py'),",
        f"    teacher=dict(cfg_path='configs/_base_/models/{teacher}.py'),",
        f"    teacher_ckpt='work_dirs/baselines/{teacher}_cifar100/epoch_240.pth',",
        extra + ')' if extra else ')'
    ]
    text = '\n'.join(lines) + '\n'
    if student in LOW_LR_STUDENTS:
        text += ('# lr 0.01 for MobileNetV2/ShuffleNet students (RepDistiller and SemCKD '
                 'train_student.py)\noptim_wrapper = dict(optimizer=dict(lr=0.01))\n')
    return text


def build() -> GeneratedFiles:
    gen = Generator()
    semckd_pairs = set(SEMCKD)
    for (teacher, student), results in SEMCKD.items():
        for method, acc in results.items():
            if method == 'hkd' and teacher != 'resnet32x4':
                continue  # the proxy teacher of pass 1 is only specified for resnet32x4
            own = f' + {BETA_SEMCKD[method]:g} * {NAMES[method]}' if method != 'kd' else ''
            header = (f'# {NAMES[method]}, {teacher} -> {student}. SemCKD convention: CE 1 + KD 1'
                      f'{own}.\n# Published: {acc:.2f} top-1 (SemCKD paper, AAAI 2021; '
                      'DefangChen/SemCKD README.md).\n')
            kw = dict(
                teacher=teacher,
                student=student,
                convention='SemCKD',
                top1=acc,
                source=SOURCES['semckd'])
            if method == 'hkd':
                header += ('# Pass 2 of HKD: the teacher is the resnet8x4_double proxy distilled '
                           'from resnet32x4 with PKT\n# by configs/hkd/resnet32x4_resnet8x4_double'
                           '_pkt.py (pass 1).\n')
                body = pair_body('resnet8x4_double', student, 'hkd').replace(
                    'work_dirs/baselines/resnet8x4_double_cifar100/epoch_240.pth',
                    'work_dirs/hkd/resnet32x4_resnet8x4_double_pkt/student_last.pth')
                gen.config(method, f'{teacher}_{student}', header, body, **kw)
                continue
            gen.config(method, f'{teacher}_{student}', header, pair_body(teacher, student, method),
                       **kw)
    for (teacher, student), results in REPDISTILLER.items():
        table = 1 if (teacher, student) in CRD_TABLE1 else 2
        for method, acc in results.items():
            base = method + '_repdistiller' if method in HAS_SEMCKD_VARIANT else method
            if method == 'kd':
                convention = 'CE 0.1 + KD 0.9'
            elif method in ('ab', 'fsp'):
                convention = (f'30 init epochs on {NAMES[method]}, then CE 1 alone (the '
                              "reference's main-stage distillation loss is 0)")
            else:
                convention = (f'CE 1 + {BETA_REPDISTILLER[method]:g} * {NAMES[method]}, '
                              'no KD term')
            header = (f'# {NAMES[method]}, {teacher} -> {student}. RepDistiller convention: '
                      f'{convention}.\n# Published: {acc:.2f} top-1 (CRD paper, ICLR 2020, '
                      f'Table {table}; HobbitLong/RepDistiller README.md).\n')
            clash = (teacher, student) in semckd_pairs and method in HAS_SEMCKD_VARIANT
            name = f'{teacher}_{student}' + ('_repdistiller' if clash else '')
            body = pair_body(teacher, student, base)
            if method == 'ft' and not student.startswith(('resnet', 'wrn')):
                body += ('# the init stage keeps the base lr for this student '
                         '(RepDistiller helper/pretrain.py)\n'
                         "param_scheduler = [dict(type='MultiStepLR', by_epoch=True, "
                         'milestones=[180, 210, 240], gamma=0.1)]\n')
            gen.config(method, name, header, body, teacher, student, 'RepDistiller', acc,
                       SOURCES[f'crd{table}'])
        header = (f'# CRD+KD, {teacher} -> {student}. RepDistiller convention for CRD+KD: CE 1 + '
                  'KD 1 + 0.8 * CRD\n# (RepDistiller README.md, scripts/run_cifar_distill.sh '
                  '-a 1 -b 0.8; no published number here: the\n# CRD row of the tables is CRD '
                  'alone).\n')
        gen.config('crd', f'{teacher}_{student}_kd', header, pair_body(teacher, student, 'crd_kd'),
                   teacher, student, 'RepDistiller')
    for (teacher, student), (beta, acc) in DKD.items():
        header = (f'# DKD, {teacher} -> {student}: CE 1 + DKD(alpha 1, beta {beta:g}, T 4, '
                  f'20-epoch warm-up).\n# Published: {acc:.2f} top-1 (mdistiller '
                  'configs/cifar100/dkd, README).\n')
        extra = f"    distill_losses=dict(dkd=dict(beta={beta:g})),\n" if beta != 8.0 else ''
        gen.config('dkd', f'{teacher}_{student}', header, pair_body(teacher, student, 'dkd', extra),
                   teacher, student, 'mdistiller', acc, SOURCES['dkd'])
    # methods with one reference script each (resnet32x4 -> resnet8x4)
    header = ('# IRG, resnet32x4 -> resnet8x4. SemCKD convention: CE 1 + KD 1 + 0.005 * IRG '
              '(SemCKD\n# scripts/run_cifar_distill.sh). No published number in the SemCKD '
              'README.\n')
    gen.config('irg', 'resnet32x4_resnet8x4', header, pair_body('resnet32x4', 'resnet8x4', 'irg'),
               'resnet32x4', 'resnet8x4', 'SemCKD')
    header = ('# KDSVD, resnet32x4 -> resnet8x4. RepDistiller code, no reference script or '
              'published number:\n# CE 1 + 1 * KDSVD (beta 1 is our choice).\n')
    gen.config('kdsvd', 'resnet32x4_resnet8x4', header, pair_body('resnet32x4', 'resnet8x4',
                                                                  'kdsvd'), 'resnet32x4',
               'resnet8x4', 'RepDistiller')
    header = ('# HKD pass 1: the proxy teacher resnet8x4_double (4.875M params) distilled from '
              'resnet32x4\n# with PKT in SemCKD convention: CE 1 + KD 1 + 30000 * PKT '
              '(SemCKD scripts/run_cifar_distill.sh,\n# "HKD(two pass)").\n')
    gen.config('hkd', 'resnet32x4_resnet8x4_double_pkt', header,
               pair_body('resnet32x4', 'resnet8x4_double', 'hkd_proxy_pkt'), 'resnet32x4',
               'resnet8x4_double', 'SemCKD')
    return gen.metafiles()


if __name__ == '__main__':
    sys.exit(main(build, __doc__.splitlines()[0], 'configs'))
