"""Re-organise Tiny-ImageNet's validation set into one folder per class.

What HSAKD's ``data/preprocess_tinyimagenet.py`` does, done safely and idempotently: the official
``val/`` (``images/`` + ``val_annotations.txt``) becomes ``val_original/`` and a new
``val/<wnid>/<file>.JPEG`` holds a copy of every image (``--link``: hard links, no extra space).
The annotations are checked before anything changes; running it again does nothing; an
interrupted run is completed by running it again.

    python tools/dataset_converters/reorganize_tiny_imagenet_val.py \
        data/tiny_imagenet/tiny-imagenet-200

mmkd's ``TinyImageNet`` dataset reads either layout, so this is only needed to share the folder
with code that expects ``ImageFolder`` (e.g. the reference's ``eval_rep.py``).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmkd.datasets.tiny_imagenet import reorganize_val  # noqa: E402
from mmkd.utils.cli import user_errors_as_messages  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument(
        'folder',
        help='the tiny-imagenet-200 folder (holding train/ and val/), '
        'or the folder that contains it')
    parser.add_argument(
        '--link', action='store_true', help='hard-link the images instead of copying them')
    args = parser.parse_args()
    folder = args.folder
    if not osp.isdir(osp.join(folder, 'train')) and osp.isdir(
            osp.join(folder, 'tiny-imagenet-200')):
        folder = osp.join(folder, 'tiny-imagenet-200')
    with user_errors_as_messages():
        print(reorganize_val(folder, link=args.link))


if __name__ == '__main__':
    main()
