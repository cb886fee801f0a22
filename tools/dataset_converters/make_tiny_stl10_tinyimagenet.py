"""Write a tiny STL-10 (binary format) and/or a tiny Tiny-ImageNet (folder format) for smoke runs.

    python tools/dataset_converters/make_tiny_stl10_tinyimagenet.py stl10 data/tiny_stl10
    python tools/dataset_converters/make_tiny_stl10_tinyimagenet.py tinyimagenet data/tiny_tin \
        [--reorganized]

Both are written in the real on-disk formats (``stl10_binary/*.bin``; ``tiny-imagenet-200/`` with
``wnids.txt``, ``train/<wnid>/images`` and the official ``val/``), with 10 / 200 classes of
class-dependent synthetic images, so ``STL10`` and ``TinyImageNet`` read them with the same code
as the real data. Point a config at them with ``--cfg-options`` ``*.dataset.data_root=...``.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmkd.datasets.stl10 import write_tiny_stl10  # noqa: E402
from mmkd.datasets.tiny_imagenet import write_tiny_imagenet  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description='Write a tiny STL-10 / Tiny-ImageNet')
    parser.add_argument('dataset', choices=['stl10', 'tinyimagenet'])
    parser.add_argument('root', help='folder that will hold stl10_binary/ or tiny-imagenet-200/')
    parser.add_argument(
        '--train-per-class', type=int, default=None, help='default: 4 (STL-10), 2 (Tiny-ImageNet)')
    parser.add_argument(
        '--test-per-class',
        type=int,
        default=None,
        help='test (STL-10) / val (Tiny-ImageNet) images per class; default 2 / 1')
    parser.add_argument(
        '--reorganized',
        action='store_true',
        help='Tiny-ImageNet: leave val/ re-organised into class folders')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if args.dataset == 'stl10':
        folder = write_tiny_stl10(
            args.root, args.train_per_class or 4, args.test_per_class or 2, seed=args.seed)
    else:
        folder = write_tiny_imagenet(
            args.root,
            train_per_class=args.train_per_class or 2,
            val_per_class=args.test_per_class or 1,
            seed=args.seed,
            reorganized=args.reorganized)
    print(f'wrote {folder}')


if __name__ == '__main__':
    main()
