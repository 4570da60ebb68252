#!/usr/bin/env bash
# What `make demo` runs, on real pods: a local cluster with a real node (containerd,
# kubelet), the operator installed by Helm from an image built here, Prometheus in the
# cluster finding the model's pods through the API server, the iris example model serving
# real predictions under steady load, v2 promoted by a canary on that traffic, v3 (whose
# server fails part of its requests) rolled back. It leaves everything running for you to
# explore and says how to stop it.
# hack/demo.sh --mlflow (make demo-mlflow): the same walk, with the versions coming from a
# real MLflow registry: registered with their images as tags, rolled out as the alias
# `champion` moves, and each tagged back with how its rollout ended.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build}"
NS=iris-demo
OP_NS=mlmodel-system
LOAD_SECONDS=${DEMO_LOAD_SECONDS:-900}
MLFLOW=0
[ "${1:-}" = --mlflow ] && MLFLOW=1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Preparing: packages, the cluster's tools (control plane, real node), the operator and the iris example"
hack/install-deps.sh >/dev/null
hack/build-tools.sh 2>&1 | tail -n 1
hack/build-tools.sh node prometheus 2>&1 | tail -n 1
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mlmodel-operator kubectl-mlmodel iris-server iris-models iris-loadgen | tail -n 1
[ "$MLFLOW" = 0 ] || hack/mlflow.sh install

step "Starting the local cluster: control plane, KWOK nodes, registry, and a real node"
if hack/cluster.sh status >/dev/null 2>&1 && ! hack/cluster.sh env | grep -q MLMODEL_POD_REGISTRY; then
  die "a local cluster without the real node is running; stop it first (make cluster-down)"
fi
MLMODEL_REAL_NODE=1 hack/cluster.sh up
eval "$(hack/cluster.sh env)"
# The registry by the address the node and pods use for it (the same registry as $REGISTRY).
REG=$MLMODEL_POD_REGISTRY
PLACEMENT="nodeSelector: {${MLMODEL_REAL_NODE_LABEL%%=*}: \"${MLMODEL_REAL_NODE_LABEL#*=}\"}
tolerations: [{key: ${MLMODEL_REAL_NODE_TAINT%%=*}, operator: Exists, effect: NoSchedule}]"

step "The operator's image, built without Docker and pushed to $REG"
op_bin=$BUILD_DIR/operator/mlmodel-operator
op_digest=$(IMAGE="$REG/mlmodel-operator:$("$op_bin" --version | awk '{print $NF}')" hack/operator-image.sh "$op_bin")
echo "  $REG/mlmodel-operator@$op_digest"

MLFLOW_ARGS=()
if [ "$MLFLOW" = 1 ]; then
  step "MLflow: a tracking server with a SQLite store, where the operator's pod reaches it (${REG%%:*})"
  mlflow_dir=$MLMODEL_CLUSTER_DIR/demo-mlflow
  hack/mlflow.sh stop "$mlflow_dir"
  rm -rf "$mlflow_dir"
  eval "$(MLFLOW_HOST=${REG%%:*} hack/mlflow.sh start "$mlflow_dir")"
  echo "  $MLFLOW_URL (stop: hack/mlflow.sh stop $mlflow_dir)"
  MLFLOW_ARGS=(--set "mlflow.allowedPrefixes={$MLFLOW_URL}")
fi

step "helm install: the operator in $OP_NS, on the real node"
printf '%s\n' "$PLACEMENT" >"$MLMODEL_CLUSTER_DIR/demo-placement.yaml"
kubectl apply --server-side --force-conflicts -f crds/serving.mlops.dev_mlmodels.yaml >/dev/null
helm upgrade --install mlmodel-operator charts/mlmodel-operator -n "$OP_NS" --create-namespace --skip-crds \
  --set image.repository="$REG/mlmodel-operator" --set image.digest="$op_digest" \
  --set "insecureRegistries={$REG}" "${MLFLOW_ARGS[@]}" -f "$MLMODEL_CLUSTER_DIR/demo-placement.yaml" \
  --wait --timeout 180s
kubectl -n "$OP_NS" get pods -o wide

step "Prometheus in the cluster: finds the model's pods through the API server (kubernetes_sd_configs)"
kubectl create namespace "$NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
prom_digest=$(hack/prometheus-image.sh --image "$REG/mlmodel/prometheus:demo")
kubectl kustomize examples/iris/prometheus |
  sed "s|image: mlmodel/prometheus:.*|image: $REG/mlmodel/prometheus@$prom_digest|" |
  kubectl -n "$NS" apply -f - | sed 's/^/  /'
kubectl -n "$NS" rollout status deploy/prometheus --timeout=120s | sed 's/^/  /'

step "The iris model's images: 1.0.0, 2.0.0 (retrained), 3.0.0 (fails ~30% of requests), and a load generator, pushed to $REG/models"
declare -A DIGEST
while read -r tag digest; do
  DIGEST[$tag]=$digest
  echo "  $tag $digest"
