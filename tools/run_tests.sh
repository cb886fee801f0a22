#!/usr/bin/env bash
# The whole test suite, in mmkd's virtual environment (created on first use).
# Extra arguments go to pytest, e.g. `bash tools/run_tests.sh tests/models -x`.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$MMKD_ROOT"
python -m pytest "${@:-tests}"
