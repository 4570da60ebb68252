# Helpers for the real-node smoke tests: skip (exit 77, CTest SKIP_RETURN_CODE) when the
# cluster has no real node (hack/cluster.sh up without MLMODEL_REAL_NODE=1).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -z "${MLMODEL_REAL_NODE_NAME:-}" ]; then
  echo "SKIPPED: the cluster has no real node (start it with MLMODEL_REAL_NODE=1 hack/cluster.sh up)"
  exit 77
fi
node=$MLMODEL_REAL_NODE_NAME
image=$MLMODEL_TINY_IMAGE

# real_pod NAME ARGS...: a pod on the real node running the static tiny image with ARGS,
# labelled app=NAME (tolerates the node's taint, selects its label); with an HTTP readiness
# probe on 8080 when ARGS start with "serve".
real_pod() {
  local name=$1; shift
  local args="" a
  for a in "$@"; do args="$args\"$a\", "; done
  local probe=""
  [ "${1:-}" = serve ] && probe="readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}"
  kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $name, labels: {app: $name}}
spec:
  nodeSelector: {${MLMODEL_REAL_NODE_LABEL%%=*}: "${MLMODEL_REAL_NODE_LABEL#*=}"}
  tolerations: [{key: ${MLMODEL_REAL_NODE_TAINT%%=*}, operator: Exists, effect: NoSchedule}]
  terminationGracePeriodSeconds: 1
  enableServiceLinks: false
  automountServiceAccountToken: false
  containers:
  - name: main
    image: $image
    args: [${args%, }]
    $probe
YAML
}

# wait_ready NAME: wait for the pod's Ready condition; fail with what the node says.
wait_ready() {
  kubectl -n "$ns" wait --for=condition=Ready "pod/$1" --timeout=90s >/dev/null ||
    fail "pod $1 not Ready: $(kubectl -n "$ns" describe pod "$1" 2>&1 | tail -n 20)"
}
