# Helpers for the smoke tests. They run against the cluster of hack/cluster.sh, whose
# environment (hack/cluster.sh env) must be loaded.
set -euo pipefail

fail() { echo "FAIL: $*" >&2; exit 1; }
# free_ports
. "$(dirname "${BASH_SOURCE[0]}")/../../hack/lib.sh"

for v in KUBECONFIG PROMETHEUS_URL REGISTRY; do
  [ -n "${!v:-}" ] || fail "$v is not set: run under hack/test.sh or eval \"\$(hack/cluster.sh env)\""
done
command -v kubectl >/dev/null || fail "kubectl is not on PATH (eval \"\$(hack/cluster.sh env)\")"

# poll SECONDS CMD...: run CMD until it succeeds; fail when SECONDS pass.
poll() {
  local limit=$1; shift
  local end=$((SECONDS + limit))
  until "$@"; do
    [ $SECONDS -lt "$end" ] || return 1
    sleep 0.5
  done
}

# new_namespace PREFIX: a namespace of the test's own in $ns, removed on exit. Not for
# $(...): the trap must be set in the test's shell, not in a subshell.
new_namespace() {
  ns="smoke-$1-$RANDOM"
  kubectl create namespace "$ns" >/dev/null
  trap "kubectl delete namespace $ns --wait=false >/dev/null 2>&1 || true" EXIT
}
