#!/usr/bin/env bash
# What `make test` runs, on a fresh machine as on a warm one: install the Debian
# packages, lint, build the control-plane binaries (cached outside the repo), build the
# operator and its tests, fuzz the decoders briefly, run the unit tests under
# ThreadSanitizer, start the local cluster unless one runs already, run every test
# through CTest, and stop the cluster it started, even when a test fails.
# A failing step is named on stderr ("test: FAILED: ..."), never a silent exit.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build}"

# step WHAT CMD...: run CMD; when it fails, say which step failed and exit with its status.
step() {
  local what=$1; shift
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "test: FAILED (exit $rc): $what: $*" >&2
    exit "$rc"
  fi
}
# Anything outside a step that fails still says where.
trap 'echo "test: FAILED (exit $?) at hack/test.sh line $LINENO: $BASH_COMMAND" >&2' ERR

started_cluster=0
# The EXIT trap keeps the status of what ran before it: stopping the cluster is reported
# when it fails, and never turns a result into another one.
on_exit() {
  local rc=$?
  if [ "$started_cluster" = 1 ]; then
    hack/cluster.sh down ||
      echo "test: hack/cluster.sh down failed; see hack/cluster.sh status" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT

# The cluster `make test` starts has a real node (containerd, kubelet) beside the KWOK ones,
# so the real-pod tests run; MLMODEL_REAL_NODE=0 leaves it out (they then report SKIPPED).
export MLMODEL_REAL_NODE="${MLMODEL_REAL_NODE:-1}"

step "installing the Debian packages" hack/install-deps.sh
# shellcheck disable=SC2086
step "configuring the build" cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" ${CMAKE_ARGS:-} >/dev/null
# The cheap checks that fail fast first: lint needs the configured tree, not a build.
step "lint: clang-format and clang-tidy (make lint)" make --no-print-directory lint BUILD_DIR="$BUILD_DIR"
step "building the control-plane tools" hack/build-tools.sh
if [ "${MLMODEL_REAL_NODE:-0}" = 1 ]; then
  step "building the real node's tools" hack/build-tools.sh node
fi
step "building the operator and the tests" cmake --build "$BUILD_DIR" -j2
# The MLflow tests and demo run a real MLflow server from a cached virtual environment.
step "installing MLflow (hack/mlflow.sh install; cached)" hack/mlflow.sh install
# Each decoder of outside input fuzzed briefly over its checked-in seeds, then the unit
# tests under ThreadSanitizer; both build their own clang trees (build-fuzz, build-tsan).
step "fuzzing the decoders (hack/fuzz.sh --ci)" hack/fuzz.sh --ci
step "the unit tests under ThreadSanitizer (hack/tsan.sh)" hack/tsan.sh

if ! hack/cluster.sh status >/dev/null 2>&1; then
  started_cluster=1
  step "starting the local cluster" hack/cluster.sh up
fi
env_lines=$(hack/cluster.sh env) || { echo "test: FAILED: hack/cluster.sh env" >&2; exit 1; }
eval "$env_lines"
# The demo's operator watches every namespace and would reconcile the tests' models too.
# (No `status | grep -q`: grep leaving early could kill status with SIGPIPE, and status
# exits 3 when a component is down; either way pipefail would hide a running operator.)
status_lines=$(hack/cluster.sh status 2>/dev/null || true)
if grep '^operator .*running' <<<"$status_lines" >/dev/null; then
  echo "test: stopping the demo's operator (make demo starts it again)"
  kill "$(cat "$MLMODEL_CLUSTER_DIR/pids/operator.pid")" 2>/dev/null || true
fi
if helm status mlmodel-operator -n mlmodel-system >/dev/null 2>&1; then
  step "uninstalling the demo's operator (Helm release mlmodel-operator in mlmodel-system; make demo installs it again)" \
    helm uninstall mlmodel-operator -n mlmodel-system --wait --timeout 60s
fi
# shellcheck disable=SC2086
step "running the tests (ctest; the failed ones are listed above)" \
  ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 ${CTEST_ARGS:-}
