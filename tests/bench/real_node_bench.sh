#!/usr/bin/env bash
# The real node's figures: the cluster's resident memory with the node at rest (control
# plane, registry, Prometheus, containerd, kubelet, kube-proxy, CoreDNS), then one run of
# the real-pod e2e test (tests/e2e/real-iris.sh: the iris example on real pods, real load)
# for apply -> first right prediction and v3's first failing request -> its canary pods
# gone. Needs a running cluster with the real node (the cluster env in the environment).
# Usage: real_node_bench.sh BUILD_DIR     Figures: bench: <name> <value> <unit>
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?build dir}
if [ -z "${MLMODEL_REAL_NODE_NAME:-}" ]; then
  echo "bench: real_node skipped (the cluster has no real node: MLMODEL_REAL_NODE=1 hack/cluster.sh up)"
  exit 0
fi

total=0 node=0
for pidfile in "$MLMODEL_CLUSTER_DIR"/pids/*.pid; do
  name=$(basename "$pidfile" .pid)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$pidfile")/status" 2>/dev/null) || continue
  [ -n "$rss" ] || continue
  total=$((total + rss))
  case $name in containerd | kubelet | kube-proxy | coredns) node=$((node + rss)) ;; esac
done
echo "bench: cluster_rss_total_with_real_node $((total / 1024)) MiB"
echo "bench: real_node_rss $((node / 1024)) MiB"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! bash "$REPO_ROOT/tests/e2e/real-iris.sh" "$build/operator/mlmodel-operator" "$build" >"$out" 2>&1; then
  echo "bench: real-iris run FAILED: $(grep -m1 '^FAIL' "$out")" >&2
  grep -v '^[0-9-]*T[0-9:.]*Z ' "$out" | tail -n 20 >&2
  exit 1
fi
# figure NAME PATTERN: the seconds after PATTERN on a line of the run ("...: 1.6s").
figure() {
  local v
  v=$(sed -n "s/.*$2[^:]*: \([0-9.]*\)s.*/\1/p" "$out" | head -n 1)
  [ -n "$v" ] || { echo "bench: no '$2' line in the real-iris run" >&2; exit 1; }
  echo "bench: $1 $v s"
}
figure real_node_apply_to_first_prediction "apply -> first right prediction"
figure real_node_v3_first_failure_to_canary_gone "first failing request"
