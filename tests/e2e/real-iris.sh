#!/usr/bin/env bash
# End to end on the real node: the iris example model (examples/iris) in real pods, real
# requests through the model's Service, a real Prometheus in a pod that finds the model's
# pods through the API server.
#   1. v1 (replicas 2) turns Ready; a prediction from the host to a pod IP is right
#      (measured: apply -> first correct prediction);
#   2. Prometheus runs as a pod on the real node (examples/iris/prometheus: its own
#      ServiceAccount token, kubernetes_sd_configs role pod) and scrapes both pods; the
#      operator on the host queries it by pod IP;
#   3. steady load from a pod on the real node (iris-loadgen) through the model's Service
#      (cluster DNS, kube-proxy) during the canaries;
#   4. v2 as a canary: at each step the share of requests the canary pods served (their own
#      counters, read by pod IP) is the share of Ready pods they hold (replica split), within
#      a tolerance derived from the request count; a canary pod killed mid-rollout is
#      replaced and the rollout goes on; promoted on that traffic;
#   5. v3 (~30% of requests answered 500 by the server itself) is rolled back by the
#      error-rate analysis, its pods go (measured: first failing request -> canary pods
#      gone) and stable keeps answering right;
#   6. v4 (every request 200, always one class) passes the error-rate canary and is
#      promoted; spec.monitoring on the prediction mix turns it Degraded and rolls it back;
#   7. an image that exists nowhere shows ErrImagePull/ImagePullBackOff in the model's
#      conditions (pod and image named) and as a Warning Event.
# Usage: real-iris.sh PATH-TO-mlmodel-operator BUILD-DIR (with iris-server and iris-loadgen
# built, and hack/build-tools.sh prometheus)
# The images go to $REGISTRY/mlmodel/iris, .../iris-loadgen and .../prometheus (the same
# build gives the same digests, so the node usually has them already);
# IRIS_REPO=e2e/iris-cold-$RANDOM SOURCE_DATE_EPOCH=$(date +%s) gives new layers, so the node
# really pulls them.
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

echo "-- images: iris 1.0.0..4.0.0 (profiles v1..v4), iris-loadgen and Prometheus, built and pushed"
repo=${IRIS_REPO:-mlmodel/iris}
images=$("$REPO_ROOT/hack/iris-images.sh" --build-dir "$BUILD_DIR" --repo "$REGISTRY/$repo" 2>"$E2E_TMP/images.log") ||
  fail "hack/iris-images.sh failed: $(tail -5 "$E2E_TMP/images.log")"
while read -r tag digest; do DIGEST[$tag]=$digest; done <<<"$images"
[ -n "${DIGEST[3.0.0]:-}" ] && [ -n "${DIGEST[loadgen]:-}" ] || fail "missing digests: $images"
[ -x "$PROMETHEUS_TOOL_BIN/prometheus" ] ||
  fail "Prometheus $PROMETHEUS_VERSION is not built: hack/build-tools.sh prometheus (part of hack/build-tools.sh node)"
prom_image=$REGISTRY/mlmodel/prometheus
prom_digest=$("$REPO_ROOT/hack/prometheus-image.sh" 2>"$E2E_TMP/prom-image.log") ||
  fail "hack/prometheus-image.sh failed: $(tail -5 "$E2E_TMP/prom-image.log")"
echo "   built in $((SECONDS - t_start))s"

install_crd
e2e_namespace riris

echo "-- Prometheus in a pod on the real node: pods discovered with its ServiceAccount token"
# The example's manifests as they are, in the test's namespace, with the image just pushed.
mkdir -p "$E2E_TMP/prometheus"
cat >"$E2E_TMP/prometheus/kustomization.yaml" <<YAML
resources: [$(realpath --relative-to="$E2E_TMP/prometheus" "$REPO_ROOT/examples/iris/prometheus")]
namespace: $ns
images: [{name: mlmodel/prometheus, newName: $prom_image, digest: "$prom_digest"}]
YAML
kubectl apply -k "$E2E_TMP/prometheus" >/dev/null
kubectl -n "$ns" rollout status deploy/prometheus --timeout=90s >/dev/null ||
  fail_with "the Prometheus pod is not ready: $(kubectl -n "$ns" get pods -o wide; kubectl -n "$ns" logs deploy/prometheus --tail 20 2>&1)"
