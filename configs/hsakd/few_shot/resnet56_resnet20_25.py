_base_ = ['../resnet56_resnet20.py']
# HSAKD few-shot (HSAKD train_student_few_shot.py): resnet56 -> resnet20 on 25% of the CIFAR-100
# training set, from the frozen-backbone teacher ("Teacher"), the README's few-shot command
# (train_student_few_shot.py --tcheckpoint .../train_teacher_cifar_arch_resnet56_aux_..._seed0/...).
# The subset is class-balanced and fixed: scikit-learn's StratifiedShuffleSplit(test_size=1-ratio,
# random_state=0) over the training labels, as train_student_few_shot.py (same images on every run
# and every rank, independent of randomness.seed). Epochs, milestones and batch size are not
# rescaled (fewer iterations run); evaluation is on the full test set.
# Published student top-1 by fraction: 25% 68.50±0.24, 50% 72.18±0.41, 75% 73.26±0.11,
# 100% 73.73±0.10.
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassBalancedSubset',
        ratio=0.25,
        seed=0,
        method='sklearn',
        dataset={{_base_.train_dataloader.dataset}}))
