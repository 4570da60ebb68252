#!/usr/bin/env bash
# A CustomResourceDefinition is established and served: objects of it can be created,
# listed and rejected by its schema.
. "$(dirname "$0")/lib.sh"
crd=widgets.smoke.mlops.dev
trap "kubectl delete crd $crd --wait=false >/dev/null 2>&1 || true" EXIT
kubectl apply -f - >/dev/null <<'YAML'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.smoke.mlops.dev}
spec:
  group: smoke.mlops.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
YAML
kubectl wait --for=condition=Established "crd/$crd" --timeout=60s >/dev/null ||
  fail "crd/$crd not established"
# Discovery may lag the Established condition by a moment.
poll 30 kubectl get widgets.smoke.mlops.dev >/dev/null 2>&1 || fail "widgets are not served"
printf 'apiVersion: smoke.mlops.dev/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3}\n' |
  kubectl apply -f - >/dev/null || fail "could not create a widget"
size=$(kubectl get widgets.smoke.mlops.dev w1 -o jsonpath='{.spec.size}')
[ "$size" = 3 ] || fail "widget w1 has size '$size', want 3"
err=$(printf 'apiVersion: smoke.mlops.dev/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 0}\n' |
  kubectl apply -f - 2>&1) && fail "a widget violating the schema was accepted"
echo "$err" | grep -q 'spec.size' || fail "schema error does not name the field: $err"
kubectl delete widgets.smoke.mlops.dev w1 >/dev/null
echo "ok: $crd established, served and validated"
