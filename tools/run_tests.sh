#!/usr/bin/env bash
# The test suite, in mmkd's virtual environment (created on first use).
#   bash tools/run_tests.sh            full tier: every test (what .ci/run runs)
#   bash tools/run_tests.sh --quick    quick tier: every test not marked `slow` (pytest.ini), which
#                                      includes one config per configs/ family (edit-test loop)
#   bash tools/run_tests.sh --jobs 2   the test files split over 2 pytest processes (one per core;
#                                      combine with --quick; paths given select the files to split)
# Other arguments go to pytest, e.g. `bash tools/run_tests.sh --quick tests/models -x`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$MMKD_ROOT"
# the tests' tensors are tiny: one intra-op thread is as fast on 2 quiet cores and does not
# oversubscribe a loaded machine (subprocess tool runs use one thread too); override to taste
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
tier=()
rest=()   # every other argument, in order (the sequential run)
args=()   # options (for --jobs: given to every shard)
paths=()  # test paths (for --jobs: the files to split)
jobs=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) tier=(-m "not slow") ;;
        --jobs) jobs="$2"; shift ;;
        --jobs=*) jobs="${1#--jobs=}" ;;
        -*) args+=("$1"); rest+=("$1") ;;
        *) rest+=("$1")
           if [ -e "${1%%::*}" ]; then paths+=("$1"); else args+=("$1"); fi ;;
    esac
    shift
done
if [ "$jobs" -le 1 ]; then
    python -m pytest "${tier[@]}" "${rest[@]}"
    exit
fi
# --jobs N: deal the test files (heaviest first: a file's weight is its size plus a large share
# per tool run in a subprocess) to N shards, run the shards side by side, report each
mapfile -t shards < <(python - "$jobs" "${paths[@]:-tests}" <<'PY'
import glob, os, re, sys
jobs, roots = int(sys.argv[1]), sys.argv[2:]
files = []
for root in roots:
    files += [root] if root.endswith('.py') else sorted(
        glob.glob(os.path.join(root, '**', 'test_*.py'), recursive=True))
def weight(path):
    text = open(path).read()
    return len(text) + 20000 * len(re.findall(r'run_tool\(|subprocess\.', text))
load, out = [0] * jobs, [[] for _ in range(jobs)]
for f in sorted(files, key=weight, reverse=True):
    i = load.index(min(load))
    load[i] += weight(f)
    out[i].append(f)
print('\n'.join(' '.join(s) for s in out if s))
PY
)
logs=$(mktemp -d)
pids=()
for i in "${!shards[@]}"; do
    # shellcheck disable=SC2086
    python -m pytest "${tier[@]}" "${args[@]}" -p no:cacheprovider ${shards[$i]} \
        > "$logs/shard_$i.log" 2>&1 &
    pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || rc=$?
    echo "=== shard $((i + 1))/${#pids[@]}"
    cat "$logs/shard_$i.log"
done
rm -rf "$logs"
exit "$rc"
