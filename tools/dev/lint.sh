#!/usr/bin/env bash
# Lint the whole tree: flake8, isort and yapf (configured in setup.cfg), and a drift check of
# the generated configs (tools/dev/generate_*_configs.py --check). Exit status 0 when all pass.
#
#   bash tools/dev/lint.sh          # check, write nothing
#   bash tools/dev/lint.sh --fix    # sort the imports and lay out the code in place, then check
source "$(dirname "$0")/../env.sh"  # the venv (flake8, isort and yapf are in it)
cd "$MMKD_ROOT"
set +e
# the Python sources yapf lays out (data/ and work_dirs/ hold users' files)
YAPF_PATHS=(setup.py mmkd tools tests configs)
if [ "${1:-}" = "--fix" ]; then
    isort --quiet .
    yapf --in-place --recursive --parallel "${YAPF_PATHS[@]}"
fi
status=0
echo "[lint] flake8" && flake8 . || status=1
echo "[lint] isort" && isort --check-only --diff --quiet . || status=1
echo "[lint] yapf" && yapf --diff --recursive --parallel "${YAPF_PATHS[@]}" || status=1
for gen in tools/dev/generate_*_configs.py; do
    echo "[lint] $gen --check" && python "$gen" --check >/dev/null || status=1
done
if [ "$status" -ne 0 ]; then
    echo "[lint] FAILED: fix the lines above (bash tools/dev/lint.sh --fix sorts imports and lays out code)" >&2
fi
exit "$status"
