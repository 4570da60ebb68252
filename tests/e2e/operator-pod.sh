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
# The release is named after the test's namespace (set in start_operator): the chart's
# cluster-scoped metrics roles carry the release's name, and tests run side by side.
OP_RELEASE=""
OP_SELECTOR=""
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
    OP_RELEASE=mlmodel-operator-$ns
    OP_SELECTOR=app.kubernetes.io/instance=$OP_RELEASE
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
  [ -n "$before" ] || check_pod_metrics
}

# check_pod_metrics: the chart's secure metrics in the pod (self-signed certificate, every
# scrape reviewed by the API server through the chart's RBAC), reached through a port-forward
# as a user would look: 401 without a token, 200 for a ServiceAccount bound to the chart's
# metrics-reader ClusterRole.
check_pod_metrics() {
  local port reader code
  port=$(free_ports)
  kubectl -n "$ns" port-forward "pod/$op_pod" "$port:metrics" >"$E2E_TMP/port-forward.log" 2>&1 &
  local pf=$!
  kubectl -n "$ns" create serviceaccount metrics-scraper >/dev/null
  kubectl create clusterrolebinding "$OP_RELEASE-scraper" --clusterrole="$OP_RELEASE-metrics-reader" \
    --serviceaccount="$ns:metrics-scraper" >/dev/null
  cleanups+=("kubectl delete clusterrolebinding $OP_RELEASE-scraper --ignore-not-found >/dev/null 2>&1")
  reader=$(kubectl -n "$ns" create token metrics-scraper --duration 10m)
  _pod_scrape() { code=$(curl -sk -o "$E2E_TMP/scraped" -w '%{http_code}' "$@" "https://127.0.0.1:$port/metrics"); [ "$code" != 000 ]; }
  poll 20 _pod_scrape || fail "the operator pod's metrics port does not answer: $(cat "$E2E_TMP/port-forward.log")"
  [ "$code" = 401 ] || fail "an anonymous scrape of the operator pod got $code"
  _pod_scrape -H "Authorization: Bearer $reader"
  [ "$code" = 200 ] && grep -q '^mlmodel_operator_' "$E2E_TMP/scraped" ||
    fail "the metrics-reader's scrape of the operator pod got $code: $(head -c 300 "$E2E_TMP/scraped")"
  kill $pf 2>/dev/null; wait $pf 2>/dev/null || true
  echo "   the pod's /metrics: HTTPS, 401 anonymous, 200 for the chart's metrics-reader"
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