done < <(hack/iris-images.sh --build-dir "$BUILD_DIR" --repo "$REG/models/iris" 1.0.0 2.0.0 3.0.0 loadgen)
[ -n "${DIGEST[loadgen]:-}" ] || die "hack/iris-images.sh pushed no load generator"

if [ "$MLFLOW" = 1 ]; then
  step "MLflow: the registered model iris-classifier, versions 1..3 with their images in the tag \`image\`"
  mlpost() { curl -sf -H 'Content-Type: application/json' -X POST "$MLFLOW_URL/api/2.0/mlflow/$1" -d "$2"; }
  mlpost registered-models/create '{"name":"iris-classifier"}' >/dev/null
  for v in 1 2 3; do
    mlpost model-versions/create "{\"name\":\"iris-classifier\",\"source\":\"s3://models/iris/$v\",\"run_id\":\"run-$v\",
      \"tags\":[{\"key\":\"image\",\"value\":\"$REG/models/iris:$v.0.0\"}]}" >/dev/null
    echo "  version $v: image $REG/models/iris:$v.0.0"
  done
  # move_alias VERSION: what a data scientist does to release a version.
  move_alias() {
    echo "  MLflow: set alias champion -> version $1"
    mlpost registered-models/alias "{\"name\":\"iris-classifier\",\"alias\":\"champion\",\"version\":\"$1\"}" >/dev/null
  }
  move_alias 1
fi

# follow PREDICATE SECONDS: print the rollout as it moves (one line per change) and each
# new Event of the model, until PREDICATE holds.
seen_events=""
follow() {
  local pred=$1 limit=$2 last="" line end=$((SECONDS + $2))
  while :; do
    line=$(kubectl -n "$NS" get mlmodel iris -o go-template='{{.status.phase}} | stable {{.status.stable.version}}{{with .status.canary}} | canary {{.version}} step {{.step}} weight {{.weight}}% (actual {{.actualWeight}}%){{with .analysis}} | analysis: {{.passed}} passed, {{.failed}} failed{{end}}{{end}}' 2>/dev/null || true)
    if [ "$line" != "$last" ]; then printf '  %s  %s\n' "$(date +%T)" "$line"; last=$line; fi
    # By uid: the Events of a model an earlier demo deleted keep its name.
    [ -n "${model_uid:-}" ] || model_uid=$(field '{.metadata.uid}' 2>/dev/null || true)
    while IFS=$'\t' read -r name reason msg; do
      [ -n "$name" ] || continue
      case " $seen_events " in *" $name "*) continue ;; esac
      seen_events="$seen_events $name"
      printf '  %s    event %-20s %s\n' "$(date +%T)" "$reason" "$msg"
    done < <(kubectl -n "$NS" get events --field-selector "involvedObject.kind=MLModel,involvedObject.uid=${model_uid:-none}" \
      --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.reason}{"\t"}{.message}{"\n"}{end}' 2>/dev/null)
    eval "$pred" && return 0
    [ $SECONDS -lt "$end" ] || die "the rollout did not get there within ${limit}s"
    sleep 1
  done
}
field() { kubectl -n "$NS" get mlmodel iris -o jsonpath="$1"; }

step "v1: an MLModel whose canaries are judged by the error rate its pods report to Prometheus"
model() {
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: iris, namespace: $NS}
spec:
$(if [ "$MLFLOW" = 1 ]; then
    printf '  mlflow: {address: "%s", model: iris-classifier, alias: champion, interval: 5s, writeBack: true}\n' "$MLFLOW_URL"
  else
    printf '  image: %s/models/iris:%s\n' "$REG" "$1"
  fi)
  replicas: 3
  env:
  - name: POD_NAMESPACE
    valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
  probes: {readiness: {periodSeconds: 2}}
$(sed 's/^/  /' <<<"$PLACEMENT")
  rollout:
    canary:
      steps: [{weight: 34, pause: 15s}, {weight: 67, pause: 15s}]
      traffic: {replicas: {}}
      analysis:
        interval: 5s
        failureLimit: 2
        prometheus: {address: "http://prometheus.$NS.svc:9090"}
        metrics:
        - name: error-rate
          query: >-
            sum(rate(model_requests_total{namespace="{{namespace}}",model="{{name}}",version="{{canary.version}}",code="500"}[15s]))
            / sum(rate(model_requests_total{namespace="{{namespace}}",model="{{name}}",version="{{canary.version}}"}[15s]))
          max: 0.05
          onNoData: Inconclusive
YAML
}
# A fresh start: a model left by an earlier demo would remember its versions.
kubectl -n "$NS" delete mlmodel iris --ignore-not-found --wait=true >/dev/null
model 1.0.0 >"$MLMODEL_CLUSTER_DIR/demo-iris.yaml"
sed 's/^/  /' "$MLMODEL_CLUSTER_DIR/demo-iris.yaml"
kubectl apply -f "$MLMODEL_CLUSTER_DIR/demo-iris.yaml" 2>&1 | sed 's/^/  /'
echo "  the first version needs no canary:"
follow '[ "$(field "{.status.conditions[?(@.type==\"Ready\")].status}")" = True ]' 180

