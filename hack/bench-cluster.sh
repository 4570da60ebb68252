#!/usr/bin/env bash
# Measures the local cluster: the warm (cached) tool build, a cold `cluster.sh up` on
# fresh state, a warm (idempotent) `up`, and the resident memory of each component.
# It uses its own ports and state, so a cluster already running is left alone.
# Prints one line per figure: bench: <name> <value> <unit>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

t=$(now); hack/build-tools.sh >/dev/null 2>&1
echo "bench: tools_build_warm $(since "$t") s"

export MLMODEL_PORT_BASE=${BENCH_PORT_BASE:-26443}
# KWOK only: one real node per machine, and it belongs to the main cluster.
export MLMODEL_REAL_NODE=0
export MLMODEL_CLUSTER_DIR
MLMODEL_CLUSTER_DIR=$(mktemp -d)/cluster
trap 'hack/cluster.sh down >/dev/null 2>&1 || true' EXIT
t=$(now); hack/cluster.sh up >/dev/null 2>&1
echo "bench: cluster_up_cold $(since "$t") s"
t=$(now); hack/cluster.sh up >/dev/null 2>&1
echo "bench: cluster_up_warm $(since "$t") s"

# Let the controllers settle before reading memory.
sleep 5
total=0
for pidfile in "$MLMODEL_CLUSTER_DIR"/pids/*.pid; do
  name=$(basename "$pidfile" .pid)
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$(cat "$pidfile")/status")
  echo "bench: cluster_rss_${name//-/_} $((rss / 1024)) MiB"
  total=$((total + rss))
done
echo "bench: cluster_rss_total $((total / 1024)) MiB"
