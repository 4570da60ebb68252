#!/usr/bin/env bash
# GitOps with Helm: a release holding an MLModel, installed and upgraded with helm v4
# --wait (kstatus for custom resources), returns only once the model is Ready at the new
# version, and fails, never reporting success, when the model is Stalled.
# Usage: helm-wait.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/../e2e/lib.sh"
command -v helm >/dev/null || fail "helm is not on PATH"

install_crd
e2e_namespace helmwait
repo="e2e/helmwait-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0; do mm_set --model hw --namespace "$ns" --version "$v"; done
mm_set --model hw --namespace "$ns" --version 3.0.0 --error-rate 0.5
start_operator

chart=$E2E_TMP/model-chart
mkdir -p "$chart/templates"
printf 'apiVersion: v2\nname: fraud-model\nversion: 0.1.0\n' >"$chart/Chart.yaml"
printf 'tag: 1.0.0\n' >"$chart/values.yaml"
# The query's placeholders ({{namespace}}, ...) would be Helm's: escape them as {{`...`}}.
model_yaml hw '{{ .Values.tag }}' | sed 's/{{\([a-z.]*\)}}/{{`{{\1}}`}}/g' >"$chart/templates/mlmodel.yaml"
rel=hw
cleanups+=("helm uninstall $rel -n $ns >/dev/null 2>&1")
# One read, so the fields agree, and a failing kubectl is not read as empty fields.
hw_state() {
  local out
  out=$(jp mlmodel/hw 'ready={.status.conditions[?(@.type=="Ready")].status} stalled={.status.conditions[?(@.type=="Stalled")].status} stable={.status.stable.version} canary={.status.canary.version}' 2>&1) ||
    fail "kubectl get mlmodel hw: $out"
  echo "$out"
}

echo "-- helm install --wait returns once the model is Ready"
helm install "$rel" "$chart" -n "$ns" --wait --timeout 90s >"$E2E_TMP/h" 2>&1 || fail_with "install: $(cat "$E2E_TMP/h")"
at=$(hw_state)
[ "$at" = "ready=True stalled= stable=1.0.0 canary=" ] || fail_with "helm returned at $at"

echo "-- helm upgrade --wait returns only after the canary is promoted"
helm upgrade "$rel" "$chart" -n "$ns" --wait --timeout 120s --set tag=2.0.0 >"$E2E_TMP/h" 2>&1 ||
  fail_with "upgrade to 2.0.0: $(cat "$E2E_TMP/h")"
at=$(hw_state)
[ "$at" = "ready=True stalled= stable=2.0.0 canary=" ] || fail_with "helm returned at $at"
has_event hw Promoted || fail_with "no canary was walked"

echo "-- helm upgrade --wait fails when the canary is rolled back"
start=$SECONDS
if helm upgrade "$rel" "$chart" -n "$ns" --wait --timeout 120s --set tag=3.0.0 >"$E2E_TMP/h" 2>&1; then
  fail_with "helm reported success for a rolled-back version at $(hw_state)"
fi
[ "$(cond hw Stalled status)" = True ] || fail_with "helm failed but the model is $(hw_state): $(cat "$E2E_TMP/h")"
echo "   helm failed after $((SECONDS - start))s (timeout 120s): $(grep -i -m1 -E 'error|fail' "$E2E_TMP/h" | cut -c1-160)"
echo "ok: helm --wait follows kstatus"
