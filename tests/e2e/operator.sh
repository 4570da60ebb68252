#!/usr/bin/env bash
# End to end: the operator binary against the local cluster, its registry and kubectl.
# Usage: operator.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
kubectl apply -f "$REPO_ROOT/crds/serving.mlops.dev_mlmodels.yaml" >/dev/null
kubectl wait --for=condition=Established crd/mlmodels.serving.mlops.dev --timeout=60s >/dev/null
new_namespace e2e
repo="e2e/model-$RANDOM"
d1=$("$REPO_ROOT/hack/push-image.sh" "$repo" 1.0.0)
d2=$("$REPO_ROOT/hack/push-image.sh" "$repo" 2.0.0)

read -r port hport <<<"$(free_ports 2)"
log=$(mktemp)
start_operator() {
  KUBECONFIG=${E2E_OPERATOR_KUBECONFIG:-$KUBECONFIG} "$OPERATOR" --namespace "$ns" --insecure-registry "$REGISTRY" --log-level debug \
    --metrics-bind-address "127.0.0.1:$port" --health-probe-bind-address "127.0.0.1:$hport" \
    >>"$log" 2>&1 &
  op=$!
  poll 30 curl -sf "127.0.0.1:$hport/readyz" >/dev/null || fail "operator not ready: $(tail "$log")"
}
# stop_operator [SIGNAL]: also safe when the operator never started or already exited.
stop_operator() {
  [ -n "${op:-}" ] || return 0
  kill "${1:--TERM}" "$op" 2>/dev/null || true
  wait "$op" 2>/dev/null || true
  op=
}
# Under set -e a failing command here would skip the rest and replace the test's status.
on_exit() {
  local rc=$?
  stop_operator
  kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true
  rm -f "$log"
  exit "$rc"
}
trap on_exit EXIT
jp() { kubectl -n "$ns" get "$1" -o jsonpath="$2"; }
start_operator

echo "-- a sample becomes Ready, digest-pinned, behind a Service"
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: fraud}
spec: {image: "$REGISTRY/$repo:1.0.0", replicas: 2}
YAML
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=60s >/dev/null ||
  fail "not Ready: $(kubectl -n "$ns" get mlmodel fraud -o yaml)"
image=$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')
[ "$image" = "$REGISTRY/$repo@$d1" ] || fail "Deployment runs $image, want $REGISTRY/$repo@$d1"
[ "$(jp mlmodel/fraud '{.status.stable.digest}')" = "$d1" ] || fail "status.stable.digest wrong"
[ "$(jp deploy/fraud '{.status.readyReplicas}')" = 2 ] || fail "pods not ready"
[ "$(jp svc/fraud '{.spec.selector.serving\.mlops\.dev/model}')" = fraud ] || fail "no Service"
[ "$(jp deploy/fraud '{.metadata.ownerReferences[0].kind}')" = MLModel ] || fail "no ownerReference"

echo "-- kubectl scale changes the Deployment"
kubectl -n "$ns" scale mlmodel fraud --replicas=3 >/dev/null
poll 30 sh -c "[ \"\$(kubectl -n $ns get deploy fraud -o jsonpath='{.status.readyReplicas}')\" = 3 ]" ||
  fail "scale to 3 did not reach the Deployment"
poll 30 sh -c "[ \"\$(kubectl -n $ns get mlmodel fraud -o jsonpath='{.status.readyReplicas}')\" = 3 ]" ||
  fail "status.readyReplicas did not follow"

echo "-- a hand edit of the image is reverted"
kubectl -n "$ns" set image deploy/fraud model-server=nginx:hand-edit >/dev/null
poll 30 sh -c "[ \"\$(kubectl -n $ns get deploy fraud -o jsonpath='{.spec.template.spec.containers[0].image}')\" = '$REGISTRY/$repo@$d1' ]" ||
  fail "hand edit not reverted"

echo "-- an unknown tag says so and leaves the running version alone; fixing it recovers"
kubectl -n "$ns" patch mlmodel fraud --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:9.9.9\"}}" >/dev/null
unresolved() {
  [ "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="ImageResolved")].status}')" = False ]
}
poll 30 unresolved || fail "ImageResolved never turned False"
msg=$(jp mlmodel/fraud '{.status.conditions[?(@.type=="ImageResolved")].message}')
case $msg in *"$repo:9.9.9"*) ;; *) fail "message does not name the image: $msg" ;; esac
[ "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Stalled")].status}')" = True ] || fail "not Stalled"
[ "$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@$d1" ] ||
  fail "the running Deployment was touched"
kubectl -n "$ns" patch mlmodel fraud --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:2.0.0\"}}" >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=60s >/dev/null || fail "no recovery"
[ "$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@$d2" ] ||
  fail "2.0.0 not deployed by digest"

