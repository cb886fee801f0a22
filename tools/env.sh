#!/usr/bin/env bash
# Source this file: it creates (once) and activates the virtual environment mmkd runs in.
#
# The environment lives outside the clone (the torch wheels are ~5 GB), in
# ${MMKD_VENV_ROOT:-~/.cache/mmkd}/venv-<hash of requirements/*.txt>, so it is rebuilt whenever
# the requirements change and shared by every clone. mmkd itself is not installed into it: the
# scripts put the clone on PYTHONPATH, so the code that runs is always the clone's.
set -euo pipefail
MMKD_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON_BIN="${MMKD_PYTHON:-python3.11}"
command -v "$PYTHON_BIN" >/dev/null 2>&1 || PYTHON_BIN=python3
REQ_HASH="$(cat "$MMKD_ROOT"/requirements/*.txt | sha256sum | cut -c1-12)"
VENV="${MMKD_VENV:-${MMKD_VENV_ROOT:-$HOME/.cache/mmkd}/venv-$REQ_HASH}"
if [ ! -f "$VENV/.mmkd-ready" ]; then
    echo "[mmkd] creating the virtual environment $VENV (first run only; torch is large)" >&2
    rm -rf "$VENV"
    "$PYTHON_BIN" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip 'setuptools<81' wheel
    "$VENV/bin/python" -m pip install --quiet -r "$MMKD_ROOT/requirements.txt"
    echo "$REQ_HASH" > "$VENV/.mmkd-ready"
fi
# shellcheck disable=SC1091
source "$VENV/bin/activate"
export PYTHONPATH="$MMKD_ROOT${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::UserWarning:mmcv.cnn.bricks.transformer}"
cd "$MMKD_ROOT"
