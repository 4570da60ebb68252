#!/usr/bin/env bash
# Leader election end to end: two operator processes with --leader-elect, each running as a
# ServiceAccount of its own in the namespace the API server audits (hack/cluster.sh), so the
# audit log says which process wrote what, and when.
#   1. The leader is frozen (SIGSTOP) with reconciles in flight, past its lease; the other
#      takes over and reconciles the changes made meanwhile.
#   2. The frozen one is resumed (SIGCONT): it must write nothing more (its fence is shut
#      by its own clock before its watchdog even wakes) and exit 1 without draining.
#   3. The new leader is killed (-9) mid-canary; a third process takes over and finishes the
#      rollout with each step taken once (one Event each).
#   4. SIGTERM to the leader: it exits 0 within its grace period and hands the Lease over
#      (no holder).
# Usage: leader-fence.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"
[ -n "${MLMODEL_AUDIT_LOG:-}" ] && [ -f "$MLMODEL_AUDIT_LOG" ] ||
  fail "no audit log (MLMODEL_AUDIT_LOG=${MLMODEL_AUDIT_LOG:-}): restart the cluster with hack/cluster.sh up"
install_crd
e2e_namespace fence
repo="e2e/fence-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
LEASE=fence-leader

# The audited identities (cluster-admin here: tests/rbac proves the shipped roles suffice).
AUDIT_NS=mlmodel-audit
kubectl create namespace "$AUDIT_NS" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
suffix=$RANDOM
kubeconfig_for() { # NAME: a kubeconfig with the token of ServiceAccount NAME
  local sa=$1 kc=$E2E_TMP/$1.kubeconfig
  kubectl -n "$AUDIT_NS" create serviceaccount "$sa" >/dev/null
  cleanups+=("kubectl -n $AUDIT_NS delete serviceaccount $sa --wait=false >/dev/null 2>&1")
  kubectl create clusterrolebinding "$sa" --clusterrole=cluster-admin \
    --serviceaccount="$AUDIT_NS:$sa" >/dev/null
  cleanups+=("kubectl delete clusterrolebinding $sa >/dev/null 2>&1")
  kubectl config view --raw --minify >"$kc"
  local user
  user=$(kubectl --kubeconfig "$kc" config view -o jsonpath='{.contexts[0].context.user}')
  kubectl --kubeconfig "$kc" config unset "users.$user" >/dev/null
  kubectl --kubeconfig "$kc" config set-credentials "$user" \
    --token="$(kubectl -n "$AUDIT_NS" create token "$sa" --duration 1h)" >/dev/null
  echo "$kc"
}
kcA=$(kubeconfig_for "op-a-$suffix")
kcB=$(kubeconfig_for "op-b-$suffix")

