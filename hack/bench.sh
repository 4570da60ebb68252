#!/usr/bin/env bash
# What `make bench` runs: the local cluster's own figures (hack/bench-cluster.sh, on
# ports of its own), then the client-runtime benchmarks against the local cluster,
# started here unless one runs already. One line per figure: bench: <name> <value> <unit>
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build-release}"
# The preparation below is quiet (its output would mix with the figures): a failing line
# still says which one it was.
trap 'echo "bench: FAILED (exit $?) at hack/bench.sh line $LINENO: $BASH_COMMAND" >&2' ERR

# As for `make test`: a cluster started here has the real node (MLMODEL_REAL_NODE=0: none).
export MLMODEL_REAL_NODE="${MLMODEL_REAL_NODE:-1}"
hack/install-deps.sh >/dev/null
hack/build-tools.sh 2>/dev/null
if [ "$MLMODEL_REAL_NODE" = 1 ]; then hack/build-tools.sh node 2>/dev/null; fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mlmodel_informer_bench mlmodel_wait_ready mlmodel-operator \
  iris-server iris-models >/dev/null

hack/bench-cluster.sh

if ! hack/cluster.sh status >/dev/null 2>&1; then
  # Under set -e a failing trap command would replace the exit status: report it instead.
  trap 'hack/cluster.sh down >/dev/null || echo "bench: hack/cluster.sh down failed" >&2' EXIT
  hack/cluster.sh up 2>/dev/null
fi
eval "$(hack/cluster.sh env)"
"$BUILD_DIR/tests/mlmodel_informer_bench" "${BENCH_OBJECTS:-10000}"

# The operator's image (make image): size compressed and unpacked, layers, build time.
tests/bench/image_bench.sh "$BUILD_DIR"

# The real node: the cluster's memory with it, apply -> first right prediction, and a bad
# version's first failing request -> its canary pods gone (one run of e2e real-iris).
tests/bench/real_node_bench.sh "$BUILD_DIR"

# Canary rollouts: 200 models at once with analysis, and how fast a rollback removes the
# canary's pods (tests/bench/rollout_bench.sh; a few minutes).
tests/bench/rollout_bench.sh "$BUILD_DIR"

# The operator at scale (1,000 and 5,000 MLModels against a plain-client floor) on a
# cluster of its own; about half an hour on 2 cores (BENCH_MODELS="1000" is quicker).
tests/bench/operator_bench.sh "$BUILD_DIR"
