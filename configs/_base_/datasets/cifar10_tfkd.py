# CIFAR-10 as the Tf-KD reference loads it (data_loader.py with dataset "cifar10"): the same
# pipeline as cifar100_tfkd.py, and -- a reference quirk -- the same CIFAR-100 normalisation
# constants (the CIFAR-10 ones are commented out in data_loader.py). 10 classes: configs set
# head.num_classes=10. Data in data/cifar10/cifar-10-batches-py (downloaded on first use).
_base_ = ['./cifar100_tfkd.py']
dataset_type = 'CIFAR10'
data_root = 'data/cifar10'
data_preprocessor = dict(num_classes=10)
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
val_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root))
test_dataloader = val_dataloader
