"""Deal test files to N pytest processes so that they finish together (``tools/run_tests.sh``).

    python tests/_shards.py N [PATH ...]    one line per non-empty shard: its paths, space-separated

A file's weight is its CPU seconds recorded in ``tests/durations.json`` (written by
``bash tools/run_tests.sh --record-durations``); a file not recorded there is estimated from its
text (its size, plus a share per tool run in a subprocess). The files are dealt heaviest first,
each to the least loaded shard (longest-processing-time-first). A node id (``file::test``) or a
file given explicitly stays whole, as does any path that is not a folder.
"""
import glob
import json
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DURATIONS = osp.join(ROOT, 'tests', 'durations.json')
_TOOL_RUN = re.compile(r'run_tool\(|subprocess\.(run|Popen)\(|_launcher\.(run|Popen)\(')


def estimate(path: str) -> float:
    """CPU seconds guessed from the text: a unit-test file's size, ~3 s per tool run."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    return 0.5 + len(text) / 10000 + 3.0 * len(_TOOL_RUN.findall(text))


def test_files(roots):
    files = []
    for root in roots:
        if osp.isdir(root.split('::')[0]) and '::' not in root:
            files += sorted(glob.glob(osp.join(root, '**', 'test_*.py'), recursive=True))
        else:
            files.append(root)
    return files


def weights(files, durations=None, quick=False):
    if durations is None:
        try:
            with open(DURATIONS) as f:
                durations = json.load(f)
        except (OSError, ValueError):
            durations = {}
    out = {}
    for f in files:
        key = osp.relpath(osp.abspath(f.split('::')[0]), ROOT)
        if quick and 'quick:' + key in durations:  # measured in the quick tier
            out[f] = durations['quick:' + key]
        else:
            out[f] = durations[key] if key in durations else estimate(f.split('::')[0])
    return out


def deal(files, n, weight):
    """``n`` lists of files, heaviest first to the least loaded (ties: the lower index)."""
    loads, shards = [0.0] * n, [[] for _ in range(n)]
    for f in sorted(files, key=lambda f: (-weight[f], f)):
        i = loads.index(min(loads))
        loads[i] += weight[f]
        shards[i].append(f)
    return [s for s in shards if s], loads


def main(argv):
    quick = argv[:1] == ['--quick']  # weights measured in the quick tier where recorded
    argv = argv[1:] if quick else argv
    n, roots = int(argv[0]), argv[1:] or ['tests']
    files = test_files(roots)
    shards, _ = deal(files, max(1, n), weights(files, quick=quick))
    print('\n'.join(' '.join(s) for s in shards))


if __name__ == '__main__':
    main(sys.argv[1:])
