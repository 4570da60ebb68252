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

hack/install-deps.sh >/dev/null
hack/build-tools.sh 2>/dev/null
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mlmodel_informer_bench mlmodel_wait_ready mlmodel-operator >/dev/null

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

# Canary rollouts: 200 models at once with analysis, and how fast a rollback removes the
# canary's pods (tests/bench/rollout_bench.sh; a few minutes).
tests/bench/rollout_bench.sh "$BUILD_DIR"

# The operator at scale (1,000 and 5,000 MLModels against a plain-client floor) on a
# cluster of its own; about half an hour on 2 cores (BENCH_MODELS="1000" is quicker).
tests/bench/operator_bench.sh "$BUILD_DIR"
