"""UNIXKD checkpoints (``--layout unixkd``): xuguodong03/UNIXKD ``teacher.py`` / ``student_v0.py``.

``teacher.py`` saves ``experiments/teacher_<arch>/ckpt/best.pth`` (and periodic
``ckpt/epoch_<n>.pth``) as ``{'epoch', 'state_dict', 'acc'}``; ``student_v0.py`` saves
``ckpt/student_best.pth`` as ``{'state_dict', 'best_acc'}``. The state dicts come from the plain
model (no ``nn.DataParallel``). The models are RepDistiller's CIFAR zoo (byte-identical
``models/{resnet,resnetv2,wrn,vgg,ShuffleNetv1,ShuffleNetv2}.py``) plus ``resnet14x4`` and a
MobileNetV2 with a bare ``nn.Linear`` classifier (``classifier.*``), so the key mapping is the
plain-classifier one of every mmkd CIFAR backbone (classifier layer → ``head.fc.*``, the rest →
``backbone.*``).

:data:`UNIXKD_ARCH_CONFIGS` names the mmkd model config of every architecture name of the
reference's ``models/__init__.py:model_dict`` that UNIXKD's ``command/command.sh`` uses;
:func:`arch_from_teacher_path` reads the architecture from a ``teacher_<arch>`` folder as the
reference does.
"""
import os.path as osp

from .reference_converter import ReferenceLayout, register_layout

UNIXKD_LAYOUT = register_layout(
    ReferenceLayout(
        name='unixkd',
        description="UNIXKD teacher.py: experiments/teacher_<arch>/ckpt/best.pth = {'epoch', "
        "'state_dict', 'acc'} (student_v0.py's student_best.pth: {'state_dict', 'best_acc'})",
        containers=('state_dict', )))

#: reference ``model_dict`` name → mmkd model config (teachers and students of command.sh)
UNIXKD_ARCH_CONFIGS = {
    # teachers
    'vgg13': 'configs/_base_/models/vgg13.py',
    'vgg16': 'configs/_base_/models/vgg16.py',
    'ResNet50': 'configs/_base_/models/resnet50.py',
    'resnet32x4': 'configs/_base_/models/resnet32x4.py',
    'resnet56': 'configs/_base_/models/resnet56.py',
    'wrn_40_2': 'configs/_base_/models/wrn40_2.py',
    # students
    'MobileNetV2': 'configs/_base_/models/mobilenetv2_unixkd.py',
    'vgg8': 'configs/_base_/models/vgg8.py',
    'ShuffleV1': 'configs/_base_/models/shufflev1.py',
    'ShuffleV2': 'configs/_base_/models/shufflev2.py',
    'wrn_16_2': 'configs/_base_/models/wrn16_2.py',
    'wrn_40_1': 'configs/_base_/models/wrn40_1.py',
    'resnet8x4': 'configs/_base_/models/resnet8x4.py',
    'resnet20': 'configs/_base_/models/resnet20.py',
    'resnet14x4': 'configs/_base_/models/resnet14x4.py',
}

#: the teachers of the reference README / command.sh
UNIXKD_TEACHERS = ('vgg13', 'vgg16', 'ResNet50', 'resnet32x4', 'resnet56', 'wrn_40_2')


def arch_from_teacher_path(path: str) -> str:
    """``.../teacher_wrn_40_2[/ckpt/best.pth]`` → ``'wrn_40_2'`` (everything after the first
    ``_`` of the ``teacher_*`` folder, the reference's rule; trailing slashes are ignored)."""
    parts = [p for p in osp.normpath(path).split(osp.sep) if p]
    for part in reversed(parts):
        if part.startswith('teacher_'):
            return part[len('teacher_'):]
    raise ValueError(f'{path!r} has no teacher_<arch> folder.')
