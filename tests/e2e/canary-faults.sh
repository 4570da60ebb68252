#!/usr/bin/env bash
# End to end: what the analysis does without evidence. A Prometheus of the test's own
# (Debian's binary, scraping model_metrics.py) is stopped mid-analysis: the canary is
# rolled back after consecutiveErrorLimit, never promoted. No data follows onNoData
# (Fail rolls back, Inconclusive holds, Pass passes). A canary whose pods never turn
# Ready is rolled back at its progressDeadline.
# Usage: canary-faults.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace faults
repo="e2e/faults-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0 5.0.0 6.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 5.0.0 6.0.0; do mm_set --model fm --namespace "$ns" --version "$v"; done
# 3.0.0 and 4.0.0 export nothing: their queries return no data.

echo "-- a Prometheus of our own, stopped during the analysis"
private_prometheus
poll 30 curl -sf "127.0.0.1:$pport/-/ready" >/dev/null || fail "private Prometheus not ready: $(tail "$E2E_TMP/prom.log")"
start_operator
PROM_FOR_MODEL="http://127.0.0.1:$pport" model_yaml fm 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fm --timeout=60s >/dev/null || fail_with "v1 not Ready"
# Wait until our Prometheus has enough samples for the 10 s rate of v2.
PROMETHEUS_URL="http://127.0.0.1:$pport" mm_wait_query \
  "sum(rate(model_requests_total{namespace=\"$ns\",version=\"2.0.0\"}[10s]))" 'v > 0' 30 ||
  fail "our Prometheus has no rate for v2"
set_image fm 2.0.0
one_pass() { [ "$(jp mlmodel/fm '{.status.canary.analysis.passed}')" -ge 1 ] 2>/dev/null; }
poll 30 one_pass || fail_with "no analysis passed before the fault"
kill "$prom"; wait "$prom" 2>/dev/null || true
failed_safe() { [ "$(cond fm Stalled reason)" = AnalysisErrors ] && no_canary fm; }
poll 60 failed_safe || fail_with "Prometheus down did not fail safe"
stable_image_is fm 1.0.0 || fail_with "promoted without evidence"
last_outcome_is fm RolledBack || fail_with "not rolled back in history"
has_event fm AnalysisError || fail_with "no AnalysisError Event"
echo "   $(cond fm Stalled message | cut -c1-200)"
kubectl -n "$ns" delete mlmodel fm --wait=true >/dev/null

echo "-- no data with onNoData: Fail rolls back, saying there was no data"
ON_NO_DATA=Fail model_yaml nd 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/nd --timeout=60s >/dev/null || fail_with "nd v1 not Ready"
set_image nd 3.0.0
nd_failed() { [ "$(cond nd Stalled reason)" = AnalysisFailed ] && no_canary nd; }
poll 60 nd_failed || fail_with "no data with onNoData Fail did not roll back"
case $(cond nd Stalled message) in *"no data"*) ;; *) fail_with "message does not say no data: $(cond nd Stalled message)" ;; esac

echo "-- no data with onNoData: Inconclusive holds the canary (never promotes)"
kubectl -n "$ns" patch mlmodel nd --type json -p '[{"op":"replace","path":"/spec/rollout/canary/analysis/metrics/0/onNoData","value":"Inconclusive"}]' >/dev/null
set_image nd 4.0.0
three_rounds() { [ "$(jp mlmodel/nd '{.status.canary.analysis.inconclusive}')" -ge 3 ] 2>/dev/null; }
poll 60 three_rounds || fail_with "no inconclusive rounds"
[ "$(jp mlmodel/nd '{.status.canary.step}')" = 0 ] || fail_with "advanced without evidence"
has_canary nd || fail_with "the canary went away"
stable_version_is nd 1.0.0 || fail_with "promoted without evidence"
has_event nd AnalysisInconclusive || fail_with "no AnalysisInconclusive Event"

echo "-- no data with onNoData: Pass lets it through"
kubectl -n "$ns" patch mlmodel nd --type json -p '[{"op":"replace","path":"/spec/rollout/canary/analysis/metrics/0/onNoData","value":"Pass"}]' >/dev/null
poll 60 ready_at nd 4.0.0 || fail_with "onNoData Pass did not promote"

echo "-- a canary that never turns Ready is rolled back at its progressDeadline"
PROGRESS_DEADLINE=5s model_yaml pd 5.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/pd --timeout=60s >/dev/null || fail_with "pd v5 not Ready"
kubectl -n "$ns" patch mlmodel pd --type merge \
  -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:6.0.0\",\"nodeSelector\":{\"no-such-node\":\"true\"}}}" >/dev/null
deadline() { [ "$(cond pd Stalled reason)" = ProgressDeadlineExceeded ] && no_canary pd; }
poll 60 deadline || fail_with "the unschedulable canary was not rolled back"
stable_version_is pd 5.0.0 || fail_with "stable changed"
[ "$(jp deploy/pd '{.status.readyReplicas}')" = 2 ] || fail_with "stable lost pods"
echo "ok: canary faults e2e"
