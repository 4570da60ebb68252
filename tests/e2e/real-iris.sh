#!/usr/bin/env bash
# End to end on the real node: the iris example model (examples/iris) in real pods, real
# requests, a real Prometheus that finds the pods through the API server.
#   1. v1 (replicas 2) turns Ready; a prediction from the host to a pod IP is right
#      (measured: apply -> first correct prediction);
#   2. a private Prometheus discovers the model's pods (kubernetes_sd_configs, role pod,
#      against the real API server) and scrapes their /metrics every second;
#   3. steady load on the Ready pods (tests/e2e/real-iris-load.py) during the canaries;
#   4. v2 as a canary is promoted on that traffic; a canary pod killed mid-rollout is
#      replaced and the rollout goes on;
#   5. v3 (~30% of requests answered 500 by the server itself) is rolled back by the
#      error-rate analysis, its pods go (measured: first failing request -> canary pods
#      gone) and stable keeps answering right;
#   6. v4 (every request 200, always one class) passes the error-rate canary and is
#      promoted; spec.monitoring on the prediction mix turns it Degraded and rolls it back;
#   7. an image that exists nowhere shows ErrImagePull/ImagePullBackOff in the model's
#      conditions (pod and image named) and as a Warning Event.
# Usage: real-iris.sh PATH-TO-mlmodel-operator BUILD-DIR (with iris-server built)
# The images go to $REGISTRY/mlmodel/iris (the same build gives the same digests, so the
# node usually has them already); IRIS_REPO=e2e/iris-cold-$RANDOM SOURCE_DATE_EPOCH=$(date +%s)
# gives new layers, so the node really pulls them.
. "$(dirname "$0")/../smoke/lib.sh"
if [ -z "${MLMODEL_REAL_NODE_NAME:-}" ]; then
  echo "SKIPPED: the cluster has no real node (start it with MLMODEL_REAL_NODE=1 hack/cluster.sh up)"
  exit 77
fi
OPERATOR=${1:?operator binary}
BUILD_DIR=${2:?build dir with iris-server}
. "$(dirname "$0")/lib.sh"
t_start=$SECONDS
now() { date +%s.%N; }
secs() { printf '%.1f' "$(echo "$2 - $1" | bc)"; }
SAMPLES=$BUILD_DIR/examples/iris/iris_models.json
[ -f "$SAMPLES" ] || fail "$SAMPLES is missing: build iris-server first"

echo "-- images: iris 1.0.0..4.0.0 (profiles v1..v4) built from $BUILD_DIR and pushed"
repo=${IRIS_REPO:-mlmodel/iris}
images=$("$REPO_ROOT/hack/iris-images.sh" --build-dir "$BUILD_DIR" --repo "$REGISTRY/$repo" 2>"$E2E_TMP/images.log") ||
  fail "hack/iris-images.sh failed: $(tail -5 "$E2E_TMP/images.log")"
while read -r tag digest; do DIGEST[$tag]=$digest; done <<<"$images"
[ -n "${DIGEST[3.0.0]:-}" ] || fail "no digest for 3.0.0: $images"
echo "   built in $((SECONDS - t_start))s"

install_crd
e2e_namespace riris

echo "-- a private Prometheus finds the model's pods through the API server"
api_port=$(sed -n 's|^ *server: https://127.0.0.1:\([0-9]*\).*|\1|p' "$KUBECONFIG" | head -1)
pki=$MLMODEL_CLUSTER_DIR/pki
[ -n "$api_port" ] && [ -f "$pki/ca.crt" ] && [ -f "$pki/admin.crt" ] ||
  fail "cannot find the API server port or the cluster's pki in $MLMODEL_CLUSTER_DIR"