# Ready for the generation last written: a Ready left from the one before does not count.
recovered() {
  [ "$(jp mlmodel/fraud '{.status.observedGeneration}')" = "$(jp mlmodel/fraud '{.metadata.generation}')" ] &&
    [ "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

echo "-- the API server's warnings are logged once"
kubectl label namespace "$ns" pod-security.kubernetes.io/warn=restricted >/dev/null
kubectl -n "$ns" patch mlmodel fraud --type merge -p '{"spec":{"securityContext":{"allowPrivilegeEscalation":true}}}' >/dev/null
warned() { grep -c "the API server warned about PATCH /apis/apps/v1/namespaces/$ns/deployments/fraud?.*would violate PodSecurity" "$log"; }
poll 30 sh -c "grep -q 'the API server warned about PATCH .*/deployments/fraud?.*would violate PodSecurity' '$log'" ||
  fail "no PodSecurity warning in the log: $(grep -i warn "$log" | tail -5)"
kubectl -n "$ns" patch mlmodel fraud --type merge -p '{"spec":{"securityContext":null}}' >/dev/null
poll 60 recovered || fail "not Ready again: $(kubectl -n "$ns" get mlmodel fraud -o yaml)"
kubectl label namespace "$ns" pod-security.kubernetes.io/warn- >/dev/null
[ "$(warned)" = 1 ] || fail "the warning was logged $(warned) times: $(grep 'warned about' "$log")"

echo "-- a field the API server does not know stalls the model, named in its status; removing it recovers"
gen_before=$(jp deploy/fraud '{.metadata.generation}')
kubectl -n "$ns" patch mlmodel fraud --type merge -p '{"spec":{"securityContext":{"runAsNonRot":true}}}' >/dev/null
rejected() {
  [ "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Stalled")].reason}')" = ApplyRejected ]
}
poll 30 rejected || fail "no Stalled=ApplyRejected: $(kubectl -n "$ns" get mlmodel fraud -o yaml)"
msg=$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Stalled")].message}')
case $msg in *securityContext.runAsNonRot*) ;; *) fail "the message does not name the field: $msg" ;; esac
[ "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Ready")].status}')" = False ] || fail "still Ready"
[ -z "$(jp mlmodel/fraud '{.status.conditions[?(@.type=="Reconciling")].status}')" ] ||
  fail "Reconciling and Stalled at once: kstatus would call it in progress"
# Events are sent by their own thread: they may trail the status.
rejected_event() {
  kubectl -n "$ns" get events --field-selector reason=ApplyRejected -o jsonpath='{.items[*].message}' |
    grep -q runAsNonRot
}
poll 30 rejected_event ||
  fail "no ApplyRejected Event naming the field: $(kubectl -n "$ns" get events --field-selector reason=ApplyRejected)"
[ "$(jp deploy/fraud '{.metadata.generation}')" = "$gen_before" ] || fail "the Deployment was changed"
[ "$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@$d2" ] ||
  fail "the running version was touched"
kubectl -n "$ns" patch mlmodel fraud --type merge -p '{"spec":{"securityContext":null}}' >/dev/null
poll 30 recovered || fail "not Ready after the field was removed: $(kubectl -n "$ns" get mlmodel fraud -o yaml)"

echo "-- killed mid-change and restarted, it converges"
kubectl -n "$ns" patch mlmodel fraud --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:1.0.0\"}}" >/dev/null
stop_operator -KILL
start_operator
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=60s >/dev/null || fail "no convergence"
[ "$(jp deploy/fraud '{.spec.template.spec.containers[0].image}')" = "$REGISTRY/$repo@$d1" ] ||
  fail "1.0.0 not deployed after the restart"
[ "$(kubectl -n "$ns" get deploy,svc -l app.kubernetes.io/managed-by=mlmodel-operator -o name | wc -l)" = 2 ] ||
  fail "duplicate objects: $(kubectl -n "$ns" get deploy,svc)"

echo "-- restarted at rest, it writes nothing"
rvs() { kubectl -n "$ns" get mlmodel/fraud deploy/fraud svc/fraud -o jsonpath='{range .items[*]}{.metadata.resourceVersion} {end}'; }
before=$(rvs)
stop_operator
start_operator
poll 30 sh -c "[ \$(curl -sf 127.0.0.1:$port/metrics | awk '/^controller_runtime_reconcile_total.*success/ {print \$NF}' | cut -d. -f1) -ge 1 ]" ||
  fail "the model was not reconciled after the restart"
metrics=$(curl -sf "127.0.0.1:$port/metrics") || fail "the restarted operator's /metrics does not answer"
grep '^rest_client_requests_total' <<<"$metrics" >/dev/null ||
  fail "no rest_client_requests_total in the operator's /metrics: the write count below would be 0 regardless"
patches=$(awk '/^rest_client_requests_total/ && /method="(PATCH|PUT|DELETE)"/ {s += $NF} END {print s + 0}' <<<"$metrics")
[ "$patches" = 0 ] || fail "the restarted operator wrote $patches times to a model already right: $(tail -20 "$log")"
[ "$(rvs)" = "$before" ] || fail "objects changed across a restart at rest: $before -> $(rvs)"
# The event recorder's queue is exported: nothing waiting, nothing dropped at rest.
for s in mlmodel_operator_events_queued mlmodel_operator_events_dropped_total; do
  [ "$(awk -v s="$s" '$1 == s {print $2}' <<<"$metrics")" = 0 ] ||
    fail "$s is '$(awk -v s="$s" '$1 == s {print $2}' <<<"$metrics")' at rest, want 0"
done

echo "-- deleting the MLModel removes what it owned, and its series"
# The model's series; fails when /metrics does not answer (an empty answer is not "gone").
series() {
  local all
  all=$(curl -sf "127.0.0.1:$port/metrics") || return 1
  grep -E '^mlmodel_[a-z_]+[{].*name="fraud"' <<<"$all" | grep -F "namespace=\"$ns\"" || true
}
[ -n "$(series || true)" ] || fail "the model has no mlmodel_* series before its deletion"
kubectl -n "$ns" delete mlmodel fraud >/dev/null
# An empty answer is "gone"; a failing kubectl is not.
gone() {
  local left
  left=$(kubectl -n "$ns" get deploy,svc -l app.kubernetes.io/managed-by=mlmodel-operator -o name 2>&1) ||
    fail "kubectl get deploy,svc in $ns failed: $left"
  [ -z "$left" ]
}
poll 60 gone || fail "owned objects left behind: $(kubectl -n "$ns" get deploy,svc)"
no_series() { local s; s=$(series) && [ -z "$s" ]; }
poll 30 no_series || fail "the deleted model's series are still exported: $(series || echo "(no /metrics)")"
echo "ok: operator e2e"
