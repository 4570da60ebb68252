#!/usr/bin/env bash
# What `make test` runs, on a fresh machine as on a warm one: install the Debian
# packages, build the control-plane binaries (cached outside the repo), build the
# operator and its tests, start the local cluster unless one runs already, run every
# test through CTest, and stop the cluster it started, even when a test fails.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build}"

hack/install-deps.sh
hack/build-tools.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" ${CMAKE_ARGS:-} >/dev/null
cmake --build "$BUILD_DIR" -j2

if ! hack/cluster.sh status >/dev/null 2>&1; then
  trap 'hack/cluster.sh down' EXIT
  hack/cluster.sh up
fi
eval "$(hack/cluster.sh env)"
# The demo's operator watches every namespace and would reconcile the tests' models too.
if hack/cluster.sh status 2>/dev/null | grep -q '^operator .*running'; then
  echo "test: stopping the demo's operator (make demo starts it again)"
  kill "$(cat "$MLMODEL_CLUSTER_DIR/pids/operator.pid")" 2>/dev/null || true
fi
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 ${CTEST_ARGS:-}
