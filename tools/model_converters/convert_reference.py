"""Convert a checkpoint saved by reference code into an mmkd checkpoint.

    python tools/model_converters/convert_reference.py SRC DST --layout LAYOUT --config CONFIG

LAYOUT is who saved SRC (``--help`` lists every registered layout), e.g.:
  repdistiller  RepDistiller / CRD / SemCKD teachers: {'model': state_dict, 'epoch', ...}
  tfkd          Teacher-free KD (.pth.tar): {'state_dict': state_dict, 'epoch', 'optim_dict'}
  torchvision   torchvision model zoo: a bare state dict
  hsakd         HSAKD / HSSAKD: {'net': {backbone.*, auxiliary_classifier.*}, ...}
CONFIG is the mmkd model config of the same architecture, e.g.
configs/_base_/models/resnet32x4.py (a baseline config such as
configs/baselines/resnet32x4_cifar100.py works too).

DST is {'meta': {source, layout, config, source_meta (epoch, accuracy), ...},
'state_dict': ...}; it loads strictly into the config's model, e.g. as a distiller's
``teacher_ckpt``. SRC is read with mmkd's safe loader; a legacy file that pickles other objects
(e.g. RepDistiller's *_last.pth with its argparse 'opt') must first go through
tools/model_converters/trust_checkpoint.py.

When the weights do not fit CONFIG, the message names the keys and, by trying every model config
under configs/_base_/models, the layout or config that would fit.

New layouts register themselves in their own module (mmkd/models/utils/<code>_converter.py, see
mmkd/models/utils/reference_layouts.py) and appear here without changes.
"""
import argparse
import glob
import os.path as osp
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import torch
from mmengine.config import DictAction

from mmkd.models.utils.model_config import PACKAGE_ROOT
from mmkd.models.utils.reference_converter import (LAYOUTS, ReferenceLayout, convert_checkpoint,
                                                   convert_layout_weights)
from mmkd.models.utils.reference_layouts import detect_layout, get_layout
from mmkd.models.utils.state_dict import state_dict_diff, strip_data_parallel
from mmkd.utils.cli import user_errors_as_messages


# -------------------------------------------------------------------- suggestions
def suggest_configs(weights: Mapping[str, Any],
                    layout: Union[str, ReferenceLayout],
                    search_dirs: Optional[Sequence[str]] = None,
                    limit: int = 3) -> Tuple[List[str], List[str]]:
    """Model configs the reference ``weights`` would convert into exactly.

    Every config in ``search_dirs`` (default: mmkd's ``configs/_base_/models``) is built on the
    ``meta`` device (no memory, no init cost). Returns ``(exact, up_to_classes)``: configs that
    fit as they are, and configs that fit once ``head.num_classes`` matches the checkpoint.
    """
    from mmengine.config import Config
    from mmengine.registry import DefaultScope

    from mmkd.registry import MODELS
    layout = get_layout(layout)
    if search_dirs is None:
        search_dirs = [osp.join(PACKAGE_ROOT, 'configs', '_base_', 'models')]
    exact, up_to_classes = [], []
    for folder in search_dirs:
        for path in sorted(glob.glob(osp.join(folder, '*.py'))):
            try:
                cfg = Config.fromfile(path)
                if 'model' not in cfg or 'Distiller' in str(cfg.model.get('type', '')):
                    continue
                with torch.device('meta'), DefaultScope.overwrite_default_scope('mmkd'):
                    model = MODELS.build(cfg.model)
                converted, _, _ = convert_layout_weights(weights, layout, model)
                diff = state_dict_diff(converted, model.state_dict())
            except Exception:  # a config that cannot be built or mapped is not a candidate
                continue
            name = osp.relpath(path, PACKAGE_ROOT) if path.startswith(PACKAGE_ROOT) else path
            if diff.ok:
                exact.append(name)
            elif not (diff.missing or diff.unexpected) and all(
                    m.startswith('head.fc.') for m in diff.mismatched):
                up_to_classes.append(name)
    return exact[:limit], up_to_classes[:limit]


def _num_classes(weights: Mapping[str, Any]) -> Optional[int]:
    weights = strip_data_parallel(weights)
    for prefix in ('fc.', 'linear.', 'classifier.0.', 'classifier.', 'conv2.'):
        value = weights.get(prefix + 'bias')
        if isinstance(value, torch.Tensor) and value.dim() == 1:
            return int(value.shape[0])
    return None


def suggestion_hint(checkpoint: Any, weights: Mapping[str, Any], layout: ReferenceLayout) -> str:
    """What to tell a user whose checkpoint did not fit: the right layout/config if found."""
    guess = detect_layout(checkpoint)
    parts = []
    if guess is not None and guess != layout.name:
        parts.append(f'The file looks like the {guess!r} layout: try --layout {guess}.')
    try:
        exact, up_to_classes = suggest_configs(weights, layout)
    except Exception:  # suggestions are best effort
        exact, up_to_classes = [], []
    if exact:
        parts.append(f'It converts exactly with --config {" or --config ".join(exact)}.')
    elif up_to_classes:
        k = _num_classes(weights)
        parts.append(f'It fits {" or ".join(up_to_classes)} with model.head.num_classes='
                     f'{k if k is not None else "<the checkpoint classes>"} (copy the config '
                     'and change it).')
    else:
        parts.append('Check that --config is the architecture the checkpoint was trained with '
                     f'and that --layout {layout.name} ({layout.description}) is the code base '
                     'that saved it.')
    return ' '.join(parts)


# ---------------------------------------------------------------------------- CLI
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Convert a reference-code checkpoint into an mmkd checkpoint.',
        epilog='Layouts: ' + '; '.join(f'{n}: {lay.description}' for n, lay in LAYOUTS.items()))
    parser.add_argument('src', help='the reference checkpoint')
    parser.add_argument('dst', help='where to write the mmkd checkpoint')
    parser.add_argument(
        '--layout', required=True, choices=list(LAYOUTS), help='which code base saved SRC')
    parser.add_argument(
        '--config',
        required=True,
        help='mmkd config of the architecture (its `model` is the target)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, e.g. model.head.num_classes=10')
    return parser.parse_args(argv)


def convert(src: str, dst: str, layout: str, config: str, cfg_options=None) -> dict:
    """:func:`convert_checkpoint` with the CLI's config/layout suggestions on a mismatch."""
    return convert_checkpoint(
        src, dst, layout, config, cfg_options=cfg_options, hint_fn=suggestion_hint)


def main(argv=None):
    args = parse_args(argv)
    with user_errors_as_messages():
        meta = convert(args.src, args.dst, args.layout, args.config, cfg_options=args.cfg_options)
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
