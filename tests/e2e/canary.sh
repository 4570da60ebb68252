#!/usr/bin/env bash
# End to end: canary rollouts judged by the real Prometheus. A helper plays the model
# servers' metrics (request counters by version) and is scraped like any target.
#   v1 deployed directly; v2 healthy walks both steps and is promoted; v3 with a 50%
#   error rate is rolled back at failureLimit; a retry of v3 once healthy is promoted;
#   an operator killed mid-canary resumes without a duplicate canary or a repeated step.
# Usage: canary.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace canary
repo="e2e/canary-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 4.0.0; do mm_set --model fraud --namespace "$ns" --version "$v" --error-rate 0; done
mm_set --model fraud --namespace "$ns" --version 3.0.0 --error-rate 0.5
start_operator

echo "-- v1: the first version is deployed without a canary"
model_yaml fraud 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=60s >/dev/null || fail_with "v1 not Ready"
no_canary fraud || fail_with "a canary for the first version"
last_outcome_is fraud Promoted || fail_with "v1 not in history"

echo "-- v2 (healthy): canary at 25%, then 50%, analysed, promoted"
set_image fraud 2.0.0
poll 30 has_canary fraud || fail_with "no canary Deployment for v2"
stable_image_is fraud 1.0.0 || fail_with "stable touched during the canary"
[ "$(jp deploy/fraud-canary '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@${DIGEST[2.0.0]}" ] ||
  fail_with "the canary does not run v2 by digest"
[ "$(cond fraud Reconciling status)" = True ] || fail_with "Reconciling not True during the canary"
poll 90 ready_at fraud 2.0.0 || fail_with "v2 not promoted"
stable_image_is fraud 2.0.0 || fail_with "stable does not run v2 by digest after promotion"
for r in CanaryStarted AnalysisPassed StepAdvanced Promoting Promoted; do
  has_event fraud "$r" || fail_with "no $r Event"
done
last_outcome_is fraud Promoted || fail_with "v2 promotion not in history"
value=$(jp mlmodel/fraud '{.status.history[-1:].message}')
echo "   promoted: $value"

echo "-- v3 (50% errors): rolled back at failureLimit, stable untouched, Stalled says why"
set_image fraud 3.0.0
poll 30 has_canary fraud || fail_with "no canary Deployment for v3"
rolled_back() { [ "$(cond fraud Stalled status)" = True ] && no_canary fraud; }
poll 90 rolled_back || fail_with "v3 not rolled back"
[ "$(cond fraud Stalled reason)" = AnalysisFailed ] || fail_with "Stalled reason $(cond fraud Stalled reason)"
msg=$(cond fraud Stalled message)
case $msg in *error-rate*0.5*) ;; *) fail_with "Stalled message lacks the measured value: $msg" ;; esac
echo "   stalled: $msg"
stable_image_is fraud 2.0.0 || fail_with "stable changed by a rolled-back canary"
last_outcome_is fraud RolledBack || fail_with "rollback not in history"
has_event fraud AnalysisFailed || fail_with "no AnalysisFailed Event"
has_event fraud RolledBack || fail_with "no RolledBack Event"
[ "$(cond fraud Ready status)" = False ] || fail_with "Ready while the spec's version was refused"
kubectl -n "$ns" get mlmodel fraud -o jsonpath='{.status.history[-1:].message}' | grep failureLimit >/dev/null ||
  fail_with "history does not explain the rollback"
# Refused for good: no new canary without a retry.
sleep_until=$((SECONDS + 5)); while [ $SECONDS -lt $sleep_until ]; do
  no_canary fraud || fail_with "a rolled-back version started again by itself"; sleep 1
done

echo "-- retry of v3 once it is healthy: a fresh canary, promoted"
mm_set --model fraud --namespace "$ns" --version 3.0.0 --error-rate 0
# The helper's counters keep their past errors: wait until the 10 s rate forgets them.
mm_wait_query 'sum(rate(model_requests_total{version="3.0.0",code="500",namespace="'"$ns"'"}[10s]))' 'v == 0' 60 ||
  fail "the error rate of v3 did not fall to 0"
kubectl -n "$ns" annotate mlmodel fraud serving.mlops.dev/retry=1 >/dev/null
poll 30 has_canary fraud || fail_with "retry did not start a canary"
poll 90 ready_at fraud 3.0.0 || fail_with "retried v3 not promoted"
has_event fraud RetryRequested || fail_with "no RetryRequested Event"
[ "$(jp mlmodel/fraud '{.status.lastRetry}')" = 1 ] || fail_with "lastRetry not recorded"

echo "-- the operator killed mid-canary resumes: one canary, no step repeated"
set_image fraud 4.0.0
at_step2() { [ "$(jp mlmodel/fraud '{.status.canary.step}')" = 1 ]; }
poll 60 at_step2 || fail_with "v4 never reached step 2"
stop_operator -KILL
start_operator
poll 90 ready_at fraud 4.0.0 || fail_with "v4 not promoted after the restart"
# The model's Deployments only (with E2E_OPERATOR=pod the operator's own is there too).
[ "$(kubectl -n "$ns" get deploy -o name | grep -c '^deployment.apps/fraud')" = 1 ] ||
  fail_with "objects left: $(kubectl -n "$ns" get deploy)"
# A repeated step could still be queued: count once the later Promoted Event of v4 is out
# (one model's Events are sent in order; lib.sh, has_event).
has_event fraud Promoted "version 4.0.0" || fail_with "no Promoted Event for v4"
count_events fraud StepAdvanced "canary 4.0.0"
[ "$event_count" = 1 ] || fail_with "v4 advanced $event_count times (want exactly 1 of its 2 steps)"
echo "ok: canary e2e"
