#!/usr/bin/env bash
# The test suite, in mmkd's virtual environment (created on first use).
#   bash tools/run_tests.sh            full tier: every test (what .ci/run runs), the test files
#                                      dealt to one pytest process per CPU (at most 8), side by side
#   bash tools/run_tests.sh --quick    quick tier: every test not marked `slow` (pytest.ini), which
#                                      includes one config per configs/ family (edit-test loop)
#   bash tools/run_tests.sh --jobs N   N pytest processes instead (--jobs 1: one, sequential);
#                                      paths given select the files to deal
#   bash tools/run_tests.sh --record-durations
#                                      also record each file's CPU seconds in tests/durations.json
#                                      (the weights that balance the processes; commit it)
# Other arguments go to pytest, e.g. `bash tools/run_tests.sh --quick tests/models -x`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$MMKD_ROOT"
# the tests' tensors are tiny: one intra-op thread is as fast on 2 quiet cores and does not
# oversubscribe a loaded machine (subprocess tool runs use one thread too); override to taste
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
tier=()
quick=()  # for tests/_shards.py: the quick tier's weights
rest=()   # every other argument, in order (the sequential run)
args=()   # options (for --jobs: given to every shard)
paths=()  # test paths (for --jobs: the files to split)
jobs=""
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) tier=(-m "not slow"); quick=(--quick) ;;
        --jobs) jobs="$2"; shift ;;
        --jobs=*) jobs="${1#--jobs=}" ;;
        -*) args+=("$1"); rest+=("$1") ;;
        *) rest+=("$1")
           if [ -e "${1%%::*}" ]; then paths+=("$1"); else args+=("$1"); fi ;;
    esac
    shift
done
if [ -z "$jobs" ]; then  # one process per CPU this process may use, at most 8
    jobs=$(python -c 'import os; print(min(8, len(os.sched_getaffinity(0))))')
fi
shards=()
if [ "$jobs" -gt 1 ]; then
    # the files, heaviest first (measured CPU seconds in tests/durations.json, else a guess from
    # the text), each to the least loaded of N shards
    mapfile -t shards < <(python tests/_shards.py "${quick[@]}" "$jobs" "${paths[@]:-tests}")
fi
if [ "${#shards[@]}" -le 1 ]; then
    python -m pytest "${tier[@]}" "${rest[@]}"
    exit
fi
logs=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$logs"' INT TERM
for i in "${!shards[@]}"; do
    # shellcheck disable=SC2086
    python -m pytest "${tier[@]}" "${args[@]}" -p no:cacheprovider ${shards[$i]} \
        > "$logs/shard_$i.log" 2>&1 &
    pids+=($!)
done
# each shard's report in full, then one line per shard; the exit code is the first failing
# shard's (5, "no tests collected", only when no shard ran a test)
rc=0
summary=()
collected=0
for i in "${!pids[@]}"; do
    code=0
    wait "${pids[$i]}" || code=$?
    n_files=$(wc -w <<< "${shards[$i]}")
    echo "=== shard $((i + 1))/${#pids[@]} (exit $code, $n_files test files)"
    cat "$logs/shard_$i.log"
    summary+=("shard $((i + 1))/${#pids[@]} exit $code: $(tail -n 1 "$logs/shard_$i.log")")
    if [ "$code" -ne 5 ]; then
        collected=1
        [ "$rc" -ne 0 ] || rc=$code
    fi
done
echo "=== summary"
printf '%s\n' "${summary[@]}"
rm -rf "$logs"
[ "$collected" -eq 1 ] || rc=5
exit "$rc"
