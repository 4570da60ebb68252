# E2E_OPERATOR=pod: the operator as a user runs it. `helm install` of charts/mlmodel-operator
# into the test's namespace (watching only it), its image built from $OPERATOR by
# hack/operator-image.sh and pushed to the cluster's registry, the pod on the real node:
# in-cluster configuration through the `kubernetes` Service, the ServiceAccount token,
# probes, a read-only root filesystem, leader election.
#
# The registry and Prometheus are named by the bridge address ($MLMODEL_POD_REGISTRY,
# $MLMODEL_POD_PROMETHEUS_URL), which the host, the node and pods all reach. Sourced by
# tests/e2e/lib.sh; replaces start_operator and stop_operator.
if [ -z "${MLMODEL_POD_REGISTRY:-}" ]; then
  echo "SKIPPED: E2E_OPERATOR=pod needs the real node (MLMODEL_REAL_NODE=1 hack/cluster.sh up)"
  exit 77
fi
REGISTRY=$MLMODEL_POD_REGISTRY
PROMETHEUS_URL=$MLMODEL_POD_PROMETHEUS_URL
OP_RELEASE=mlmodel-operator
OP_SELECTOR=app.kubernetes.io/instance=$OP_RELEASE
op_pod=""

# op_image: push the image once per test; sets op_digest.
op_image() {
  [ -z "${op_digest:-}" ] || return 0
  op_digest=$(IMAGE="$REGISTRY/mlmodel-operator:e2e" "$REPO_ROOT/hack/operator-image.sh" "$OPERATOR" 2>"$E2E_TMP/image.log") ||
    fail "hack/operator-image.sh: $(tail -5 "$E2E_TMP/image.log")"
}

# The operator pod's log, pod after pod, into $oplog (what fail_with shows).
follow_operator_log() {
  while kubectl -n "$ns" get deploy "$OP_RELEASE" >/dev/null 2>&1; do
    kubectl -n "$ns" logs -f -l "$OP_SELECTOR" --prefix --tail=-1 >>"$oplog" 2>&1 || true
    sleep 1
  done
}

# _new_pod_ready: a Ready operator pod, not being deleted, other than the last one; sets op_pod.
_new_pod_ready() {
  local p
  p=$(kubectl -n "$ns" get pods -l "$OP_SELECTOR" -o go-template='{{range .items}}{{if not .metadata.deletionTimestamp}}{{$n := .metadata.name}}{{range .status.conditions}}{{if and (eq .type "Ready") (eq .status "True")}}{{$n}} {{end}}{{end}}{{end}}{{end}}' 2>/dev/null)
  p=${p%% *}
  [ -n "$p" ] && [ "$p" != "$op_pod" ] && op_pod=$p
}

# start_operator: install the chart the first time; after stop_operator, wait for the pod
# the Deployment puts in place of the deleted one.
start_operator() {
  if [ -z "$op_pod" ]; then
    op_image
    cat >"$E2E_TMP/values.yaml" <<YAML
image: {repository: "$REGISTRY/mlmodel-operator", digest: "$op_digest"}
watchNamespaces: ["$ns"]
insecureRegistries: ["$REGISTRY"]
logLevel: debug
logFormat: text
nodeSelector: {${MLMODEL_REAL_NODE_LABEL%%=*}: "${MLMODEL_REAL_NODE_LABEL#*=}"}
tolerations: [{key: ${MLMODEL_REAL_NODE_TAINT%%=*}, operator: Exists, effect: NoSchedule}]
YAML
    # The CRD is already there (install_crd): --skip-crds leaves it to kubectl.
    helm install "$OP_RELEASE" "$REPO_ROOT/charts/mlmodel-operator" -n "$ns" --skip-crds \
      -f "$E2E_TMP/values.yaml" --wait --timeout 120s >"$E2E_TMP/helm.log" 2>&1 ||
      fail "helm install: $(tail -5 "$E2E_TMP/helm.log"); pods: $(kubectl -n "$ns" get pods -o wide 2>&1)"
    cleanups+=("helm uninstall $OP_RELEASE -n $ns --wait --timeout 60s >/dev/null 2>&1")
    follow_operator_log &
    cleanups+=("kill $! 2>/dev/null")
  fi
  local before=$op_pod
  poll 120 _new_pod_ready || fail "no new Ready operator pod: $(kubectl -n "$ns" get pods -o wide 2>&1)"
  op=$op_pod
  local node
  node=$(kubectl -n "$ns" get pod "$op_pod" -o jsonpath='{.spec.nodeName}')
  [ "$node" = "$MLMODEL_REAL_NODE_NAME" ] || fail "the operator pod runs on $node, not the real node"
  if [ -n "$before" ]; then echo "   operator pod $before deleted; $op_pod took over"; fi
}

# stop_operator [-KILL]: delete the operator's pod (-KILL: at once, no grace period, as a
# node loss or an OOM kill would); its Deployment starts another.
stop_operator() {
  [ -n "$op_pod" ] || return 0
  local grace=()
  [ "${1:-}" = -KILL ] && grace=(--grace-period=0 --force)
  kubectl -n "$ns" delete pod "$op_pod" "${grace[@]}" --wait=false >/dev/null 2>&1 || true
  op=
}
