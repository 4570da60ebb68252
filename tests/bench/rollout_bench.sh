#!/usr/bin/env bash
# Canary rollouts at scale and the speed of a rollback, on the running local cluster
# (hack/cluster.sh) with its real Prometheus scraping tests/support/model_metrics.py.
#
# Usage: tests/bench/rollout_bench.sh [BUILD_DIR]      (default: build-release)
#   BENCH_ROLLOUT_MODELS=200   MLModels rolled out at once
#   BENCH_ROLLBACK_SAMPLES=5   rollbacks timed
# Figures (one line each: bench: <name> <value> <unit>):
#   rollout_<N>_models_seconds        from the spec change of every model until all are promoted
#   rollout_operator_cpu_seconds      operator CPU time (utime + stime) during those rollouts
#   rollout_operator_peak_rss_mib     operator peak RSS (VmHWM) at the end
#   rollout_prometheus_queries_per_metric_round  Prometheus /api/v1/query requests per
#                                     metric per analysis round (the goal is 1)
#   rollout_operator_cpu_ms_per_{rollout,analysis_round}  that CPU time per model rolled
#                                     out and per analysis round
#   rollback_analysis_to_pods_gone_seconds_{mean,max}  from the analysis round that
#                                     reached failureLimit to the canary's pods being gone
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${1:-$REPO_ROOT/build-release}
OPERATOR=$BUILD_DIR/operator/mlmodel-operator
N=${BENCH_ROLLOUT_MODELS:-200}
SAMPLES=${BENCH_ROLLBACK_SAMPLES:-5}
. "$REPO_ROOT/tests/smoke/lib.sh"
. "$REPO_ROOT/tests/e2e/lib.sh"

say() { echo "rollout-bench: $*" >&2; }
install_crd
e2e_namespace bench-rollout
repo="bench/rollout-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
python3 - "$MM_STATE" "$ns" "$N" "$SAMPLES" <<'PY'
import json, sys
state, ns, n, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
e = []
for i in range(n):
    for v in ("1.0.0", "2.0.0"):
        e.append({"model": f"m{i}", "namespace": ns, "version": v, "rps": 10, "errorRate": 0, "latency": 0.05})
for i in range(samples):
    for v, err in (("1.0.0", 0), ("3.0.0", 0.5)):
        e.append({"model": f"rb{i}", "namespace": ns, "version": v, "rps": 10, "errorRate": err, "latency": 0.05})
json.dump(e, open(state, "w"))
PY
models_yaml() {  # models_yaml PREFIX COUNT TAG
  local i
  for ((i = 0; i < $2; i++)); do
    model_yaml "$1$i" "$3" | sed 's/steps: \[{weight: 25, pause: 3s}, {weight: 50, pause: 3s}\]/steps: [{weight: 50, pause: 5s}]/; s/interval: 2s/interval: 5s/'
    echo "---"
  done
}
ready_count() {
  kubectl -n "$ns" get mlmodel -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{.status.stable.version}{"\n"}{end}' |
    grep -c "^True $1\$" || true
}
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$op/stat"; }
prom_queries() {
  curl -sf --get "$PROMETHEUS_URL/api/v1/query" --data-urlencode 'query=sum(prometheus_http_requests_total{handler="/api/v1/query"})' |
    python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else 0)'
}
measurements() {
  curl -sf "127.0.0.1:$opport/metrics" | awk '/^mlmodel_analysis_measurements_total/ {s += $NF} END {print s + 0}'
}

# KWOK's two default nodes hold 110 pods each: add nodes for every model's pods and canaries.
want=$(((N + SAMPLES) * 4 / 250 + 1))
for ((i = 1; i <= want; i++)); do
  cat <<YAML
apiVersion: v1
kind: Node
metadata:
  name: rollout-bench-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: rollout-bench-$i, mlmodel-bench: rollout}
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "250"}
  capacity: {cpu: "64", memory: 512Gi, pods: "250"}
