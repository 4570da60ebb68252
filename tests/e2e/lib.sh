# Helpers for the canary e2e tests: the operator binary, images in the real registry,
# the model-metrics helper scraped by the real Prometheus, and an MLModel with a canary.
# Source after tests/smoke/lib.sh; OPERATOR must name the operator binary.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/tests/support/model_metrics.sh"

E2E_TMP=$(mktemp -d)
cleanups=()
on_exit() {
  local i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[$i]}" || true; done
  rm -rf "$E2E_TMP"
}
trap on_exit EXIT

# e2e_namespace PREFIX: a namespace of the test's own in $ns, removed on exit.
e2e_namespace() {
  ns="e2e-$1-$RANDOM"
  kubectl create namespace "$ns" >/dev/null
  cleanups+=("kubectl delete namespace $ns --wait=false >/dev/null 2>&1")
}

install_crd() {
  kubectl apply --server-side --force-conflicts -f "$REPO_ROOT/crds/serving.mlops.dev_mlmodels.yaml" >/dev/null
  kubectl wait --for=condition=Established crd/mlmodels.serving.mlops.dev --timeout=60s >/dev/null
}

# push_images REPO TAG...: pushes each tag; digests land in the assoc array DIGEST[tag].
declare -A DIGEST
push_images() {
  local repo=$1 tag; shift
  for tag in "$@"; do DIGEST[$tag]=$("$REPO_ROOT/hack/push-image.sh" "$repo" "$tag"); done
}

# start_operator: the operator binary for namespace $ns, its log in $oplog.
oplog=$E2E_TMP/operator.log
# Ports the kernel reports free (a fixed random range collided with the cluster's own ports).
read -r opport hport <<<"$(free_ports 2)"
# OPERATOR_ARGS adds flags; E2E_OPERATOR_KUBECONFIG runs it under another identity (tests/rbac: the chart's
# ServiceAccount) instead of the cluster admin.
start_operator() {
  KUBECONFIG=${E2E_OPERATOR_KUBECONFIG:-$KUBECONFIG} "$OPERATOR" --namespace "$ns" --insecure-registry "$REGISTRY" --log-level debug \
    --metrics-bind-address "127.0.0.1:$opport" \
    --health-probe-bind-address "127.0.0.1:$hport" ${OPERATOR_ARGS:-} >>"$oplog" 2>&1 &
  op=$!
  poll 30 curl -sf "127.0.0.1:$hport/readyz" >/dev/null ||
    fail "operator not ready: $(tail "$oplog")"
}
stop_operator() { kill "${1:--TERM}" "$op" 2>/dev/null; wait "$op" 2>/dev/null || true; }
cleanups+=("stop_operator")


# private_prometheus [--web.config.file FILE]: a Prometheus of the test's own (Debian's
# binary) scraping the model-metrics helper every second, for faults the shared one must
# not suffer. Sets pport and prom (its PID); it is stopped on exit. The caller waits for it.
private_prometheus() {
  pport=$(free_ports)
  cat >"$E2E_TMP/prom.yml" <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
- job_name: model-metrics
  static_configs: [{targets: ["127.0.0.1:$MM_PORT"]}]
YAML
  /usr/bin/prometheus --config.file "$E2E_TMP/prom.yml" "$@" --storage.tsdb.path "$E2E_TMP/prom-data" \
    --web.listen-address "127.0.0.1:$pport" --log.level warn >"$E2E_TMP/prom.log" 2>&1 &
  prom=$!
  cleanups+=("kill $prom 2>/dev/null")
}

jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
cond() { jp "mlmodel/$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
# events_of MODEL: "reason" lines of the model's Events, oldest first.
events_of() {
  kubectl -n "$ns" get events --field-selector "involvedObject.name=$1" \
    -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}'
}
has_event() { events_of "$1" | grep -x "$2" >/dev/null; }  # no -q: an early exit would SIGPIPE kubectl
fail_with() { fail "$*
--- model: $(kubectl -n "$ns" get mlmodel -o yaml 2>&1 | tail -80)
--- events: $(kubectl -n "$ns" get events -o custom-columns=REASON:.reason,MESSAGE:.message 2>&1 | tail -30)
--- operator: $(tail -30 "$oplog")"; }

# The error-rate check of the canary version, over the helper's request counters.
ERROR_RATE_QUERY='sum(rate(model_requests_total{namespace="{{namespace}}",model="{{name}}",version="{{canary.version}}",code="500"}[10s])) / sum(rate(model_requests_total{namespace="{{namespace}}",model="{{name}}",version="{{canary.version}}"}[10s]))'

# model_yaml NAME TAG [EXTRA-ROLLOUT-YAML]: an MLModel of image $repo:TAG with a two-step
# canary judged by the error rate every 2 s (Prometheus at ${PROM_FOR_MODEL:-$PROMETHEUS_URL}).
model_yaml() {
  local name=$1 tag=$2 traffic=${3:-"{replicas: {}}"}
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: $name}
spec:
  image: "$REGISTRY/$repo:$tag"
  replicas: 2
  rollout:
    canary:
      steps: [{weight: 25, pause: 3s}, {weight: 50, pause: 3s}]
      progressDeadline: ${PROGRESS_DEADLINE:-2m}
      traffic: $traffic
      analysis:
        interval: 2s
        failureLimit: 2
        consecutiveErrorLimit: 3
        prometheus: {address: "${PROM_FOR_MODEL:-$PROMETHEUS_URL}"}
        metrics:
        - name: error-rate
          query: '$ERROR_RATE_QUERY'
          max: 0.05
          onNoData: ${ON_NO_DATA:-Inconclusive}
YAML
}

set_image() {
  kubectl -n "$ns" patch mlmodel "$1" --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:$2\"}}" >/dev/null
}
stable_image_is() { [ "$(jp "deploy/$1" '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@${DIGEST[$2]}" ]; }
no_canary() { ! kubectl -n "$ns" get deploy "$1-canary" >/dev/null 2>&1; }
has_canary() { kubectl -n "$ns" get deploy "$1-canary" >/dev/null 2>&1; }
stable_version_is() { [ "$(jp "mlmodel/$1" '{.status.stable.version}')" = "$2" ]; }
last_outcome_is() { [ "$(jp "mlmodel/$1" '{.status.history[-1:].outcome}')" = "$2" ]; }
ready_at() { stable_version_is "$1" "$2" && [ "$(cond "$1" Ready status)" = True ] && no_canary "$1"; }
