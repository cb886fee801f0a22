#!/usr/bin/env bash
# Lint the whole tree: flake8 and isort (configured in setup.cfg), and a drift check of the
# generated configs (tools/dev/generate_*_configs.py --check). Exit status 0 when all pass.
#
#   bash tools/dev/lint.sh          # check, write nothing
#   bash tools/dev/lint.sh --fix    # sort the imports in place first, then check
source "$(dirname "$0")/../env.sh"  # the venv (flake8 and isort are in it)
cd "$MMKD_ROOT"
set +e
if [ "${1:-}" = "--fix" ]; then
    isort --quiet .
fi
status=0
echo "[lint] flake8" && flake8 . || status=1
echo "[lint] isort" && isort --check-only --diff --quiet . || status=1
for gen in tools/dev/generate_*_configs.py; do
    echo "[lint] $gen --check" && python "$gen" --check >/dev/null || status=1
done
if [ "$status" -ne 0 ]; then
    echo "[lint] FAILED: fix the lines above (bash tools/dev/lint.sh --fix sorts imports)" >&2
fi
exit "$status"
