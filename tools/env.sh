#!/usr/bin/env bash
# Source this file: it creates (once) and activates the virtual environment mmkd runs in.
#
#     source tools/env.sh        # from the clone, or from anywhere: source /path/to/mmkd/tools/env.sh
#
# The environment lives outside the clone (the torch wheels are ~5 GB), in
# ${MMKD_VENV_ROOT:-~/.cache/mmkd}/venv-<hash of requirements/*.txt>, so it is rebuilt whenever
# the requirements change and shared by every clone. mmkd itself is not installed into it: the
# clone is put on PYTHONPATH, so the code that runs is always the clone's.
#
# Sourcing leaves the caller's shell as it was (options, working directory): a failing command
# afterwards does not close an interactive shell. Two shells creating the environment at the same
# time take turns (a lock next to the environment); the second one then finds it ready.
_mmkd_env_main() {
    local root python_bin req_hash venv
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" || return 1
    python_bin="${MMKD_PYTHON:-python3.11}"
    command -v "$python_bin" >/dev/null 2>&1 || python_bin=python3
    req_hash="$(cat "$root"/requirements/*.txt | sha256sum | cut -c1-12)"
    venv="${MMKD_VENV:-${MMKD_VENV_ROOT:-$HOME/.cache/mmkd}/venv-$req_hash}"
    if [ ! -f "$venv/.mmkd-ready" ]; then
        mkdir -p "$(dirname "$venv")" || return 1
        # a subshell holds the lock (flock on fd 9) for exactly as long as the build runs
        (
            set -e
            exec 9>"$venv.lock"
            flock 9
            if [ ! -f "$venv/.mmkd-ready" ]; then
                echo "[mmkd] creating the virtual environment $venv (first run only; torch is large)" >&2
                rm -rf "$venv"
                "$python_bin" -m venv "$venv"
                "$venv/bin/python" -m pip install --quiet --upgrade pip 'setuptools<81' wheel
                "$venv/bin/python" -m pip install --quiet -r "$root/requirements.txt"
                echo "$req_hash" > "$venv/.mmkd-ready"
            fi
        ) || { echo "[mmkd] creating $venv failed (see the pip output above)" >&2; return 1; }
    fi
    # shellcheck disable=SC1091
    source "$venv/bin/activate" || return 1
    case ":${PYTHONPATH:-}:" in
        *":$root:"*) ;;
        *) export PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" ;;
    esac
    export PYTHONWARNINGS="${PYTHONWARNINGS:-ignore::UserWarning:mmcv.cnn.bricks.transformer}"
    export MMKD_ROOT="$root"
}
_mmkd_env_main
_mmkd_env_status=$?
unset -f _mmkd_env_main
if [ "$_mmkd_env_status" -ne 0 ]; then
    unset _mmkd_env_status
    return 1 2>/dev/null || exit 1
fi
unset _mmkd_env_status
