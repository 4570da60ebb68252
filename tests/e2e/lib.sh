# Helpers for the canary e2e tests: the operator binary, images in the real registry,
# the model-metrics helper scraped by the real Prometheus, and an MLModel with a canary.
# Source after tests/smoke/lib.sh; OPERATOR must name the operator binary.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/tests/support/model_metrics.sh"

E2E_TMP=$(mktemp -d)
cleanups=()
# The test runs under set -e: a failing command in this trap would end it early (the
# later cleanups skipped) and replace the test's exit status. Nothing here may fail, and
# the status the test exited with is kept.
on_exit() {
  local rc=$? i
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[$i]}" || true; done
  rm -rf "$E2E_TMP" || echo "warning: could not remove $E2E_TMP" >&2
  exit "$rc"
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
# stop_operator [SIGNAL]: also safe when the operator never started or already exited.
stop_operator() {
  [ -n "${op:-}" ] || return 0
  kill "${1:--TERM}" "$op" 2>/dev/null || true
  wait "$op" 2>/dev/null || true
  op=
}
cleanups+=("stop_operator")
# E2E_OPERATOR=pod: the operator installed by Helm in a pod of the real node instead.
if [ "${E2E_OPERATOR:-binary}" = pod ]; then
  . "$REPO_ROOT/tests/e2e/operator-pod.sh"
fi


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
  # Waited for, so it no longer writes into $E2E_TMP when that is removed.
  cleanups+=("kill $prom 2>/dev/null; wait $prom 2>/dev/null")
}

jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
cond() { jp "mlmodel/$1" "{.status.conditions[?(@.type==\"$2\")].$3}"; }
# count_events MODEL REASON [TEXT]: sets event_count to how often the model's Events with
# REASON (and TEXT in their message) occurred, counting repeats folded into a series. A
# failing kubectl fails the test: an error is not "no Event".
count_events() {
  local json
  json=$(kubectl -n "$ns" get events --field-selector "involvedObject.name=$1" -o json 2>"$E2E_TMP/events.err") ||
    fail "kubectl get events of $1: $(cat "$E2E_TMP/events.err")"
  event_count=$(python3 -c '
import json, sys
reason, text = sys.argv[1], sys.argv[2]
print(sum(e.get("count") or (e.get("series") or {}).get("count") or 1
          for e in json.load(sys.stdin)["items"]
          if e.get("reason") == reason and text in (e.get("message") or "")))' "$2" "${3:-}" <<<"$json") ||
    fail "could not read the Events of $1"
}
_event_seen() { count_events "$@"; [ "$event_count" -ge 1 ]; }
# has_event MODEL REASON [TEXT]: the Event shows up within EVENT_WAIT seconds (default 20;
# Events are sent after the status that the test polled for).
#
# Checking that an Event did NOT happen needs the recorder flushed first, or it passes
# merely because the Event is still queued. The operator sends one object's Events in the
# order it emitted them (each object's through one sender; a repeat's first fold into a
# series at once), so once a later Event of the same model shows up, every earlier one
# has been written: wait for that later Event with has_event, then count_events.
has_event() { poll "${EVENT_WAIT:-20}" _event_seen "$@"; }
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
# deploy_exists NAME: 0 when the Deployment exists, 1 when the API server answers
# NotFound; any other failure of kubectl fails the test with its message (an error is not
# "absent").
deploy_exists() {
  local err
  err=$(kubectl -n "$ns" get deploy "$1" -o name 2>&1 >/dev/null) && return 0
  case $err in *"(NotFound)"*) return 1 ;; esac
  fail "kubectl get deploy $1 in $ns failed: $err"
}
no_canary() { ! deploy_exists "$1-canary"; }
has_canary() { deploy_exists "$1-canary"; }
stable_version_is() { [ "$(jp "mlmodel/$1" '{.status.stable.version}')" = "$2" ]; }
last_outcome_is() { [ "$(jp "mlmodel/$1" '{.status.history[-1:].outcome}')" = "$2" ]; }
ready_at() { stable_version_is "$1" "$2" && [ "$(cond "$1" Ready status)" = True ] && no_canary "$1"; }
