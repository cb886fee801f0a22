#!/usr/bin/env bash
# Distributed evaluation with torchrun: tools/dist_test.sh CONFIG CHECKPOINT GPUS [test.py args...]
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each node.
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
# a failing rank writes its mmkd error here; it is shown once, after torchrun's own report
MMKD_ERROR_FILE="$(mktemp "${TMPDIR:-/tmp}/mmkd-error.XXXXXX")"
export MMKD_ERROR_FILE
trap 'rm -f "$MMKD_ERROR_FILE" "$MMKD_ERROR_FILE".*' EXIT

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/test.py" \
    "$CONFIG" "$CHECKPOINT" \
    --launcher pytorch "${@:4}"
STATUS=$?
# the lowest rank's own error, else the lowest rank's "another process stopped"
for KIND in rank peer; do
    FIRST="$(ls "$MMKD_ERROR_FILE".$KIND* 2>/dev/null | sort -V | head -n 1)"
    if [ -n "$FIRST" ]; then
        echo >&2
        cat "$FIRST" >&2
        break
    fi
done
exit $STATUS
