#!/usr/bin/env bash
# What `make demo` runs: a local cluster, the CRD, the operator, a model image in the
# local registry, and the sample MLModel walking to Ready. It leaves the cluster and the
# operator running for you to explore, and says how to stop them.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
BUILD_DIR="${BUILD_DIR:-build}"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Preparing: packages, control-plane binaries, the operator"
hack/install-deps.sh >/dev/null
hack/build-tools.sh 2>&1 | tail -n 1
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" >/dev/null
cmake --build "$BUILD_DIR" -j2 --target mlmodel-operator | tail -n 1

step "Starting the local cluster (etcd, kube-apiserver, controller-manager, scheduler, KWOK, Prometheus, registry)"
hack/cluster.sh up
eval "$(hack/cluster.sh env)"

step "Installing the MLModel CRD"
kubectl apply -f crds/serving.mlops.dev_mlmodels.yaml
kubectl wait --for=condition=Established crd/mlmodels.serving.mlops.dev --timeout=60s

step "Starting the operator (log: $MLMODEL_CLUSTER_DIR/logs/operator.log)"
hack/cluster.sh run operator "$REPO_ROOT/$BUILD_DIR/operator/mlmodel-operator" \
  --insecure-registry "$REGISTRY" --metrics-bind-address 127.0.0.1:18080 \
  --health-probe-bind-address 127.0.0.1:18081
for _ in $(seq 1 100); do curl -sf 127.0.0.1:18081/readyz >/dev/null && break; sleep 0.2; done
curl -sf 127.0.0.1:18081/readyz >/dev/null || {
  tail -n 20 "$MLMODEL_CLUSTER_DIR/logs/operator.log" >&2
  die "the operator did not become ready"
}

step "Pushing three versions of a model image to the local registry ($REGISTRY/models/fraud)"
for v in 1.0.0 2.0.0 3.0.0; do
  echo "  fraud:$v -> $(hack/push-image.sh models/fraud "$v")"
done

step "Starting the model servers' metrics (KWOK runs no containers: tests/support/model_metrics.py plays them)"
MM_STATE=$MLMODEL_CLUSTER_DIR/model-metrics.json
MM="python3 $REPO_ROOT/tests/support/model_metrics.py"
echo '[]' >"$MM_STATE"
hack/cluster.sh run model-metrics python3 "$REPO_ROOT/tests/support/model_metrics.py" serve --port 18090 --state "$MM_STATE"
$MM register --port 18090 --name model-metrics-demo
$MM set --state "$MM_STATE" --model fraud-detector --namespace default --version 1.0.0 --error-rate 0.001
$MM set --state "$MM_STATE" --model fraud-detector --namespace default --version 2.0.0 --error-rate 0.002
$MM set --state "$MM_STATE" --model fraud-detector --namespace default --version 3.0.0 --error-rate 0.25
echo "  1.0.0 and 2.0.0 answer almost every request; 3.0.0 fails one in four"
for _ in $(seq 1 60); do
  curl -sf --get "$PROMETHEUS_URL/api/v1/query" --data-urlencode 'query=up{job="model-metrics-demo"}' | grep '"1"\]' >/dev/null && break
  sleep 0.5
done