# start_instance NAME KUBECONFIG: sets pid_NAME, log in $E2E_TMP/NAME.log
start_instance() {
  local name=$1 kc=$2 ports
  read -r -a ports <<<"$(free_ports 2)"
  KUBECONFIG=$kc "$OPERATOR" --namespace "$ns" --insecure-registry "$REGISTRY" --log-level debug \
    --leader-elect --leader-election-namespace "$ns" --leader-election-id "$LEASE" \
    --metrics-bind-address "127.0.0.1:${ports[0]}" \
    --health-probe-bind-address "127.0.0.1:${ports[1]}" >>"$E2E_TMP/$name.log" 2>&1 &
  eval "pid_$name=$!"
  cleanups+=("kill -CONT $! 2>/dev/null; kill -KILL $! 2>/dev/null")
  poll 30 curl -sf "127.0.0.1:${ports[1]}/readyz" >/dev/null ||
    fail "$name not ready: $(tail "$E2E_TMP/$name.log")"
}
identity_of() { sed -n 's/.*will contend for lease .* as \([^ ]*\) once.*/\1/p' "$E2E_TMP/$1.log" | head -1; }
holder() { kubectl -n "$ns" get lease "$LEASE" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(holder)" = "$1" ]; }
models_at() { # VERSION COUNT: COUNT models whose stable version is VERSION
  [ "$(kubectl -n "$ns" get mlmodels -o jsonpath='{range .items[*]}{.status.stable.version}{"\n"}{end}' | grep -c "^$1\$")" = "$2" ]
}
apply_models() { # TAG COUNT
  local i
  for ((i = 0; i < $2; i++)); do
    printf -- '---\napiVersion: serving.mlops.dev/v1alpha1\nkind: MLModel\nmetadata: {name: m%d}\nspec: {image: "%s/%s:%s", replicas: 1}\n' \
      "$i" "$REGISTRY" "$repo" "$1"
  done | kubectl -n "$ns" apply -f - >/dev/null
}

echo "-- A leads; B waits with its caches synced"
start_instance A "$kcA"
idA=$(identity_of A)
poll 30 holder_is "$idA" || fail "A ($idA) never led: holder '$(holder)'"
start_instance B "$kcB"
idB=$(identity_of B)
[ -n "$idA" ] && [ -n "$idB" ] && [ "$idA" != "$idB" ] || fail "identities: '$idA' '$idB'"
apply_models 1.0.0 20
poll 60 models_at 1.0.0 20 || fail "A did not reconcile the models"
holder_is "$idA" || fail "the lease moved to '$(holder)' while A was healthy"

echo "-- A frozen with reconciles in flight, past its lease; B takes over"
apply_models 2.0.0 20 # A's workers pick these up ...
kill -STOP "$pid_A"   # ... and stop wherever they are
t_stop=$(date -u +%s.%N)
poll 40 holder_is "$idB" || fail "B never took the lease (holder '$(holder)')"
t_takeover=$(date -u +%s.%N)
poll 60 models_at 2.0.0 20 || fail "B did not finish the rollout A left: $(kubectl -n "$ns" get mlmodels)"
# Changes A has not seen: its watches will deliver them the moment it runs again.
kubectl -n "$ns" scale mlmodel m0 m1 m2 m3 --replicas=2 >/dev/null

echo "-- A resumed: no write, exit 1 without draining"
kill -CONT "$pid_A"
t_cont=$(date -u +%s.%N)
poll 20 sh -c "! kill -0 $pid_A 2>/dev/null || grep -qs '^State:.*Z' /proc/$pid_A/status" ||
  fail "A still runs after losing its lease: $(tail -5 "$E2E_TMP/A.log")"
set +e
wait "$pid_A"
rc=$?
set -e
[ "$rc" = 1 ] || fail "A exited $rc, want 1: $(tail -5 "$E2E_TMP/A.log")"
grep -q "leader election lost" "$E2E_TMP/A.log" || fail "A did not say it lost the lease"
poll 30 sh -c "[ \"\$(kubectl -n $ns get deploy m0 -o jsonpath='{.spec.replicas}')\" = 2 ]" ||
  fail "B did not reconcile the change made while A was frozen"

# Who wrote what, from the API server's audit log (ResponseComplete, to the microsecond).
audit_writes() { # SERVICEACCOUNT AFTER-EPOCH [show]: writes received after that instant
  python3 - "$MLMODEL_AUDIT_LOG" "system:serviceaccount:$AUDIT_NS:$1" "$2" "${3:-}" <<'PY'
import json, sys, datetime
path, user, after, show = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "show"
n = 0
for line in open(path):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("user", {}).get("username") != user or e.get("verb") == "get":
        continue
    t = datetime.datetime.strptime(e["requestReceivedTimestamp"][:26].rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f")
    t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
    if t > after:
        n += 1
        if show and n <= 5:
            o = e.get("objectRef", {})
            print(f'{e["requestReceivedTimestamp"]} {e["verb"]} {o.get("resource")}/{o.get("name")} -> {e.get("responseStatus", {}).get("code")}', file=sys.stderr)
print(n)
PY
}
before=$(audit_writes "op-a-$suffix" 0)
[ "$before" -gt 20 ] || fail "the audit log holds $before writes by A before the freeze (want the 20 models' and its lease's)"
# A write already on the wire at the freeze may land a little after it; nothing later.
late=$(audit_writes "op-a-$suffix" "$(awk -v t="$t_stop" 'BEGIN { printf "%.6f", t + 1 }')" show)
[ "$late" = 0 ] || fail "A wrote $late times after it was frozen (takeover at $t_takeover, resumed at $t_cont)"
[ "$(audit_writes "op-b-$suffix" "$t_takeover")" -gt 0 ] || fail "no write by B after the takeover in the audit log"
echo "   A: $before writes before the freeze, none after; resumed and exited 1 in $(awk -v a="$t_cont" -v b="$(date -u +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s or less"

echo "-- kill -9 of the leader mid-canary: the next leader resumes it, no step skipped or repeated"
start_instance C "$kcA"
idC=$(identity_of C)
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: walk}
spec:
  image: "$REGISTRY/$repo:1.0.0"
  replicas: 2
  rollout:
    canary:
      steps: [{weight: 25, pause: 8s}, {weight: 50, pause: 8s}]
YAML
poll 60 sh -c "[ \"\$(kubectl -n $ns get mlmodel walk -o jsonpath='{.status.stable.version}')\" = 1.0.0 ]" ||
  fail "walk 1.0.0 never deployed"
kubectl -n "$ns" patch mlmodel walk --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:2.0.0\"}}" >/dev/null
step_started() { [ -n "$(kubectl -n "$ns" get mlmodel walk -o jsonpath='{.status.canary.stepStartedAt}')" ]; }
poll 60 step_started || fail "B never started the canary's first step"
has_event walk CanaryStarted || fail "no CanaryStarted Event from B"
kill -KILL "$pid_B"
wait "$pid_B" 2>/dev/null || true
poll 40 holder_is "$idC" || fail "C never took the lease from the killed B (holder '$(holder)')"
promoted() { [ "$(kubectl -n "$ns" get mlmodel walk -o jsonpath='{.status.stable.version}')" = 2.0.0 ]; }
poll 90 promoted || fail "C did not finish the canary: $(kubectl -n "$ns" get mlmodel walk -o yaml)"
has_event walk Promoted "version 2.0.0" || fail "no Promoted Event"
for reason in CanaryStarted StepAdvanced Promoting Promoted; do
  count_events walk "$reason"
  [ "$event_count" = 1 ] || fail "walk: $event_count $reason Events, want exactly 1 (a step skipped or repeated)"
done
[ "$(kubectl -n "$ns" get mlmodel walk -o jsonpath='{.status.history[?(@.version=="2.0.0")].outcome}')" = Promoted ] ||
  fail "history: $(kubectl -n "$ns" get mlmodel walk -o jsonpath='{.status.history}')"
pid_B=$pid_C

echo "-- SIGTERM to the leader: exits 0 within its grace period and releases the Lease"
t0=$(date +%s)
kill -TERM "$pid_B"
set +e
wait "$pid_B"
rc=$?
set -e
[ "$rc" = 0 ] || fail "C exited $rc on SIGTERM: $(tail -5 "$E2E_TMP/C.log")"
[ $(($(date +%s) - t0)) -le 20 ] || fail "C took $(($(date +%s) - t0)) s to stop"
[ -z "$(holder)" ] || fail "C did not release the Lease (holder '$(holder)')"
echo "PASS"
