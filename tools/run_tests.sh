#!/usr/bin/env bash
# The test suite, in mmkd's virtual environment (created on first use).
#   bash tools/run_tests.sh          full tier: every test (what .ci/run runs)
#   bash tools/run_tests.sh --quick  quick tier: every test not marked `slow` (pytest.ini), which
#                                    includes one config per configs/ family (edit-test loop)
# Other arguments go to pytest, e.g. `bash tools/run_tests.sh --quick tests/models -x`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$MMKD_ROOT"
# the tests' tensors are tiny: one intra-op thread is as fast on 2 quiet cores and does not
# oversubscribe a loaded machine (subprocess tool runs use one thread too); override to taste
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
tier=()
args=()
for arg in "$@"; do
    if [ "$arg" = "--quick" ]; then
        tier=(-m "not slow")
    else
        args+=("$arg")
    fi
done
python -m pytest "${tier[@]}" "${args[@]}"
