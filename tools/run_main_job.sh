#!/usr/bin/env bash
# The main job: train a teacher, a baseline student and a KD student on scikit-learn's digits
# through the normal configs and tools, then print their test accuracies side by side.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$MMKD_ROOT"
python tools/digits_main_job.py "$@"
