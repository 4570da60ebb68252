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

step "Pushing a model image to the local registry ($REGISTRY/models/fraud:1.0.0)"
digest=$(hack/push-image.sh models/fraud 1.0.0)
echo "pushed; the registry says its digest is $digest"

step "Applying manifests/samples/fraud-detector.yaml"
sed "s#registry.example:5000#$REGISTRY#" manifests/samples/fraud-detector.yaml | kubectl apply -f -

step "Waiting for Ready (kubectl wait --for=condition=Ready mlmodel/fraud-detector)"
kubectl wait --for=condition=Ready mlmodel/fraud-detector --timeout=120s
kubectl get mlmodel fraud-detector
echo
kubectl get deployment,service,pods -l serving.mlops.dev/model=fraud-detector
echo
echo "The Deployment runs the image pinned to its digest:"
kubectl get deployment fraud-detector -o jsonpath='  {.spec.template.spec.containers[0].image}{"\n"}'
echo
echo "What happened, as Events:"
kubectl get events --field-selector involvedObject.kind=MLModel,involvedObject.name=fraud-detector \
  --sort-by=.metadata.creationTimestamp -o custom-columns=REASON:.reason,MESSAGE:.message

cat <<MSG

The cluster and the operator keep running. To explore:
  eval "\$(hack/cluster.sh env)"
  kubectl get mlm                      # MLModels, short name mlm
  kubectl describe mlmodel fraud-detector
  kubectl scale mlmodel fraud-detector --replicas=3
  curl -s 127.0.0.1:18080/metrics | grep -E '^(controller_runtime|mlmodel)_'
To stop everything: make cluster-down
MSG
