"""Convert a checkpoint saved by reference code into an mmkd checkpoint.

    python tools/model_converters/convert_reference.py SRC DST --layout LAYOUT --config CONFIG

LAYOUT is who saved SRC:
  repdistiller  RepDistiller / CRD / SemCKD teachers: {'model': state_dict, 'epoch', ...}
  tfkd          Teacher-free KD (.pth.tar): {'state_dict': state_dict, 'epoch', 'optim_dict'}
  torchvision   torchvision model zoo: a bare state dict
CONFIG is the mmkd model config of the same architecture, e.g.
configs/_base_/models/resnet32x4.py (a baseline config such as
configs/baselines/resnet32x4_cifar100.py works too).

DST is {'meta': {source, layout, config, source_meta (epoch, accuracy), ...},
'state_dict': ...}; it loads strictly into the config's model, e.g. as a distiller's
``teacher_ckpt``. SRC is read with mmkd's safe loader; a legacy file that pickles other objects
(e.g. RepDistiller's *_last.pth with its argparse 'opt') must first go through
tools/model_converters/trust_checkpoint.py.
"""
import argparse

from mmengine.config import DictAction

from mmkd.models.utils.reference_converter import LAYOUTS, convert_checkpoint
from mmkd.utils.cli import user_errors_as_messages


def parse_args():
    parser = argparse.ArgumentParser(
        description='Convert a reference-code checkpoint into an mmkd checkpoint.',
        epilog='Layouts: ' + '; '.join(f'{n}: {lay.description}' for n, lay in LAYOUTS.items()))
    parser.add_argument('src', help='the reference checkpoint')
    parser.add_argument('dst', help='where to write the mmkd checkpoint')
    parser.add_argument('--layout', required=True, choices=list(LAYOUTS),
                        help='which code base saved SRC')
    parser.add_argument('--config', required=True,
                        help='mmkd config of the architecture (its `model` is the target)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings of the config, e.g. model.head.num_classes=10')
    return parser.parse_args()


def main():
    args = parse_args()
    with user_errors_as_messages():
        meta = convert_checkpoint(args.src, args.dst, args.layout, args.config,
                                  cfg_options=args.cfg_options)
    notes = []
    if meta['dropped_keys']:
        notes.append(f"dropped {len(meta['dropped_keys'])} num_batches_tracked entries the "
                     'model does not have')
    if meta['filled_keys']:
        notes.append(f"added {len(meta['filled_keys'])} missing num_batches_tracked entries "
                     '(= 0; old PyTorch checkpoint)')
    source = ', '.join(f'{k}={v}' for k, v in meta['source_meta'].items())
    print(f"Converted {args.src} ({args.layout}{'; ' + source if source else ''}) -> "
          f"{args.dst}: {meta['num_keys']} keys, verified against {args.config}"
          f"{'; ' + '; '.join(notes) if notes else ''}.")


if __name__ == '__main__':
    main()
