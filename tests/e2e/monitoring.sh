#!/usr/bin/env bash
# End to end: continuous verification. After a rollout the same kind of checks keep
# running on the stable version; when it quietly starts failing, the model turns
# Degraded (condition, Event, metric) and, as asked, rolls back to the previous stable
# digest from history. Usage: monitoring.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace monitoring
repo="e2e/monitoring-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0; do mm_set --model mon --namespace "$ns" --version "$v"; done
start_operator
query=${ERROR_RATE_QUERY//canary.version/stable.version}
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: mon}
spec:
  image: "$REGISTRY/$repo:1.0.0"
  replicas: 2
  monitoring:
    enabled: true
    interval: 2s
    failureLimit: 2
    rollbackOnFailure: true
    prometheus: {address: "$PROMETHEUS_URL"}
    metrics:
    - name: error-rate
      query: '$query'
      max: 0.05
YAML
kubectl -n "$ns" wait --for=condition=Ready mlmodel/mon --timeout=60s >/dev/null || fail_with "v1 not Ready"
set_image mon 2.0.0
poll 60 ready_at mon 2.0.0 || fail_with "v2 not rolled out"
checked() { [ "$(jp mlmodel/mon '{.status.monitoring.passed}')" -ge 1 ] 2>/dev/null; }
poll 30 checked || fail_with "monitoring never passed a round on v2"

echo "-- v2 starts failing quietly: Degraded, then rolled back to v1"
mm_set --model mon --namespace "$ns" --version 2.0.0 --error-rate 0.4
rolled_back() { stable_version_is mon 1.0.0 && stable_image_is mon 1.0.0; }
poll 60 rolled_back || fail_with "the degraded v2 was not rolled back"
has_event mon MonitoringCheckFailed || fail_with "no MonitoringCheckFailed Event"
has_event mon Degraded || fail_with "no Degraded Event"
has_event mon RolledBack || fail_with "no RolledBack Event"
last_outcome_is mon RolledBack || fail_with "history lacks the rollback"
[ "$(jp mlmodel/mon '{.status.history[-1:].reason}')" = Degraded ] || fail_with "history reason"
[ "$(cond mon Stalled reason)" = Degraded ] || fail_with "Stalled reason $(cond mon Stalled reason)"
curl -sf "127.0.0.1:$opport/metrics" | grep -E "^mlmodel_degraded\{.*name=\"mon\"" >/dev/null ||
  fail_with "no mlmodel_degraded metric"
curl -sf "127.0.0.1:$opport/metrics" | grep -E "^mlmodel_analysis_value\{.*metric=\"error-rate\".*track=\"stable\"" >/dev/null ||
  fail_with "no mlmodel_analysis_value metric for the stable track"
# Refused: v2 is not rolled out again by itself.
end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
  stable_version_is mon 1.0.0 || fail_with "the degraded version came back by itself"; sleep 1
done
echo "ok: monitoring e2e"
