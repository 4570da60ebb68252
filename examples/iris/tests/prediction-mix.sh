#!/usr/bin/env bash
# The README's analysis queries against a real Prometheus (Debian's, started here on
# 127.0.0.1 with a kernel-chosen port) scraping two real iris-servers under load: the
# prediction-mix query tells the quietly wrong v4 (every request 200) from v1, and the
# error-rate query tells v3. No cluster; everything bounded in time.
#   prediction-mix.sh SERVER_BINARY MODEL_JSON LOADGEN_PY
set -euo pipefail
server=$1 models=$2 loadgen=$3
command -v prometheus >/dev/null || { echo "prediction-mix: prometheus missing (hack/install-deps.sh)" >&2; exit 1; }
. "$(dirname "$0")/lib.sh"
# start_version VERSION PROFILE: lib.sh's start_server with this test's settings; sets port.
start_version() { start_server "$1" --namespace demo --version "$1" --profile "$2" --seed 9; }
start_version 1.0.0 v1 && p1=$port
start_version 3.0.0 v3 && p3=$port
start_version 4.0.0 v4 && p4=$port

cat >"$work/prometheus.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: iris
  static_configs:
  - targets: ["127.0.0.1:$p1", "127.0.0.1:$p3", "127.0.0.1:$p4"]
YAML
# The port the kernel gave a process's listening TCP socket: its socket inodes
# (/proc/PID/fd) matched against the LISTEN entries of /proc/net/tcp. No ss or lsof needed.
listen_port() {
  python3 - "$1" <<'PY'
import os, sys
pid = sys.argv[1]
inodes = set()
try:
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
except OSError:
    pass
with open("/proc/net/tcp") as f:
    for line in list(f)[1:]:
        parts = line.split()
        if parts[3] == "0A" and parts[9] in inodes:
            print(int(parts[1].split(":")[1], 16))
            break
PY
}
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address=127.0.0.1:0 >"$work/prom.log" 2>&1 &
prom=$!
pids+=("$prom")
pport=""
for _ in $(seq 100); do
  pport=$(listen_port "$prom")
  [ -n "$pport" ] && curl -sf --max-time 2 "http://127.0.0.1:$pport/-/ready" >/dev/null && break
  sleep 0.2
done
[ -n "$pport" ] || { echo "prometheus did not start:" >&2; tail -5 "$work/prom.log" >&2; exit 1; }

# Steady load on all three for 12 s (bounded: count and duration).
loads=()
for p in "$p1" "$p3" "$p4"; do
  python3 "$loadgen" --url "http://127.0.0.1:$p" --samples "$models" --split all --rate 40 \
    --count 480 --duration 12 >"$work/load.$p" 2>&1 &
  pids+=($!)
  loads+=($!)
done
for p in "${loads[@]}"; do wait "$p"; done
sleep 2  # a last scrape of the final counts

query() {  # query PROMQL: prints the first sample's value, or "none"
  curl -sf --max-time 5 -G "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")'
}
mix() {
  local sel="namespace=\"demo\",model=\"iris\",version=\"$1\""
  query "max(sum by (class) (rate(model_predictions_total{$sel}[10s]))) / sum(rate(model_predictions_total{$sel}[10s]))"
}
errors() {
  local sel="namespace=\"demo\",model=\"iris\",version=\"$1\""
  query "sum(rate(model_requests_total{$sel,code=\"500\"}[10s])) / sum(rate(model_requests_total{$sel}[10s]))"
}
m1=$(mix 1.0.0) m4=$(mix 4.0.0) e1=$(errors 1.0.0) e3=$(errors 3.0.0) e4=$(errors 4.0.0)
echo "prediction-mix: v1 $m1, v4 $m4; error-rate: v1 $e1, v3 $e3, v4 $e4"
cat "$work"/load.*
python3 - "$m1" "$m4" "$e1" "$e3" "$e4" <<'PY'
import sys
m1, m4, e1, e3, e4 = (float(v) for v in sys.argv[1:])
checks = [("v1 prediction mix <= 0.6", m1 <= 0.6), ("v4 prediction mix > 0.9", m4 > 0.9),
          ("v1 error rate 0", e1 == 0), ("v4 error rate 0", e4 == 0),
          ("v3 error rate 0.15-0.45", 0.15 <= e3 <= 0.45)]
for name, ok in checks:
    print(("ok: " if ok else "FAIL: ") + name)
sys.exit(0 if all(ok for _, ok in checks) else 1)
PY
