#!/usr/bin/env bash
# End to end: the audit trail. Each rollout in status.history says who changed the model
# (its spec's field manager, as the real API server records it), what changed (the spec
# fields) and why (kubernetes.io/change-cause); the plugin shows it; `kubectl mlmodel diff`
# compares two revisions and `rollback --to-revision` restores one's env and resources,
# not only its image, from the ControllerRevisions the operator keeps.
#   kubectl apply (client-side), kubectl mlmodel (the plugin), helm install/upgrade.
# (kubectl apply -k: tests/gitops/walkthrough.sh; an MLflow alias: tests/e2e/mlflow.sh.)
# Usage: audit.sh PATH-TO-mlmodel-operator PATH-TO-kubectl-mlmodel
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
PLUGIN=$(realpath "${2:?kubectl-mlmodel binary}")
. "$(dirname "$0")/lib.sh"
command -v helm >/dev/null || fail "helm is not on PATH (eval \"\$(hack/cluster.sh env)\")"

install_crd
e2e_namespace audit
repo="e2e/audit-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0
start_operator

model() {  # model NAME TAG LOG MEMORY
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: $1}
spec:
  image: "$REGISTRY/$repo:$2"
  replicas: 1
  env: [{name: LOG, value: "$3"}]
  resources: {limits: {memory: $4}}
YAML
}
change() { jp "mlmodel/$1" "{.status.history[-1:].change.$2}"; }

echo "-- kubectl apply: the first deployment names its writer"
model fraud 1.0.0 info 64Mi | kubectl -n "$ns" apply -f - >/dev/null
poll 60 ready_at fraud 1.0.0 || fail_with "1.0.0 not Ready"
[ "$(change fraud by)" = kubectl-client-side-apply ] || fail_with "first deployment: by '$(change fraud by)'"

echo "-- kubectl apply with a change-cause: who, which fields and why"
kubectl -n "$ns" annotate mlmodel fraud "kubernetes.io/change-cause=ML-7: more memory, debug logs" >/dev/null
model fraud 2.0.0 debug 128Mi | kubectl -n "$ns" apply -f - >/dev/null
poll 60 ready_at fraud 2.0.0 || fail_with "2.0.0 not Ready"
[ "$(change fraud by)" = kubectl-client-side-apply ] || fail_with "by '$(change fraud by)'"
[ "$(change fraud fields)" = '["spec.env[LOG].value","spec.image","spec.resources.limits.memory","spec.version"]' ] ||
  fail_with "fields $(change fraud fields)"
[ "$(change fraud cause)" = "ML-7: more memory, debug logs" ] || fail_with "cause '$(change fraud cause)'"
"$PLUGIN" history fraud -n "$ns" >"$E2E_TMP/history"
grep -E '^2 .*kubectl-client-side-apply +env\[LOG\]\.value,image,resources\.~? *ML-7' "$E2E_TMP/history" >/dev/null ||
  grep -E '^2 .*kubectl-client-side-apply .*ML-7: more memory' "$E2E_TMP/history" >/dev/null ||
  fail_with "the plugin's history lacks who/what/why: $(cat "$E2E_TMP/history")"

echo "-- kubectl mlmodel diff: both revisions' specs, kept as ControllerRevisions"
[ "$(kubectl -n "$ns" get controllerrevisions -l serving.mlops.dev/model=fraud -o name | wc -l)" = 2 ] ||
  fail_with "want 2 ControllerRevisions: $(kubectl -n "$ns" get controllerrevisions)"
"$PLUGIN" diff fraud 1 2 -n "$ns" >"$E2E_TMP/diff" || fail_with "diff failed: $(cat "$E2E_TMP/diff")"
for want in 'spec.env[LOG].value: "info" -> "debug"' 'spec.resources.limits.memory: "64Mi" -> "128Mi"' \
  "spec.image: \"$REGISTRY/$repo:1.0.0\" -> \"$REGISTRY/$repo:2.0.0\""; do
  grep -F "$want" "$E2E_TMP/diff" >/dev/null || fail_with "diff lacks '$want': $(cat "$E2E_TMP/diff")"
done

echo "-- kubectl mlmodel rollback --to-revision 1: env and resources come back too"
"$PLUGIN" rollback fraud --to-revision 1 -n "$ns" >/dev/null || fail_with "rollback failed"
poll 60 ready_at fraud 1.0.0 || fail_with "not back at 1.0.0"
container() { jp deploy/fraud "{.spec.template.spec.containers[0].$1}"; }
[ "$(container 'env[?(@.name=="LOG")].value')" = info ] || fail_with "env not restored: $(container env)"
[ "$(container resources.limits.memory)" = 64Mi ] || fail_with "memory not restored: $(container resources)"
stable_image_is fraud 1.0.0 || fail_with "the image is not 1.0.0's digest"
[ "$(change fraud by)" = kubectl-mlmodel ] || fail_with "the rollback's writer: '$(change fraud by)'"

echo "-- helm install, then helm upgrade: the rollout names helm"
chart=$E2E_TMP/chart
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: fraud-model\nversion: 0.1.0\n' >"$chart/Chart.yaml"
model fraud-helm '{{ .Values.tag }}' info 64Mi >"$chart/templates/model.yaml"
helm install fraud-helm "$chart" -n "$ns" --set tag=1.0.0 >/dev/null || fail_with "helm install failed"
cleanups+=("helm uninstall fraud-helm -n $ns >/dev/null 2>&1")
poll 60 ready_at fraud-helm 1.0.0 || fail_with "helm's 1.0.0 not Ready"
helm upgrade fraud-helm "$chart" -n "$ns" --set tag=3.0.0 >/dev/null || fail_with "helm upgrade failed"
poll 60 ready_at fraud-helm 3.0.0 || fail_with "helm's 3.0.0 not Ready"
[ "$(change fraud-helm by)" = helm ] || fail_with "helm upgrade: by '$(change fraud-helm by)'"
[ "$(change fraud-helm fields)" = '["spec.image","spec.version"]' ] || fail_with "helm: fields $(change fraud-helm fields)"
echo "ok: audit e2e"