prom_ip=$(kubectl -n "$ns" get pods -l app.kubernetes.io/name=prometheus --field-selector=status.phase=Running \
  -o jsonpath='{.items[0].status.podIP}')
# The host reaches pods by pod IP (not ClusterIPs): the operator on the host queries this.
PROM=http://$prom_ip:9090
poll 30 curl -sf "$PROM/-/ready" >/dev/null || fail_with "Prometheus at $PROM not ready from the host"
echo "   $PROM ($(curl -sf "$PROM/api/v1/status/buildinfo" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["version"])'))"
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
      steps: [{weight: 25, pause: ${PAUSE:-3s}}, {weight: 50, pause: ${PAUSE:-3s}}]
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
# Steps of 20 s for v2: time to measure each step's traffic split.
PAUSE=20s iris_yaml iris "$REGISTRY/$repo:1.0.0" | kubectl -n "$ns" apply -f - >/dev/null
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
  [ "$(promq "model_requests_total{namespace=\"$ns\",model=\"iris\",version=\"1.0.0\",code=\"200\",job=\"mlmodel-pods\"}")" = 2 ]
}
poll 30 two_scraped || fail_with "Prometheus did not scrape both v1 pods: $(curl -s "$PROM/api/v1/targets" | head -c 1500)"
echo "   Prometheus scrapes both pods ($(secs "$t_apply" "$(now)")s after apply)"

echo "-- load: a pod on the real node sends steady requests through the model's Service"
# start_load NAME DURATION: iris-loadgen in pod NAME, 40 requests/s to http://iris.$ns.svc
# (cluster DNS, kube-proxy spreads the connections over the Service's endpoints), bounded in
# time and count. Its output, one line per second, code and model_version answered:
#   <unix second> <code> <version> <requests> <correct predictions>
start_load() {
  cat <<YAML | kubectl -n "$ns" apply -f - >/dev/null
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {app.kubernetes.io/name: iris-loadgen}}
spec:
  restartPolicy: Never
  nodeSelector: {${MLMODEL_REAL_NODE_LABEL%%=*}: "${MLMODEL_REAL_NODE_LABEL#*=}"}
  tolerations: [{key: ${MLMODEL_REAL_NODE_TAINT%%=*}, operator: Exists, effect: NoSchedule}]
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: loadgen
    image: $REGISTRY/$repo-loadgen@${DIGEST[loadgen]}
    args: [--url, "http://iris.$ns.svc:80", --rate, "40", --duration, "$2", --count, "$((40 * $2))"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
YAML
}
# load_ticks NAME: the pod's per-second lines so far (into $E2E_TMP/NAME.log, printed).
load_ticks() {
  kubectl -n "$ns" logs "pod/$1" >"$E2E_TMP/$1.log" 2>/dev/null || true
  awk 'NF == 5 && $1 ~ /^[0-9]+$/' "$E2E_TMP/$1.log"
}
# load_summary NAME: requests by model_version and code, from what load_ticks kept.
load_summary() {
  awk 'NF == 5 && $1 ~ /^[0-9]+$/ {c[$3 "/" $2] += $4; n += $4} END {printf "%d requests:", n; for (k in c) printf " %s=%d", k, c[k]}' "$E2E_TMP/$1.log"
}
# stop_load NAME: keeps the pod's output so far, then deletes it.
stop_load() {
  load_ticks "$1" >/dev/null
  kubectl -n "$ns" delete pod "$1" --wait=false >/dev/null 2>&1 || true
}
answered_by() { load_ticks "$1" | awk -v v="$2" '$2 == 200 && $3 == v {n += $4} END {print n+0}'; }
start_load load-a 200
v1_via_service() { [ "$(answered_by load-a 1.0.0)" -ge 20 ]; }
poll 60 v1_via_service || fail_with "no answers through the Service: $(kubectl -n "$ns" get pod load-a -o wide; cat "$E2E_TMP/load-a.log" | tail -5)"
echo "   $(answered_by load-a 1.0.0) requests answered by v1 through http://iris.$ns.svc"

