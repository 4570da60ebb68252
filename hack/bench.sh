#!/usr/bin/env bash
# What `make bench` runs: the local cluster's own figures (hack/bench-cluster.sh, on
# ports of its own), then the client-runtime benchmarks against the local cluster,
# started here unless one runs already. One line per figure: bench: <name> <value> <unit>
#
# A peer operator measured beside ours by tests/bench/operator_bench.sh (its figures
# peer_models_N_..., then operator_to_peer_models_N_..._ratio):
#   BENCH_PEER_BINARY=PATH   the peer's binary, passed through
#   BENCH_PEER_SOURCE=DIR    or a Go main package (e.g. the controller-runtime peer), built
#                            here with `go build` into $CACHE_ROOT/peer (outside the repo;
#                            ${XDG_CACHE_HOME:-~/.cache}/mlmodel-operator/peer unless
#                            MLMODEL_CACHE is set)
#   BENCH_SETTLED_SECONDS=S  and the other BENCH_* of operator_bench.sh pass through too
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# The peer's paths as given, from where this was started.
for v in BENCH_PEER_BINARY BENCH_PEER_SOURCE; do
  if [ -n "${!v:-}" ]; then export "$v=$(realpath -m "${!v}")"; fi
done
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build-release}"
# The preparation below is quiet (its output would mix with the figures): a failing line
# still says which one it was.
trap 'echo "bench: FAILED (exit $?) at hack/bench.sh line $LINENO: $BASH_COMMAND" >&2' ERR

# As for `make test`: a cluster started here has the real node (MLMODEL_REAL_NODE=0: none).
export MLMODEL_REAL_NODE="${MLMODEL_REAL_NODE:-1}"
# The peer first: a wrong path fails here, not after the other benchmarks.
if [ -n "${BENCH_PEER_SOURCE:-}" ]; then
  [ -z "${BENCH_PEER_BINARY:-}" ] || die "set BENCH_PEER_BINARY or BENCH_PEER_SOURCE, not both"
  mkdir -p "$CACHE_ROOT/peer"
  (cd "$BENCH_PEER_SOURCE" && go build -trimpath -o "$CACHE_ROOT/peer/mlmodel-peer" .)
  export BENCH_PEER_BINARY="$CACHE_ROOT/peer/mlmodel-peer"
fi
if [ -n "${BENCH_PEER_BINARY:-}" ]; then
  [ -x "$BENCH_PEER_BINARY" ] || die "BENCH_PEER_BINARY: no executable at '$BENCH_PEER_BINARY'"
fi
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
# cluster of its own; about half an hour on 2 cores (BENCH_MODELS="1000" is quicker), more
# with a peer (BENCH_PEER_BINARY) or a settled window (BENCH_SETTLED_SECONDS) per count.
tests/bench/operator_bench.sh "$BUILD_DIR"
