#!/usr/bin/env bash
# End to end: MLModels whose manifests leave spec.replicas out, as the README advises when
# an HPA owns scaling. As for a Deployment, the count is then 1 and the scale subresource
# sets it:
#   - applied without replicas: defaulted to 1, Ready at 1 (it used to stay Progressing);
#   - the Deployment scaled by hand: put back to the model's count, Ready again;
#   - kubectl scale mlmodel: the scale subresource sets spec.replicas, Ready at that count;
#   - a canary of such a model: sized from that count, promoted, the count kept;
#   - a HorizontalPodAutoscaler targeting the MLModel: AbleToScale, scales it to minReplicas.
# Usage: replicas-unset.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace replicas
repo="e2e/replicas-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0; do mm_set --model canaried --namespace "$ns" --version "$v" --error-rate 0; done
start_operator

# unset_yaml NAME TAG [canary]: an MLModel without spec.replicas.
unset_yaml() {
  if [ "${3:-}" = canary ]; then
    model_yaml "$1" "$2" | grep -v '^  replicas:'
  else
    printf 'apiVersion: serving.mlops.dev/v1alpha1\nkind: MLModel\nmetadata: {name: %s}\nspec:\n  image: "%s"\n' \
      "$1" "$REGISTRY/$repo:$2"
  fi
}
# ready_with NAME N: Ready, with N replicas in status and N ready, at the current generation.
ready_with() {
  [ "$(cond "$1" Ready status)" = True ] &&
    [ "$(jp "mlmodel/$1" '{.status.replicas}/{.status.readyReplicas}')" = "$2/$2" ] &&
    [ "$(jp "mlmodel/$1" '{.status.observedGeneration}')" = "$(jp "mlmodel/$1" '{.metadata.generation}')" ]
}
show() { jp "mlmodel/$1" '{.status.phase} {.status.replicas}/{.status.readyReplicas} {.status.conditions[?(@.type=="Ready")].message}'; }

echo "-- applied without replicas: defaulted to 1, Ready at 1"
unset_yaml plain 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
[ "$(jp mlmodel/plain '{.spec.replicas}')" = 1 ] || fail "spec.replicas not defaulted to 1: '$(jp mlmodel/plain '{.spec.replicas}')'"
kubectl -n "$ns" wait --for=condition=Ready mlmodel/plain --timeout=60s >/dev/null ||
  fail_with "a model without replicas never turned Ready: $(show plain)"
poll 20 ready_with plain 1 || fail_with "status does not count the Deployment's 1 replica: $(show plain)"
[ "$(jp deploy/plain '{.spec.replicas}')" = 1 ] || fail_with "Deployment replicas $(jp deploy/plain '{.spec.replicas}')"
[ "$(jp mlmodel/plain '{.status.phase}')" = Ready ] || fail_with "phase $(show plain)"
echo "   $(show plain)"

echo "-- the Deployment scaled by hand: put back to the model's 1"
kubectl -n "$ns" scale deploy/plain --replicas=3 >/dev/null
poll 30 eval '[ "$(jp deploy/plain "{.spec.replicas}")" = 1 ]' ||
  fail_with "the Deployment's replicas were not put back: $(jp deploy/plain '{.spec.replicas}')"
poll 60 ready_with plain 1 || fail_with "not Ready at 1 again: $(show plain)"

echo "-- kubectl scale mlmodel: the scale subresource sets spec.replicas, Ready at 2"
kubectl -n "$ns" scale mlmodel/plain --replicas=2 >/dev/null
[ "$(jp mlmodel/plain '{.spec.replicas}')" = 2 ] || fail "kubectl scale did not set spec.replicas"
poll 60 ready_with plain 2 || fail_with "not Ready at 2 after kubectl scale: $(show plain)"
[ "$(jp deploy/plain '{.spec.replicas}')" = 2 ] || fail_with "Deployment not scaled to 2"
echo "   $(show plain)"

echo "-- a canary of a model without replicas, scaled to 3: canary sized from 3, promoted, 3 kept"
unset_yaml canaried 1.0.0 canary | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/canaried --timeout=60s >/dev/null ||
  fail_with "canaried v1 not Ready: $(show canaried)"
kubectl -n "$ns" scale mlmodel/canaried --replicas=3 >/dev/null
poll 60 ready_with canaried 3 || fail_with "canaried not Ready at 3: $(show canaried)"
set_image canaried 2.0.0
poll 30 has_canary canaried || fail_with "no canary Deployment for v2"
# Step 1 at weight 25 beside 3 stable pods: round(3 * 25 / 75) = 1 canary pod.
[ "$(jp deploy/canaried-canary '{.spec.replicas}')" = 1 ] ||
  fail_with "canary replicas at 25%: $(jp deploy/canaried-canary '{.spec.replicas}') (want 1)"
at_step2() { [ "$(jp mlmodel/canaried '{.status.canary.step}')" = 1 ]; }
poll 60 at_step2 || fail_with "the canary never reached step 2: $(jp mlmodel/canaried '{.status.canary.message}')"
# Step 2 at weight 50: round(3 * 50 / 50) = 3.
poll 30 eval '[ "$(jp deploy/canaried-canary "{.spec.replicas}")" = 3 ]' ||
  fail_with "canary replicas at 50%: $(jp deploy/canaried-canary '{.spec.replicas}') (want 3)"
poll 90 ready_at canaried 2.0.0 || fail_with "v2 not promoted: $(show canaried)"
stable_image_is canaried 2.0.0 || fail_with "stable does not run v2 after promotion"
[ "$(jp deploy/canaried '{.spec.replicas}')" = 3 ] ||
  fail_with "promotion changed the stable replicas to $(jp deploy/canaried '{.spec.replicas}')"
poll 30 ready_with canaried 3 || fail_with "not Ready at 3 after promotion: $(show canaried)"
echo "   $(show canaried)"

echo "-- a HorizontalPodAutoscaler targeting the MLModel: AbleToScale, scales it to minReplicas"
unset_yaml scaled 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/scaled --timeout=60s >/dev/null ||
  fail_with "scaled not Ready: $(show scaled)"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: scaled}
spec:
  scaleTargetRef: {apiVersion: serving.mlops.dev/v1alpha1, kind: MLModel, name: scaled}
  minReplicas: 2
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
YAML
hpa_cond() { jp hpa/scaled "{.status.conditions[?(@.type==\"$1\")].status}"; }
poll 60 eval '[ "$(hpa_cond AbleToScale)" = True ]' ||
  fail_with "HPA AbleToScale: $(kubectl -n "$ns" get hpa scaled -o yaml | tail -30)"
# Below minReplicas, the HPA scales without metrics (this cluster has no metrics API).
poll 60 eval '[ "$(jp mlmodel/scaled "{.spec.replicas}")" = 2 ]' ||
  fail_with "the HPA did not scale the MLModel: $(kubectl -n "$ns" get hpa scaled -o yaml | tail -30)"
poll 60 ready_with scaled 2 || fail_with "not Ready at the HPA's 2: $(show scaled)"
# The HPA reads the count back from the scale subresource (status.replicas) on its next sync.
poll 60 eval '[ "$(jp hpa/scaled "{.status.currentReplicas}")" = 2 ]' ||
  fail_with "the HPA reads $(jp hpa/scaled '{.status.currentReplicas}') current replicas (want 2)"
echo "   $(show scaled); HPA current $(jp hpa/scaled '{.status.currentReplicas}')"
echo "ok: replicas-unset e2e"