echo "-- v2 (good): canary, each step's split measured, a canary pod killed mid-rollout is replaced, promoted"
set_image iris 2.0.0
poll 30 has_canary iris || fail_with "no canary Deployment for v2"
# step_settled STEP CANARY: the rollout is at STEP (from 0) with CANARY Ready canary pods and
# 2 stable ones, nothing terminating.
step_settled() {
  [ "$(jp mlmodel/iris '{.status.canary.step}')" = "$1" ] || return 1
  local pods
  pods=$(kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris -o json | python3 -c 'import json, sys
c = {"canary": 0, "stable": 0, "other": 0}
for p in json.load(sys.stdin)["items"]:
    ready = any(x["type"] == "Ready" and x["status"] == "True" for x in p["status"].get("conditions", []))
    t = p["metadata"]["labels"].get("serving.mlops.dev/track", "other")
    c[t if ready and not p["metadata"].get("deletionTimestamp") else "other"] += 1
print(c["canary"], c["stable"], c["other"])')
  [ "$pods" = "$2 2 0" ]
}
# measure_step STEP CANARY: the share of the requests the canary pods served over 8 s at
# that step, against their share of the Ready pods (the replica split the operator sets up:
# canaryReplicasFor(25%, 2) = 1 of 3 pods, canaryReplicasFor(50%, 2) = 2 of 4). kube-proxy
# picks an endpoint at random per connection, so the count is binomial: the tolerance is 4.5
# standard deviations of the measured number of requests (about 0.11 for 300 requests at 1/3).
shares=""
measure_step() {
  local step=$1 want=$2 out nc nst served total
  poll 60 step_settled "$step" "$want" ||
    fail_with "step $((step + 1)) never settled with $want Ready canary pods: $(kubectl -n "$ns" get pods -o wide)"
  sleep 2 # kube-proxy's rules follow the endpoints within its sync period
  out=$(python3 "$(dirname "$0")/real-iris-share.py" --namespace "$ns" --model iris --window 8) ||
    fail_with "step $((step + 1)): $out"
  read -r nc nst served total <<<"$out"
  [ "$(jp mlmodel/iris '{.status.canary.step}')" = "$step" ] ||
    fail_with "the rollout left step $((step + 1)) during its measurement window (pause too short?)"
  local started into
  started=$(date -d "$(jp mlmodel/iris '{.status.canary.stepStartedAt}')" +%s)
  into=$(($(date +%s) - started))
  [ "$total" -ge 150 ] || fail_with "step $((step + 1)): only $total requests in 8 s"
  local verdict
  verdict=$(python3 -c 'import math, sys
nc, nst, served, total = map(int, sys.argv[1:])
want = nc / (nc + nst)
share = served / total
tol = 4.5 * math.sqrt(want * (1 - want) / total)
print(f"{share:.3f} {want:.3f} {tol:.3f} {int(abs(share - want) <= tol)}")' "$nc" "$nst" "$served" "$total")
  local share exp tol ok
  read -r share exp tol ok <<<"$verdict"
  echo "   step $((step + 1)) (weight $(jp mlmodel/iris '{.status.canary.weight}')%, actual $(jp mlmodel/iris '{.status.canary.actualWeight}')%): canary served $served of $total requests = $share; replica split $nc/$((nc + nst)) = $exp (tolerance ±$tol; window ended ${into}s into the step's 20 s)"
  shares+="step$((step + 1))=$share/$exp "
  [ "$ok" = 1 ] || fail_with "step $((step + 1)): the canary served $share of the requests, the replica split is $exp (± $tol)"
}
measure_step 0 1
measure_step 1 2
# A canary pod killed mid-rollout (at step 2, after its measurement): a new one replaces it
# and the rollout goes on.
canary_pods() { kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris,serving.mlops.dev/track=canary \
  --field-selector=status.phase=Running -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' 2>/dev/null; }
before=$(canary_pods)
victim=$(head -1 <<<"$before")
[ -n "$victim" ] || fail_with "no running canary pod for v2"
kubectl -n "$ns" delete pod "$victim" --wait=false >/dev/null
newcomer=""
replaced() { newcomer=$(canary_pods | grep -vxF "$before" | head -1) && [ -n "$newcomer" ]; }
poll 60 replaced || fail_with "canary pod $victim not replaced"
echo "   canary pod $victim killed, replaced by $newcomer"
poll 120 ready_at iris 2.0.0 || fail_with "v2 not promoted"
stable_image_is iris 2.0.0 || fail_with "stable does not run v2 by digest after promotion"
last_outcome_is iris Promoted || fail_with "v2 promotion not in history"
v2_answers=$(answered_by load-a 2.0.0)
[ "$v2_answers" -gt 20 ] || fail_with "v2 answered only $v2_answers requests of the load"
echo "   promoted: $(jp mlmodel/iris '{.status.history[-1:].message}') ($v2_answers requests answered by v2)"
# Short steps again for v3 and v4 (their verdicts come from the analysis, not the split).
kubectl -n "$ns" patch mlmodel iris --type merge \
  -p '{"spec":{"rollout":{"canary":{"steps":[{"weight":25,"pause":"3s"},{"weight":50,"pause":"3s"}]}}}}' >/dev/null

echo "-- v3 (~30% 500s): rolled back by the analysis, canary pods gone, stable still right"
t_v3=$(date +%s)
set_image iris 3.0.0
poll 30 has_canary iris || fail_with "no canary Deployment for v3"
rolled_back() { [ "$(cond iris Stalled status)" = True ] && no_canary iris; }
poll 120 rolled_back || fail_with "v3 not rolled back"
canary_pods_gone() { [ -z "$(kubectl -n "$ns" get pods -l serving.mlops.dev/model=iris,serving.mlops.dev/track=canary -o name)" ]; }
poll 60 canary_pods_gone || fail_with "v3 canary pods still there: $(kubectl -n "$ns" get pods)"
t_gone=$(now)
# The load pod counts by second: the first second with a 500 after v3 was applied.
first_500=$(load_ticks load-a | awk -v t="$t_v3" '$1 >= t && $2 == 500 {print $1; exit}')
[ -n "$first_500" ] || fail_with "no request answered 500 during the v3 canary"
v3_500=$(load_ticks load-a | awk -v t="$t_v3" '$1 >= t && $2 == 500 {n += $4} END {print n+0}')
[ "$(cond iris Stalled reason)" = AnalysisFailed ] || fail_with "Stalled reason $(cond iris Stalled reason)"
msg=$(cond iris Stalled message)
[[ $msg =~ error-rate.*0\.[0-9] ]] || fail_with "Stalled message lacks the measured value: $msg"
stable_image_is iris 2.0.0 || fail_with "stable changed by a rolled-back canary"
last_outcome_is iris RolledBack || fail_with "rollback not in history"
has_event iris RolledBack || fail_with "no RolledBack Event"
echo "   stalled: $msg"
echo "   first failing request (within its second) -> canary pods gone: $(secs "$first_500" "$t_gone")s ($v3_500 requests answered 500)"
# Stable keeps answering, and answering right, through the Service after the rollback: the
# whole seconds from 2 s after the canary pods went (kube-proxy's rules follow the endpoints).
t_after=$(($(date +%s) + 2))
sleep 6
read -r n_after bad_after right_after <<<"$(load_ticks load-a | awk -v t="$t_after" -v u="$(($(date +%s) - 1))" '$1 >= t && $1 < u {n += $4; if ($2 != 200 || $3 != "2.0.0") b += $4; r += $5}
  END {print n+0, b+0, r+0}')"
[ "$n_after" -ge 80 ] || fail_with "only $n_after requests in the 3 whole seconds after the rollback"
[ "$bad_after" = 0 ] || fail_with "$bad_after of $n_after requests after the rollback not answered 200 by 2.0.0: $(load_ticks load-a | awk -v t="$t_after" '$1 >= t' | grep -v ' 200 2.0.0 ' | head -5)"
[ $((right_after * 100)) -ge $((n_after * 85)) ] || fail_with "stable right on only $right_after of $n_after after the rollback"
stop_load load-a
echo "   after the rollback: $right_after of $n_after right, all 200 from 2.0.0"
echo "   load: $(load_summary load-a)"

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
start_load load-b 150
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
stop_load load-b
v4_wrong=$(load_ticks load-b | awk '$3 == "4.0.0" && $2 == 200 {n += $4; w += $4 - $5} END {printf "%d of %d", w+0, n+0}')
echo "   v4 answered 200 and wrong on $v4_wrong; rolled back: $mix_msg"
echo "   load during v4: $(load_summary load-b)"

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

echo "ok: real-iris e2e in $((SECONDS - t_start))s; canary share by step (measured/replica split): $shares"
