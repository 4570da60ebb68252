#!/usr/bin/env bash
# End to end: continuous verification. After a rollout the same kind of checks keep
# running on the stable version; when it quietly starts failing, the model turns
# Degraded (condition, Event, metric: 1) and, once it recovers, not (metric: 0); with
# rollbackOnFailure it rolls back to the previous stable digest from history. The
# measured value the operator exports is what the model servers play.
# Usage: monitoring.sh PATH-TO-mlmodel-operator
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
    rollbackOnFailure: false
    prometheus: {address: "$PROMETHEUS_URL"}
    metrics:
    - name: error-rate
      query: '$query'
      max: 0.05
YAML

# series_value METRIC LABEL=VALUE...: sets value to the sample of the operator's series
# METRIC with those labels: "none" when no series has them, "many" when several do.
series_value() {
  local metric=$1 all; shift
  all=$(curl -sf "127.0.0.1:$opport/metrics") || fail_with "the operator's /metrics does not answer"
  value=$(python3 -c '
import re, sys
metric, want = sys.argv[1], dict(a.split("=", 1) for a in sys.argv[2:])
found = []
for line in sys.stdin:
    m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line.strip())
    if not m or m.group(1) != metric:
        continue
    labels = dict(re.findall(r"(\w+)=\"((?:[^\"\\]|\\.)*)\"", m.group(2) or ""))
    if all(labels.get(k) == v for k, v in want.items()):
        found.append(m.group(3))
print(found[0] if len(found) == 1 else "many" if found else "none")' "$metric" "$@" <<<"$all")
}
_series_ok() {
  local pred=$1; shift
  series_value "$@"
  case $value in none | many) return 1 ;; esac
  python3 -c "import sys; v = float(sys.argv[1]); sys.exit(0 if ($pred) else 1)" "$value"
}
# wait_series SECONDS PREDICATE METRIC LABEL=VALUE...: until the series' value v satisfies
# the Python expression PREDICATE; value holds the last one read.
wait_series() { local limit=$1; shift; poll "$limit" _series_ok "$@"; }
of_mon=(namespace="$ns" name=mon)
stable_error_rate=(mlmodel_analysis_value "${of_mon[@]}" metric=error-rate track=stable)

kubectl -n "$ns" wait --for=condition=Ready mlmodel/mon --timeout=60s >/dev/null || fail_with "v1 not Ready"
set_image mon 2.0.0
poll 60 ready_at mon 2.0.0 || fail_with "v2 not rolled out"
checked() { [ "$(jp mlmodel/mon '{.status.monitoring.passed}')" -ge 1 ] 2>/dev/null; }
poll 30 checked || fail_with "monitoring never passed a round on v2"
wait_series 10 'v == 0' mlmodel_degraded "${of_mon[@]}" || fail_with "mlmodel_degraded of the healthy v2 is $value, want 0"
wait_series 20 'v == 0' "${stable_error_rate[@]}" || fail_with "the measured error rate of v2 is $value, want 0"

echo "-- v2 starts failing quietly (40% errors): Degraded (condition, Events, metrics)"
mm_set --model mon --namespace "$ns" --version 2.0.0 --error-rate 0.4
degraded() { [ "$(cond mon Degraded status)" = True ]; }
poll 60 degraded || fail_with "the failing v2 did not turn Degraded"
wait_series 10 'v == 1' mlmodel_degraded "${of_mon[@]}" || fail_with "mlmodel_degraded of the degraded v2 is $value, want 1"
# What the operator measured is what the model servers play, once the 10 s rate has
# only failing traffic in it.
wait_series 30 'abs(v - 0.4) < 0.01' "${stable_error_rate[@]}" ||
  fail_with "the measured error rate of v2 is $value, want 0.4"
has_event mon MonitoringCheckFailed "error-rate" || fail_with "no MonitoringCheckFailed Event"
has_event mon Degraded "version 2.0.0" || fail_with "no Degraded Event"
stable_version_is mon 2.0.0 || fail_with "rolled back although rollbackOnFailure is false"

echo "-- v2 recovers: no longer Degraded, the metric says 0 again"
mm_set --model mon --namespace "$ns" --version 2.0.0 --error-rate 0
recovered() { [ "$(cond mon Degraded status)" != True ]; }
poll 60 recovered || fail_with "v2 stayed Degraded after it recovered"
wait_series 10 'v == 0' mlmodel_degraded "${of_mon[@]}" || fail_with "mlmodel_degraded of the recovered v2 is $value, want 0"
has_event mon Recovered || fail_with "no Recovered Event"
wait_series 30 'v == 0' "${stable_error_rate[@]}" || fail_with "the measured error rate of the recovered v2 is $value, want 0"

echo "-- with rollbackOnFailure, v2 failing again is rolled back to v1"
kubectl -n "$ns" patch mlmodel mon --type merge -p '{"spec":{"monitoring":{"rollbackOnFailure":true}}}' >/dev/null
mm_set --model mon --namespace "$ns" --version 2.0.0 --error-rate 0.4
rolled_back() { stable_version_is mon 1.0.0 && stable_image_is mon 1.0.0; }
poll 60 rolled_back || fail_with "the degraded v2 was not rolled back"
has_event mon RolledBack "degraded version 2.0.0" || fail_with "no RolledBack Event"
# Both episodes are Events: counted once RolledBack, emitted after the second, is out.
count_events mon Degraded "version 2.0.0"
[ "$event_count" -ge 2 ] || fail_with "$event_count Degraded Events for v2, want one per episode (2)"
last_outcome_is mon RolledBack || fail_with "history lacks the rollback"
[ "$(jp mlmodel/mon '{.status.history[-1:].reason}')" = Degraded ] || fail_with "history reason"
[ "$(cond mon Stalled reason)" = Degraded ] || fail_with "Stalled reason $(cond mon Stalled reason)"
wait_series 10 'v == 0' mlmodel_degraded "${of_mon[@]}" || fail_with "mlmodel_degraded after the rollback is $value, want 0"
# Refused: v2 is not rolled out again by itself.
end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
  stable_version_is mon 1.0.0 || fail_with "the degraded version came back by itself"; sleep 1
done

echo "-- while the spec still names the refused v2, v1 (rolled back to) is monitored"
# The rollback starts v1's monitoring afresh (passed 0); rounds on v1 count from there.
v1_checked() { [ "$(jp mlmodel/mon '{.status.monitoring.passed}')" -ge 1 ] 2>/dev/null && stable_version_is mon 1.0.0; }
poll 30 v1_checked || fail_with "no monitoring round passed on v1 after the rollback"
wait_series 10 'v == 0' "${stable_error_rate[@]}" || fail_with "the measured error rate of v1 is $value, want 0 (v2's last value kept?)"
[ "$(cond mon Stalled reason)" = Degraded ] || fail_with "the refused v2 is no longer reported"

echo "-- the spec back at v1 (as Git would be reverted): v1 stays monitored, healthy, Ready"
set_image mon 1.0.0
passed_before=$(jp mlmodel/mon '{.status.monitoring.passed}')
more_rounds() { [ "$(jp mlmodel/mon '{.status.monitoring.passed}')" -gt "$passed_before" ] 2>/dev/null; }
poll 30 more_rounds || fail_with "monitoring stopped after the revert (passed $passed_before)"
kubectl -n "$ns" wait --for=condition=Ready mlmodel/mon --timeout=30s >/dev/null || fail_with "v1 not Ready after the revert"
wait_series 10 'v == 0' mlmodel_degraded "${of_mon[@]}" || fail_with "mlmodel_degraded of the healthy v1 is $value, want 0"
echo "ok: monitoring e2e"