PROMETHEUS_BIN=${PROMETHEUS_BIN:-/usr/bin/prometheus}
pport=$(free_ports)
# prom_config SD-YAML: one job scraping the model's pods every second, whatever found them.
prom_config() {
  cat <<YAML
global: {scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 1s}
scrape_configs:
- job_name: iris-pods
  honor_labels: true   # the server's own namespace, model and version labels
$1
  relabel_configs:
  - {source_labels: [__meta_kubernetes_pod_label_serving_mlops_dev_model], regex: iris, action: keep}
  - {source_labels: [__meta_kubernetes_pod_ip], regex: '(.+)', target_label: __address__, replacement: '\${1}:8080'}
  - {source_labels: [__meta_kubernetes_pod_name], target_label: pod}
  - {source_labels: [__meta_kubernetes_pod_label_serving_mlops_dev_track], target_label: track}
YAML
}
start_prometheus() {
  "$PROMETHEUS_BIN" --config.file "$E2E_TMP/prom.yml" --storage.tsdb.path "$E2E_TMP/prom-data" \
    --web.listen-address "127.0.0.1:$pport" --log.level warn >"$E2E_TMP/prom.log" 2>&1 &
  prom=$!
}
# Kubernetes service discovery in Prometheus itself: role pod, the test namespace only.
prom_config "  kubernetes_sd_configs:
  - role: pod
    api_server: https://127.0.0.1:$api_port
    tls_config: {ca_file: $pki/ca.crt, cert_file: $pki/admin.crt, key_file: $pki/admin.key}
    namespaces: {names: [$ns]}" >"$E2E_TMP/prom.yml"
start_prometheus
cleanups+=('kill $prom 2>/dev/null; wait $prom 2>/dev/null')
sd=kubernetes_sd_configs
ready_or_dead() { curl -sf "127.0.0.1:$pport/-/ready" >/dev/null || ! kill -0 "$prom" 2>/dev/null; }
poll 30 ready_or_dead || true
if ! kill -0 "$prom" 2>/dev/null && grep -q "field kubernetes_sd_configs not found" "$E2E_TMP/prom.log"; then
  # Debian's prometheus (2.42+ds) is built without kubernetes_sd_configs: the same
  # discovery (pods of the namespace listed from the API server every second, the same
  # __meta_kubernetes_pod_* labels, the same relabelling) through a file_sd file.
  wait "$prom" 2>/dev/null || true
  sd="file_sd_configs (real-iris-sd.py: $PROMETHEUS_BIN lacks kubernetes_sd_configs)"
  echo "[]" >"$E2E_TMP/pods-sd.json"
  python3 "$(dirname "$0")/real-iris-sd.py" --namespace "$ns" --model iris --out "$E2E_TMP/pods-sd.json" \
    --duration 600 2>"$E2E_TMP/sd.log" &
  sdpid=$!
  cleanups+=("kill $sdpid 2>/dev/null; wait $sdpid 2>/dev/null")
  prom_config "  file_sd_configs: [{files: [$E2E_TMP/pods-sd.json], refresh_interval: 1s}]" >"$E2E_TMP/prom.yml"
  start_prometheus
fi
PROM=http://127.0.0.1:$pport
poll 30 curl -sf "$PROM/-/ready" >/dev/null || fail "private Prometheus not ready: $(tail -5 "$E2E_TMP/prom.log")"
echo "   discovery: $sd"
# promq QUERY: the number of series QUERY returns.
promq() {
  curl -sf --max-time 3 "$PROM/api/v1/query" --data-urlencode "query=$1" |
    python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["result"]))'
}

start_operator

# iris_yaml NAME IMAGE [EXTRA-SPEC-YAML]: an iris model on the real node, 2 replicas, with a
# two-step canary judged by the error rate of the canary version on the private Prometheus.
iris_yaml() {
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: $1}
spec:
  image: "$2"
  replicas: ${REPLICAS:-2}
  nodeSelector: {${MLMODEL_REAL_NODE_LABEL%%=*}: "${MLMODEL_REAL_NODE_LABEL#*=}"}
  tolerations: [{key: ${MLMODEL_REAL_NODE_TAINT%%=*}, operator: Exists, effect: NoSchedule}]
  env:
  - name: POD_NAMESPACE
    valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
  # The server listens within milliseconds; with the default period of 10 s a first probe
  # that comes a little early costs 10 s of Ready (seen: Ready 2 s or 11 s after apply).
  probes: {readiness: {periodSeconds: 1}}
${3:-}
  rollout:
    canary:
      steps: [{weight: 25, pause: 3s}, {weight: 50, pause: 3s}]
      progressDeadline: 2m
      traffic: {replicas: {}}
      analysis:
        interval: 2s
        failureLimit: 2
        consecutiveErrorLimit: 10
        prometheus: {address: "$PROM"}
        metrics:
        - name: error-rate
          query: '$ERROR_RATE_QUERY'
          max: 0.05
          onNoData: Inconclusive
