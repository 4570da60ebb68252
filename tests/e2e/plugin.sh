#!/usr/bin/env bash
# End to end: the kubectl plugin against the local cluster, a running operator and the
# real Prometheus. Every command: status, history, set image --wait, wait (0 promoted,
# 1 rolled back or stalled, 2 timed out), promote, abort, retry, pause, resume, rollback.
# Usage: plugin.sh PATH-TO-mlmodel-operator PATH-TO-kubectl-mlmodel
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
PLUGIN=${2:?kubectl-mlmodel binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace plugin
repo="e2e/plugin-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0 5.0.0 6.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 4.0.0 5.0.0 6.0.0; do mm_set --model pm --namespace "$ns" --version "$v"; done
mm_set --model pm --namespace "$ns" --version 3.0.0 --error-rate 0.5
start_operator
model_yaml pm 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
# As kubectl finds plugins: kubectl-mlmodel on PATH makes `kubectl mlmodel`.
mkdir -p "$E2E_TMP/bin" && cp "$PLUGIN" "$E2E_TMP/bin/kubectl-mlmodel"
export PATH="$E2E_TMP/bin:$PATH"
km() { kubectl mlmodel "$@" -n "$ns"; }
out=$E2E_TMP/out

echo "-- wait: 0 once the first version is Ready"
km wait pm --timeout 60s >"$out" 2>&1 || fail_with "wait failed: $(cat "$out")"
grep "version 1.0.0 is promoted and Ready" "$out" >/dev/null || fail_with "wait said: $(cat "$out")"

echo "-- set image --wait: 0 when the canary is promoted"
km set image pm "$REGISTRY/$repo:2.0.0" --wait --timeout 90s >"$out" 2>&1 ||
  fail_with "set image 2.0.0 --wait failed: $(cat "$out")"
grep "version 2.0.0 is promoted and Ready" "$out" >/dev/null || fail_with "said: $(cat "$out")"
km status pm >"$out" || fail_with "status failed"
grep "stable:  2.0.0" "$out" >/dev/null || fail_with "status: $(cat "$out")"

echo "-- set image --wait: 1 with the reason when the canary is rolled back"
rc=0; km set image pm "$REGISTRY/$repo:3.0.0" --wait --timeout 90s >"$out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail_with "exit $rc for a rolled-back version: $(cat "$out")"
grep "failed: AnalysisFailed" "$out" >/dev/null || fail_with "no reason: $(cat "$out")"

echo "-- history and rollback --to-revision"
km history pm >"$out"
[ "$(grep -c -E '^[0-9]+ ' "$out")" = 3 ] || fail_with "history: $(cat "$out")"
grep -E '^3 +3\.0\.0 .*RolledBack +[^ ]+ +AnalysisFailed' "$out" >/dev/null || fail_with "history: $(cat "$out")"
km rollback pm --to-revision 1 >"$out" || fail_with "rollback failed"
km wait pm --timeout 60s >"$out" 2>&1 || fail_with "wait after rollback: $(cat "$out")"
stable_image_is pm 1.0.0 || fail_with "rollback did not run 1.0.0 by digest"
has_event pm CanarySkipped || fail_with "a version in history went through a canary"
rc=0; km rollback pm --to-revision 9 >"$out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep "no revision 9" "$out" >/dev/null || fail_with "bad revision: exit $rc $(cat "$out")"

echo "-- pause, wait --timeout (2), resume"
km pause pm >/dev/null
km set image pm "$REGISTRY/$repo:4.0.0" >/dev/null
paused() { km status pm | grep -E 'canary: +4\.0\.0 .*Paused' >/dev/null; }
poll 30 paused || fail_with "not paused: $(km status pm)"
rc=0; km wait pm --timeout 2s >"$out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail_with "wait on a paused rollout exited $rc: $(cat "$out")"
km resume pm >/dev/null
km wait pm --timeout 90s >"$out" 2>&1 || fail_with "resumed rollout: $(cat "$out")"

echo "-- promote"
km set image pm "$REGISTRY/$repo:5.0.0" >/dev/null
poll 30 has_canary pm || fail_with "no canary for 5.0.0"
km promote pm >"$out" || fail_with "promote failed"
grep "promoting canary 5.0.0" "$out" >/dev/null || fail_with "promote said: $(cat "$out")"
km wait pm --timeout 30s >/dev/null 2>&1 || fail_with "promoted 5.0.0 not Ready"
has_event pm PromoteRequested || fail_with "no PromoteRequested Event"

echo "-- abort (wait: 1), retry (wait: 0)"
km set image pm "$REGISTRY/$repo:6.0.0" >/dev/null
poll 30 has_canary pm || fail_with "no canary for 6.0.0"
km abort pm >/dev/null || fail_with "abort failed"
rc=0; km wait pm --timeout 30s >"$out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep AbortRequested "$out" >/dev/null || fail_with "after abort: exit $rc $(cat "$out")"
kubectl -n "$ns" annotate mlmodel pm serving.mlops.dev/abort- >/dev/null
km retry pm >/dev/null || fail_with "retry failed"
km wait pm --timeout 90s >"$out" 2>&1 || fail_with "retried 6.0.0: $(cat "$out")"
rc=0; km promote pm >"$out" 2>&1 || rc=$?
[ "$rc" = 1 ] && grep "no canary running" "$out" >/dev/null || fail_with "promote without a canary: $(cat "$out")"
echo "ok: plugin e2e"