---
YAML
done | kubectl apply -f - >/dev/null
cleanups+=("kubectl delete node -l mlmodel-bench=rollout --wait=false >/dev/null 2>&1")
kubectl wait --for=condition=Ready node -l mlmodel-bench=rollout --timeout=120s >/dev/null ||
  fail "the benchmark's KWOK nodes did not turn Ready"

start_operator
say "creating $N models at 1.0.0"
models_yaml m "$N" 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
poll 600 sh -c "[ \$(kubectl -n $ns get mlmodel -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\\n\"}{end}' | grep -c True) -ge $N ]" ||
  fail "not every model became Ready at 1.0.0"

say "rolling all $N out to 2.0.0 (one step at 50%, analysis every 5s)"
cpu0=$(cpu_seconds); q0=$(prom_queries); m0=$(measurements); t0=$(date +%s.%N)
models_yaml m "$N" 2.0.0 | kubectl -n "$ns" apply -f - >/dev/null
poll 900 sh -c "[ \$(kubectl -n $ns get mlmodel -o jsonpath='{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\" \"}{.status.stable.version}{\"\\n\"}{end}' | grep -c '^True 2.0.0\$') -ge $N ]" ||
  fail "not every model was promoted"
t1=$(date +%s.%N); cpu1=$(cpu_seconds); q1=$(prom_queries); m1=$(measurements)
rss=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$op/status")
echo "bench: rollout_${N}_models_seconds $(echo "$t1 - $t0" | bc -l | xargs printf '%.1f') s"
echo "bench: rollout_operator_cpu_seconds $(echo "$cpu1 - $cpu0" | bc -l | xargs printf '%.2f') s"
echo "bench: rollout_operator_peak_rss_mib $(printf '%.1f' "$rss") MiB"
rounds=$(echo "$m1 - $m0" | bc -l)
echo "bench: rollout_analysis_rounds_per_model $(echo "$rounds / $N" | bc -l | xargs printf '%.2f') rounds"
echo "bench: rollout_prometheus_queries_per_metric_round $(echo "($q1 - $q0) / $rounds" | bc -l | xargs printf '%.3f') queries"
# CPU per step of the rollouts: per model rolled out, and per analysis round judged.
echo "bench: rollout_operator_cpu_ms_per_rollout $(echo "($cpu1 - $cpu0) * 1000 / $N" | bc -l | xargs printf '%.1f') ms"
echo "bench: rollout_operator_cpu_ms_per_analysis_round $(echo "($cpu1 - $cpu0) * 1000 / $rounds" | bc -l | xargs printf '%.2f') ms"

say "timing $SAMPLES rollbacks (3.0.0 fails half its requests)"
models_yaml rb "$SAMPLES" 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
sum=0; max=0
for ((i = 0; i < SAMPLES; i++)); do
  kubectl -n "$ns" wait --for=condition=Ready "mlmodel/rb$i" --timeout=120s >/dev/null
  kubectl -n "$ns" patch mlmodel "rb$i" --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:3.0.0\"}}" >/dev/null
  rolled() { [ "$(jp "mlmodel/rb$i" '{.status.history[-1:].outcome}')" = RolledBack ]; }
  poll 120 rolled || fail "rb$i was not rolled back"
  gone() { [ -z "$(kubectl -n "$ns" get pods -l "serving.mlops.dev/model=rb$i,serving.mlops.dev/track=canary" -o name)" ]; }
  until gone; do sleep 0.05; done
  t_gone=$(date +%s.%N)
  decided=$(date -d "$(jp "mlmodel/rb$i" '{.status.history[-1:].finishedAt}')" +%s.%N)
  d=$(echo "$t_gone - $decided" | bc -l)
  say "rb$i: canary pods gone $(printf '%.2f' "$d") s after the deciding analysis"
  sum=$(echo "$sum + $d" | bc -l)
  max=$(echo "if ($d > $max) $d else $max" | bc -l)
done
echo "bench: rollback_analysis_to_pods_gone_seconds_mean $(echo "$sum / $SAMPLES" | bc -l | xargs printf '%.2f') s"
echo "bench: rollback_analysis_to_pods_gone_seconds_max $(printf '%.2f' "$max") s"