YAML
}

# An image pushed nowhere, run by tag (no digest to resolve): its pods cannot pull. Applied
# first, checked last, so its 10 s wait overlaps the rest.
missing="$REGISTRY/e2e/iris-missing-$RANDOM:9.9.9"
REPLICAS=1 iris_yaml ghost "$missing" "  pinDigest: false" | kubectl -n "$ns" apply -f - >/dev/null

echo "-- v1: Ready on the real node, a right prediction from the host by pod IP"
# Three samples the first versions classify right: setosa, versicolor, virginica.
INFER='{"inputs":[{"name":"input-0","shape":[3,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2, 5.9,3.0,4.2,1.5, 6.7,3.0,5.2,2.3]}]}'
# predicts_right IP: the pod at IP answers the three samples with classes 0, 1, 2.
predicts_right() {
  local out
  out=$(curl -sf --max-time 2 "http://$1:8080/v2/models/iris/infer" -d "$INFER" 2>/dev/null) || return 1
  python3 -c 'import json,sys
o = {x["name"]: x for x in json.loads(sys.argv[1])["outputs"]}
sys.exit(o["predict"]["data"] != [0, 1, 2])' "$out"
}
pod_ips() {
  kubectl -n "$ns" get pods -l "serving.mlops.dev/model=$1${2:+,serving.mlops.dev/track=$2}" \
    -o jsonpath='{range .items[*]}{.status.podIP}{"\n"}{end}' 2>/dev/null
}
any_pod_right() {
  local ip
  for ip in $(pod_ips iris); do predicts_right "$ip" && { right_ip=$ip; return 0; }; done
  return 1
}
t_apply=$(now)
iris_yaml iris "$REGISTRY/$repo:1.0.0" | kubectl -n "$ns" apply -f - >/dev/null
poll 90 any_pod_right || fail_with "no pod of v1 predicted right within 90 s"
t_first=$(now)
kubectl -n "$ns" wait --for=condition=Ready mlmodel/iris --timeout=60s >/dev/null || fail_with "v1 not Ready"
t_ready=$(now)
[ "$(kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris -o jsonpath='{.items[*].spec.nodeName}')" = "$MLMODEL_REAL_NODE_NAME $MLMODEL_REAL_NODE_NAME" ] ||
  fail_with "v1 pods not both on the real node: $(kubectl -n "$ns" get pods -o wide)"
stable_image_is iris 1.0.0 || fail_with "stable does not run v1 by digest"
echo "   apply -> first right prediction ($right_ip): $(secs "$t_apply" "$t_first")s; -> Ready: $(secs "$t_apply" "$t_ready")s"

