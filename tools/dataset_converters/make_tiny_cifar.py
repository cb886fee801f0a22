"""Write a tiny CIFAR-100 (or CIFAR-10) in the real on-disk format, for smoke runs and tests.

    python tools/dataset_converters/make_tiny_cifar.py data/tiny_cifar100 [--num-classes 100]
        [--train-per-class 5] [--test-per-class 2] [--seed 0]

Then point a config at it:
    --cfg-options train_dataloader.dataset.data_root=data/tiny_cifar100 \
                  val_dataloader.dataset.data_root=data/tiny_cifar100 \
                  test_dataloader.dataset.data_root=data/tiny_cifar100
"""
import argparse

from mmkd.datasets.tiny_cifar import write_tiny_cifar


def main():
    parser = argparse.ArgumentParser(description='Write a tiny CIFAR in the real format')
    parser.add_argument('root', help='folder that will hold cifar-100-python/ (or cifar-10-...)')
    parser.add_argument('--num-classes', type=int, default=100, choices=[10, 100])
    parser.add_argument('--train-per-class', type=int, default=5)
    parser.add_argument('--test-per-class', type=int, default=2)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    folder = write_tiny_cifar(args.root, args.num_classes, args.train_per_class,
                              args.test_per_class, args.seed)
    print(f'wrote {folder}: {args.num_classes * args.train_per_class} train / '
          f'{args.num_classes * args.test_per_class} test images')


if __name__ == '__main__':
    main()