# follow PREDICATE SECONDS: print the rollout as it moves (one line per change) and each
# new Event of the model, until PREDICATE holds.
seen_events=""
follow() {
  local pred=$1 limit=$2 last="" line end=$((SECONDS + $2))
  while :; do
    line=$(kubectl get mlmodel fraud-detector -o go-template='{{.status.phase}} | stable {{.status.stable.version}}{{with .status.canary}} | canary {{.version}} step {{.step}} weight {{.weight}}% (actual {{.actualWeight}}%){{with .analysis}} | analysis: {{.passed}} passed, {{.failed}} failed{{end}}{{end}}' 2>/dev/null || true)
    if [ "$line" != "$last" ]; then printf '  %s  %s\n' "$(date +%T)" "$line"; last=$line; fi
    while IFS=$'\t' read -r name reason msg; do
      [ -n "$name" ] || continue
      case " $seen_events " in *" $name "*) continue ;; esac
      seen_events="$seen_events $name"
      printf '  %s    event %-20s %s\n' "$(date +%T)" "$reason" "$msg"
    done < <(kubectl get events --field-selector involvedObject.kind=MLModel,involvedObject.name=fraud-detector \
      --sort-by=.metadata.creationTimestamp -o jsonpath='{range .items[*]}{.metadata.name}{"\t"}{.reason}{"\t"}{.message}{"\n"}{end}' 2>/dev/null)
    eval "$pred" && return 0
    [ $SECONDS -lt "$end" ] || die "the rollout did not get there within ${limit}s"
    sleep 1
  done
}
field() { kubectl get mlmodel fraud-detector -o jsonpath="$1"; }

step "v1: applying an MLModel with a canary rollout judged by the error rate in Prometheus"
model() {
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: fraud-detector, namespace: default}
spec:
  image: $REGISTRY/models/fraud:$1
  replicas: 4
  rollout:
    canary:
      steps: [{weight: 20, pause: 10s}, {weight: 50, pause: 10s}]
      analysis:
        interval: 5s
        failureLimit: 2
        prometheus: {address: "$PROMETHEUS_URL"}
        metrics:
        - name: error-rate
          query: >-
            sum(rate(model_requests_total{model="{{name}}",version="{{canary.version}}",code="500"}[15s]))
            / sum(rate(model_requests_total{model="{{name}}",version="{{canary.version}}"}[15s]))
          max: 0.05
          onNoData: Inconclusive
YAML
}
# A fresh start: a model left by an earlier demo would remember 2.0.0 as stable before.
kubectl delete mlmodel fraud-detector --ignore-not-found --wait=true >/dev/null
model 1.0.0 | tee /dev/stderr | kubectl apply -f - 2>&1 | sed 's/^/  /'
echo "  the first version needs no canary:"
follow '[ "$(field "{.status.conditions[?(@.type==\"Ready\")].status}")" = True ]' 120

step "v2 (healthy): canary 20% -> 50% -> promoted"
kubectl patch mlmodel fraud-detector --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/models/fraud:2.0.0\"}}" | sed 's/^/  /'
follow '[ "$(field "{.status.stable.version}")" = 2.0.0 ] && [ -z "$(field "{.status.canary.version}")" ]' 180

step "v3 (25% errors): canary, analysis fails twice, rolled back; v2 keeps serving"
kubectl patch mlmodel fraud-detector --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/models/fraud:3.0.0\"}}" | sed 's/^/  /'
follow '[ "$(field "{.status.conditions[?(@.type==\"Stalled\")].status}")" = True ]' 180
echo
echo "Why (status.conditions Stalled):"
echo "  $(field '{.status.conditions[?(@.type=="Stalled")].message}')"
echo
echo "What was deployed when (status.history):"
kubectl get mlmodel fraud-detector -o go-template='{{range .status.history}}  {{.finishedAt}}  {{printf "%-6s" .version}} {{printf "%-10s" .outcome}} {{.reason}}{{"\n"}}{{end}}'
echo
kubectl get mlmodel fraud-detector
echo
kubectl get deployment -l serving.mlops.dev/model=fraud-detector \
  -o custom-columns=DEPLOYMENT:.metadata.name,IMAGE:.spec.template.spec.containers[0].image,READY:.status.readyReplicas

cat <<MSG

The cluster, the operator and the metrics helper keep running. To explore:
  eval "\$(hack/cluster.sh env)"
  kubectl get mlm                      # MLModels, short name mlm
  kubectl describe mlmodel fraud-detector
  kubectl annotate mlmodel fraud-detector serving.mlops.dev/retry=1   # try 3.0.0 again
  curl -s 127.0.0.1:18080/metrics | grep -E '^mlmodel_'
To stop everything: make cluster-down
MSG