# Both pods discovered and scraped, their series labelled by the server itself.
two_scraped() {
  [ "$(promq "model_requests_total{namespace=\"$ns\",model=\"iris\",version=\"1.0.0\",code=\"200\",job=\"iris-pods\"}")" = 2 ]
}
poll 30 two_scraped || fail_with "Prometheus did not scrape both v1 pods: $(curl -s "$PROM/api/v1/targets" | head -c 1500)"
echo "   Prometheus scrapes both pods ($(secs "$t_apply" "$(now)")s after apply)"

echo "-- load: round-robin over the Ready pods by pod IP"
load_log=$E2E_TMP/load.log
: >"$load_log"
python3 "$(dirname "$0")/real-iris-load.py" --namespace "$ns" --model iris --samples "$SAMPLES" \
  --out "$load_log" --rate 20 --count 4000 --duration 180 >"$E2E_TMP/load.out" 2>&1 &
load=$!
cleanups+=("kill $load 2>/dev/null; wait $load 2>/dev/null")
poll 10 test -s "$load_log" || fail "the load generator sent nothing: $(cat "$E2E_TMP/load.out")"

echo "-- v2 (good): canary, a canary pod killed mid-rollout is replaced, promoted on real traffic"
set_image iris 2.0.0
poll 30 has_canary iris || fail_with "no canary Deployment for v2"
canary_pod() { kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris,serving.mlops.dev/track=canary \
  --field-selector=status.phase=Running -o jsonpath='{.items[0].metadata.name}' 2>/dev/null; }
victim=""
got_victim() { victim=$(canary_pod) && [ -n "$victim" ]; }
poll 60 got_victim || fail_with "no running canary pod for v2"
kubectl -n "$ns" delete pod "$victim" --wait=false >/dev/null
replaced() { local p; p=$(canary_pod) && [ -n "$p" ] && [ "$p" != "$victim" ]; }
poll 60 replaced || fail_with "canary pod $victim not replaced"
echo "   canary pod $victim killed, replaced by $(canary_pod)"
poll 120 ready_at iris 2.0.0 || fail_with "v2 not promoted"
stable_image_is iris 2.0.0 || fail_with "stable does not run v2 by digest after promotion"
last_outcome_is iris Promoted || fail_with "v2 promotion not in history"
v2_answers=$(awk '$5 == "2.0.0" && $4 == 200' "$load_log" | wc -l)
[ "$v2_answers" -gt 20 ] || fail_with "v2 answered only $v2_answers requests of the load"
echo "   promoted: $(jp mlmodel/iris '{.status.history[-1:].message}') ($v2_answers requests answered by v2)"

echo "-- v3 (~30% 500s): rolled back by the analysis, canary pods gone, stable still right"
t_v3=$(date +%s.%N)
set_image iris 3.0.0
poll 30 has_canary iris || fail_with "no canary Deployment for v3"
rolled_back() { [ "$(cond iris Stalled status)" = True ] && no_canary iris; }
poll 120 rolled_back || fail_with "v3 not rolled back"
canary_pods_gone() { [ -z "$(kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris,serving.mlops.dev/track=canary -o name)" ]; }
poll 60 canary_pods_gone || fail_with "v3 canary pods still there: $(kubectl -n "$ns" get pods)"
t_gone=$(now)
first_500=$(awk -v t="$t_v3" '$1 > t && $4 == 500 {print $1; exit}' "$load_log")
[ -n "$first_500" ] || fail_with "no request answered 500 during the v3 canary"
v3_500=$(awk -v t="$t_v3" '$1 > t && $4 == 500' "$load_log" | wc -l)
[ "$(cond iris Stalled reason)" = AnalysisFailed ] || fail_with "Stalled reason $(cond iris Stalled reason)"
msg=$(cond iris Stalled message)
[[ $msg =~ error-rate.*0\.[0-9] ]] || fail_with "Stalled message lacks the measured value: $msg"
stable_image_is iris 2.0.0 || fail_with "stable changed by a rolled-back canary"
last_outcome_is iris RolledBack || fail_with "rollback not in history"
has_event iris RolledBack || fail_with "no RolledBack Event"
echo "   stalled: $msg"
echo "   first failing request -> canary pods gone: $(secs "$first_500" "$t_gone")s ($v3_500 requests answered 500)"
# Stable keeps answering, and answering right, after the rollback: from the load
# generator's next pod listing on (it lists every second, as endpoints lag a deleted pod).
sleep 1.5
t_after=$(now)
sleep 4
read -r n_after bad_after right_after <<<"$(awk -v t="$t_after" '$1 > t {n++; if ($4 != 200 || $5 != "2.0.0") b++; if ($6 == "1") r++}
  END {print n+0, b+0, r+0}' "$load_log")"
[ "$n_after" -ge 40 ] || fail_with "only $n_after requests in 4 s after the rollback"
[ "$bad_after" = 0 ] || fail_with "$bad_after of $n_after requests after the rollback not answered 200 by 2.0.0: $(awk -v t="$t_after" '$1 > t' "$load_log" | grep -v ' 200 2.0.0 ' | head -5)"
[ $((right_after * 100)) -ge $((n_after * 85)) ] || fail_with "stable right on only $right_after of $n_after after the rollback"
kill "$load" 2>/dev/null; wait "$load" 2>/dev/null || true
echo "   after the rollback: $right_after of $n_after right, all 200 from 2.0.0; load: $(cat "$E2E_TMP/load.out")"
# Code 0: no answer, from a pod deleted within the load generator's 1 s listing lag (the
# killed canary pod, stable pods replaced at promotion, v3's deleted canary).
echo "   answers by version and code: $(awk '{k = ($4 == 200 ? $5 : $3) ":" $4; c[k]++} END {for (k in c) printf "%s=%d ", k, c[k]}' "$load_log")"

echo "-- v4 (answers 200, always one class): passes the error-rate canary, caught by monitoring"
# The failure that hurts most: no request fails, so the canary's error rate cannot see it;
# the prediction mix (share of the most predicted class; the load is one class in three)
# watched on the stable version does, and rolls it back (examples/iris/README.md).
MIX_QUERY='max(sum by (class) (rate(model_predictions_total{namespace="{{namespace}}",model="{{name}}",version="{{stable.version}}"}[10s]))) / sum(rate(model_predictions_total{namespace="{{namespace}}",model="{{name}}",version="{{stable.version}}"}[10s]))'
patch=$(python3 -c 'import json, sys
print(json.dumps({"spec": {"monitoring": {"enabled": True, "interval": "2s", "failureLimit": 2,
  "rollbackOnFailure": True, "prometheus": {"address": sys.argv[1]},
  "metrics": [{"name": "prediction-mix", "query": sys.argv[2], "max": 0.6, "onNoData": "Inconclusive"}]}}}))' "$PROM" "$MIX_QUERY")
kubectl -n "$ns" patch mlmodel iris --type merge -p "$patch" >/dev/null
python3 "$(dirname "$0")/real-iris-load.py" --namespace "$ns" --model iris --samples "$SAMPLES" \
  --out "$load_log" --rate 20 --count 4000 --duration 120 >"$E2E_TMP/load4.out" 2>&1 &
load=$!
cleanups+=("kill $load 2>/dev/null; wait $load 2>/dev/null")
# v2, the stable version, is watched (while the spec still names the refused v3) and passes.
v2_watched() { [ "$(jp mlmodel/iris '{.status.monitoring.passed}')" -ge 1 ] 2>/dev/null; }
poll 30 v2_watched || fail_with "monitoring never passed a round on v2: $(jp mlmodel/iris '{.status.monitoring}')"
set_image iris 4.0.0
v4_promoted() { [[ $(jp mlmodel/iris '{.status.history[?(@.version=="4.0.0")].outcome}') == *Promoted* ]]; }
poll 90 v4_promoted || fail_with "v4 was not promoted by its error-rate canary"
caught() { stable_version_is iris 2.0.0 && last_outcome_is iris RolledBack && [ "$(jp mlmodel/iris '{.status.history[-1:].version}')" = 4.0.0 ]; }
poll 90 caught || fail_with "monitoring did not roll the quietly wrong v4 back"
[ "$(jp mlmodel/iris '{.status.history[-1:].reason}')" = Degraded ] || fail_with "v4's rollback reason: $(jp mlmodel/iris '{.status.history[-1:].reason}')"
mix_msg=$(jp mlmodel/iris '{.status.history[-1:].message}')
[[ $mix_msg == *prediction-mix* ]] || fail_with "the rollback does not name the prediction mix: $mix_msg"
poll 30 stable_image_is iris 2.0.0 || fail_with "stable does not run v2 again"
kill "$load" 2>/dev/null; wait "$load" 2>/dev/null || true
v4_wrong=$(awk '$5 == "4.0.0" && $4 == 200 {n++; if ($6 != "1") w++} END {printf "%d of %d", w+0, n+0}' "$load_log")
echo "   v4 answered 200 and wrong on $v4_wrong; rolled back: $mix_msg"

echo "-- an image that exists nowhere: ErrImagePull/ImagePullBackOff named in the conditions"
pull_problem() {
  local c
  for c in Ready Reconciling; do
    case $(cond ghost "$c" reason) in ErrImagePull | ImagePullBackOff)
      reason=$(cond ghost "$c" reason); msg=$(cond ghost "$c" message); return 0 ;;
    esac
  done
  return 1
}
poll 60 pull_problem || fail_with "ghost shows no image pull problem"
ghost_pod=$(kubectl -n "$ns" get pods -l serving.mlops.dev/model=ghost -o jsonpath='{.items[0].metadata.name}')
[[ $msg == *"$ghost_pod"* && $msg == *"$missing"* ]] || fail_with "the message names neither pod $ghost_pod nor image $missing: $msg"
warning_seen() {
  kubectl -n "$ns" get events --field-selector "involvedObject.name=ghost,type=Warning" \
    -o jsonpath='{.items[*].reason}' | grep -qE 'ErrImagePull|ImagePullBackOff'
}
poll 20 warning_seen || fail_with "no Warning Event ErrImagePull/ImagePullBackOff for ghost"
echo "   $reason: $msg"

echo "ok: real-iris e2e in $((SECONDS - t_start))s"
