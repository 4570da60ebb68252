#!/usr/bin/env bash
# End to end: the manual gates and spec changes during a canary, against the real
# cluster and Prometheus: pause and resume, promote now, abort (then refused until a
# retry), a new spec mid-rollout restarts the canary, a spec back at stable ends it.
# Usage: canary-gates.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace gates
repo="e2e/gates-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0 5.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 3.0.0 4.0.0 5.0.0; do mm_set --model gm --namespace "$ns" --version "$v"; done
start_operator
model_yaml gm 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/gm --timeout=60s >/dev/null || fail_with "v1 not Ready"
patch_spec() { kubectl -n "$ns" patch mlmodel gm --type merge -p "$1" >/dev/null; }
canary_field() { jp mlmodel/gm "{.status.canary.$1}"; }

echo "-- pause (spec.rollout.paused, as Git would set it) holds the step; resume continues"
patch_spec '{"spec":{"rollout":{"paused":true}}}'
set_image gm 2.0.0
paused() { [ "$(canary_field phase)" = Paused ]; }
poll 30 paused || fail_with "the canary did not pause"
[ "$(cond gm Reconciling reason)" = Paused ] || fail_with "Reconciling reason $(cond gm Reconciling reason)"
# Held well past the step's pause (3 s) and several analysis rounds (every 2 s).
end=$((SECONDS + 8)); while [ $SECONDS -lt $end ]; do
  [ "$(canary_field step)" = 0 ] || fail_with "a paused rollout advanced"; sleep 1
done
patch_spec '{"spec":{"rollout":{"paused":false}}}'
poll 60 ready_at gm 2.0.0 || fail_with "resumed rollout not promoted"
has_event gm Paused && has_event gm Resumed || fail_with "no Paused/Resumed Events"

echo "-- promote now: the remaining steps are skipped"
kubectl -n "$ns" annotate mlmodel gm serving.mlops.dev/promote=3.0.0 >/dev/null
set_image gm 3.0.0
poll 30 ready_at gm 3.0.0 || fail_with "promote annotation did not promote"
has_event gm PromoteRequested "canary 3.0.0" || fail_with "no PromoteRequested Event"
# "No StepAdvanced" can only fail once every Event emitted before the promotion is out:
# wait for the last one, Promoted for 3.0.0 (lib.sh, has_event).
has_event gm Promoted "version 3.0.0" || fail_with "no Promoted Event for 3.0.0"
count_events gm StepAdvanced "canary 3.0.0"
[ "$event_count" = 0 ] || fail_with "steps advanced $event_count times for a promoted-now canary"

echo "-- abort: rolled back, refused until a retry"
set_image gm 4.0.0
poll 30 has_canary gm || fail_with "no canary for v4"
kubectl -n "$ns" annotate mlmodel gm serving.mlops.dev/abort=4.0.0 >/dev/null
aborted() { [ "$(cond gm Stalled reason)" = AbortRequested ] && no_canary gm; }
poll 30 aborted || fail_with "abort did not roll back"
last_outcome_is gm Aborted || fail_with "abort not in history"
stable_image_is gm 3.0.0 || fail_with "stable changed by an abort"
kubectl -n "$ns" annotate mlmodel gm serving.mlops.dev/abort- >/dev/null
end=$((SECONDS + 4)); while [ $SECONDS -lt $end ]; do
  no_canary gm || fail_with "an aborted version started again without a retry"; sleep 1
done
kubectl -n "$ns" annotate mlmodel gm serving.mlops.dev/retry=after-abort >/dev/null
poll 60 ready_at gm 4.0.0 || fail_with "retry after abort not promoted"

echo "-- a new spec mid-rollout restarts the canary from the new version"
set_image gm 5.0.0
poll 30 has_canary gm || fail_with "no canary for v5"
set_image gm 2.0.0  # was stable before: after the restart, no canary is needed at all
poll 30 ready_at gm 2.0.0 || fail_with "the new spec did not take over"
has_event gm CanaryRestarted || fail_with "no CanaryRestarted Event"
has_event gm CanarySkipped || fail_with "a version stable before went through a canary again"
stable_image_is gm 2.0.0 || fail_with "v2 not back by digest"

echo "-- a spec back at stable ends the canary at once"
set_image gm 5.0.0
poll 30 has_canary gm || fail_with "no canary for v5"
set_image gm 2.0.0
poll 15 no_canary gm || fail_with "the canary outlived a revert to stable"
has_event gm CanaryEnded || fail_with "no CanaryEnded Event"
kubectl -n "$ns" wait --for=condition=Ready mlmodel/gm --timeout=30s >/dev/null || fail_with "not Ready after the revert"
last_outcome_is gm Aborted || fail_with "the ended canary is not in history"
echo "ok: canary gates e2e"
