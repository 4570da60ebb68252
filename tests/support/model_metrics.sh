# Shell helpers around model_metrics.py for tests (source after tests/smoke/lib.sh, which
# provides fail and poll). Needs PROMETHEUS_URL and PROMETHEUS_TARGETS_DIR.
MM_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/model_metrics.py"

# mm_start STATEFILE: serve on a free port, register with Prometheus and wait until it
# scrapes us. Sets MM_PORT, MM_PID, MM_JOB, MM_STATE. Call in the test's own shell.
mm_start() {
  MM_STATE=$1
  echo '[]' >"$MM_STATE"
  MM_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  MM_JOB="model-metrics-$MM_PORT"
  python3 "$MM_PY" serve --port "$MM_PORT" --state "$MM_STATE" &
  MM_PID=$!
  poll 10 curl -sf "127.0.0.1:$MM_PORT/metrics" >/dev/null || fail "model_metrics.py did not start"
  python3 "$MM_PY" register --port "$MM_PORT" --name "$MM_JOB"
  mm_wait_query "up{job=\"$MM_JOB\"}" 'v == 1' 60 || fail "Prometheus did not scrape the model metrics (job $MM_JOB)"
}

# mm_stop: unregister and stop the server. Safe under set -e and in EXIT traps (the
# server dies of SIGTERM, so `wait` reports 143: not an error here).
mm_stop() {
  if [ -n "${MM_JOB:-}" ]; then python3 "$MM_PY" unregister --name "$MM_JOB" || true; fi
  if [ -n "${MM_PID:-}" ]; then
    kill "$MM_PID" 2>/dev/null || true
    wait "$MM_PID" 2>/dev/null || true
  fi
  MM_PID= MM_JOB=
}

# mm_set --model M --namespace NS --version V [--rps R] [--error-rate E] [--latency L]
mm_set() { python3 "$MM_PY" set --state "$MM_STATE" "$@"; }
mm_remove() { python3 "$MM_PY" remove --state "$MM_STATE" "$@"; }

# mm_value QUERY: the instant value of QUERY (one sample or a scalar), or "none".
mm_value() {
  curl -sf --get "$PROMETHEUS_URL/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)["data"]
r = d["result"]
if d["resultType"] == "scalar": print(r[1])
elif len(r) == 1: print(r[0]["value"][1])
else: print("none")'
}

# mm_wait_query QUERY PREDICATE SECONDS: poll until the value v satisfies the Python
# expression PREDICATE (e.g. 'abs(v - 0.5) < 0.05').
mm_wait_query() {
  local q=$1 pred=$2 limit=$3
  _mm_ok() {
    local v; v=$(mm_value "$q") || return 1
    [ "$v" != none ] && python3 -c "import sys; v=float(sys.argv[1]); sys.exit(0 if ($pred) else 1)" "$v"
  }
  poll "$limit" _mm_ok
}