step "A prediction through the Service (kubectl port-forward svc/iris, then curl)"
pf_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
kubectl -n "$NS" port-forward svc/iris "$pf_port:80" >"$MLMODEL_CLUSTER_DIR/demo-port-forward.log" 2>&1 &
pf=$!
trap 'kill $pf 2>/dev/null || true' EXIT
body='{"inputs":[{"name":"input-0","shape":[3,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2, 5.9,3.0,4.2,1.5, 6.7,3.0,5.2,2.3]}]}'
echo "  curl -s localhost:$pf_port/v2/models/iris/infer -d '$body'"
answer=""
for _ in $(seq 1 50); do
  answer=$(curl -sf --max-time 2 "127.0.0.1:$pf_port/v2/models/iris/infer" -d "$body" 2>/dev/null) && break
  sleep 0.2
done
[ -n "$answer" ] || die "no answer through the port-forward: $(cat "$MLMODEL_CLUSTER_DIR/demo-port-forward.log")"
python3 -c 'import json,sys
o = json.loads(sys.argv[1])
print("  model %s version %s" % (o["model_name"], o.get("model_version")))
names = ["setosa", "versicolor", "virginica"]
for x in o["outputs"]:
    if x["name"] == "predict":
        print("  predicted: " + ", ".join(names[int(c)] for c in x["data"]) + "  (right: setosa, versicolor, virginica)")' "$answer"
kill $pf 2>/dev/null || true

step "Steady load through the Service, from a pod (for ${LOAD_SECONDS}s at most)"
kubectl -n "$NS" delete pod load --ignore-not-found --wait=true >/dev/null
kubectl -n "$NS" apply -f - <<YAML | sed 's/^/  /'
apiVersion: v1
kind: Pod
metadata: {name: load, labels: {app.kubernetes.io/name: iris-loadgen}}
spec:
  restartPolicy: Never
$(sed 's/^/  /' <<<"$PLACEMENT")
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: loadgen
    image: $REG/models/iris-loadgen@${DIGEST[loadgen]}
    args: [--url, "http://iris.$NS.svc:80", --rate, "20", --duration, "$LOAD_SECONDS", --count, "$((20 * LOAD_SECONDS))"]
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
YAML
kubectl -n "$NS" wait --for=condition=Ready pod/load --timeout=60s >/dev/null
echo "  20 requests/s to http://iris.$NS.svc (kubectl -n $NS logs load: per second, code, version, requests, right answers)"

# release VERSION: a new version, by the spec's image or by moving MLflow's alias.
release() {
  if [ "$MLFLOW" = 1 ]; then
    move_alias "${1%%.*}"
  else
    kubectl -n "$NS" patch mlmodel iris --type merge -p "{\"spec\":{\"image\":\"$REG/models/iris:$1\"}}" | sed 's/^/  /'
  fi
}
v2=2.0.0
[ "$MLFLOW" = 0 ] || v2=2

step "v2 (retrained, healthy): canary 34% -> 67% -> promoted on real requests"
release 2.0.0
follow '[ "$(field "{.status.stable.version}")" = $v2 ] && [ -z "$(field "{.status.canary.version}")" ]' 300

step "v3 (its server answers ~30% of requests with 500): canary, analysis fails twice, rolled back; v2 keeps serving"
release 3.0.0
follow '[ "$(field "{.status.conditions[?(@.type==\"Stalled\")].status}")" = True ]' 300
echo
echo "Why (status.conditions Stalled):"
echo "  $(field '{.status.conditions[?(@.type=="Stalled")].message}')"

step "What was deployed when, who changed it, and why: kubectl mlmodel history iris"
PATH="$REPO_ROOT/$BUILD_DIR/operator:$PATH" kubectl mlmodel history iris -n "$NS"
echo
if [ "$MLFLOW" = 1 ]; then
  step "What MLflow says about each version (writeBack: the tag serving.mlops.dev/$NS/iris)"
  for v in 1 2 3; do
    curl -sf "$MLFLOW_URL/api/2.0/mlflow/model-versions/get?name=iris-classifier&version=$v" | python3 -c '
import json, sys
mv = json.load(sys.stdin)["model_version"]
tags = {t["key"]: t["value"] for t in mv.get("tags", [])}
print("  version %s: %s" % (mv["version"], tags.get(sys.argv[1], "(not deployed)")))' "serving.mlops.dev/$NS/iris"
  done
  echo
fi
kubectl -n "$NS" get mlmodel iris
kubectl -n "$NS" get pods -o wide

cat <<MSG

The cluster, the operator (Helm release mlmodel-operator in $OP_NS), Prometheus and the
model keep running. To explore:
  eval "\$(hack/cluster.sh env)"
  export PATH=$REPO_ROOT/$BUILD_DIR/operator:\$PATH   # the kubectl mlmodel plugin
  kubectl -n $NS get mlm                     # MLModels, short name mlm
  kubectl -n $NS describe mlmodel iris
  kubectl mlmodel status iris -n $NS
  kubectl -n $NS port-forward svc/iris 8080:80     # then: curl localhost:8080/v2/models/iris
  kubectl -n $OP_NS logs deploy/mlmodel-operator
To stop everything: make cluster-down
MSG
