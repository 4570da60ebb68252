#!/usr/bin/env bash
# The load generator against the real iris-server, one run per profile: v1 and v2 answer
# all and predict well, v3 answers a share with errors, v4 answers all and predicts one class
# in three right. No cluster: 127.0.0.1, a kernel-chosen port, bounded runs.
#   loadgen.sh SERVER_BINARY MODEL_JSON LOADGEN_PY
set -euo pipefail
server=$1 models=$2 loadgen=$3
. "$(dirname "$0")/lib.sh"

start() { start_server "$1" --profile "$@"; }  # start PROFILE [flags...]
stop() { stop_server; }

run() {  # run PROFILE [loadgen flags...]: prints the JSON result
  python3 "$loadgen" --url "http://127.0.0.1:$port" --samples "$models" --split all \
    --rate 500 --count 150 --duration 20 --workers 2 --json "$@" | tail -1
}
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

failed=0
check() {  # check NAME CONDITION-EXPRESSION (python, over r)
  if python3 -c "import json,sys; r=json.loads(sys.argv[1]); sys.exit(0 if ($3) else 1)" "$2"; then
    echo "ok: $1"
  else
    echo "FAIL: $1: $2" >&2
    failed=1
  fi
}

start v1
r=$(run --min-accuracy 0.9 --max-error-rate 0)
check "v1 answers all, accuracy >= 0.9" "$r" "r['sent'] == 150 and r['errors'] == 0 and r['accuracy'] >= 0.9"
stop

start v2
r=$(run)
check "v2 answers all, accuracy >= 0.9" "$r" "r['sent'] == 150 and r['errors'] == 0 and r['accuracy'] >= 0.9"
stop

start v3 --seed 5
if r=$(run --max-error-rate 0.05 2>/dev/null); then
  echo "FAIL: --max-error-rate did not fail on v3" >&2
  failed=1
fi
check "v3 answers 15-45% with 500" "$r" "r['sent'] == 150 and 0.15 <= r['error_rate'] <= 0.45 and r['codes'].get('500') == r['errors']"
stop

start v4
r=$(run)
check "v4 answers all with 200 and is right one time in three" "$r" "r['errors'] == 0 and abs(r['accuracy'] - 1/3) < 0.02"
if python3 "$loadgen" --url "http://127.0.0.1:$port" --samples "$models" --count 30 --rate 500 \
  --min-accuracy 0.9 >/dev/null 2>&1; then
  echo "FAIL: --min-accuracy did not fail on v4" >&2
  failed=1
else
  echo "ok: --min-accuracy fails on v4"
fi
metrics=$(curl -fsS "http://127.0.0.1:$port/metrics" | grep '^model_predictions_total')
classes=$(grep -cv ' 0$' <<<"$metrics" || true)
check "v4 /metrics shows one predicted class" "{\"n\": $classes}" "r['n'] == 1"
stop

[ "$failed" -eq 0 ] && echo "loadgen: all checks passed"
exit "$failed"
