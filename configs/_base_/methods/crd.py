# CRD in RepDistiller's convention: CE 1 + 0.8 * CRD, no KD term (RepDistiller/SemCKD
# crd/criterion.py, crd/memory.py). Memory banks of n_data = 50000 (the CIFAR-100 train set), 128-d,
# NCE with K = 16384.
_base_ = [
    '../datasets/cifar100_bs64.py', '../schedules/cifar100_sgd_240e.py', '../default_runtime.py',
    '../distill_runtime.py'
]
model = dict(
    type='SingleTeacherDistiller',
    student_loss_weight=1.0,
    distill_losses=dict(
        crd=dict(
            type='CRDLoss',
            loss_weight=0.8,
            connector=dict(
                type='CRDConnector', n_data=50000, feat_dim=128, nce_k=16384, nce_t=0.07,
                nce_m=0.5))),
)
# CRD reads each sample's index and K = 16384 negatives from other classes
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CRDInstanceSampleDataset',
        nce_k=16384,
        mode='exact',
        dataset=dict(
            type='CIFAR100',
            data_root='data/cifar100',
            split='train',
            pipeline={{_base_.train_pipeline}})))
