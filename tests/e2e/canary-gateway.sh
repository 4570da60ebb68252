#!/usr/bin/env bash
# End to end: canary traffic through a real Gateway API HTTPRoute (CRDs from the pinned
# sigs.k8s.io/gateway-api module). The route belongs to the user; the operator sets the
# weights of <name>-stable and <name>-canary step by step and leaves the rest alone.
# Usage: canary-gateway.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
kubectl get crd httproutes.gateway.networking.k8s.io >/dev/null 2>&1 ||
  fail "the Gateway API CRDs are not installed (hack/cluster.sh up installs them)"
e2e_namespace gateway
repo="e2e/gateway-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0; do mm_set --model web --namespace "$ns" --version "$v"; done
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  parentRefs: [{name: public-gateway}]
  hostnames: [web.example]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs:
    - {name: web-stable, port: 80, weight: 100}
    - {name: web-canary, port: 80, weight: 0}
YAML
start_operator
model_yaml web 1.0.0 "{gatewayAPI: {httpRoute: web}}" | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/web --timeout=60s >/dev/null || fail_with "v1 not Ready"
for t in stable canary; do
  [ "$(jp "svc/web-$t" '{.spec.selector.serving\.mlops\.dev/track}')" = "$t" ] || fail_with "no Service web-$t"
done

weights() { jp httproute/web '{.spec.rules[0].backendRefs[0].weight}/{.spec.rules[0].backendRefs[1].weight}'; }
set_image web 2.0.0
# Record every weight pair the route shows until the canary is promoted.
seen=$E2E_TMP/weights
: >"$seen"
record() { w=$(weights); [ "$(tail -n 1 "$seen")" = "$w" ] || echo "$w" >>"$seen"; ready_at web 2.0.0; }
poll 90 record || fail_with "v2 not promoted; weights seen: $(tr '\n' ' ' <"$seen")"
echo "   weights seen (stable/canary): $(tr '\n' ' ' <"$seen")"
grep -qx 75/25 "$seen" || fail_with "never at 25%: $(cat "$seen")"
grep -qx 50/50 "$seen" || fail_with "never at 50%: $(cat "$seen")"
[ "$(weights)" = 100/0 ] || fail_with "after promotion the route is $(weights)"
has_event web TrafficShifted || fail_with "no TrafficShifted Event"
[ "$(jp httproute/web '{.spec.hostnames[0]}')" = web.example ] || fail_with "hostnames touched"
[ "$(jp httproute/web '{.spec.parentRefs[0].name}')" = public-gateway ] || fail_with "parentRefs touched"
[ "$(jp httproute/web '{.spec.rules[0].matches[0].path.value}')" = / ] || fail_with "matches touched"
jp httproute/web '{.metadata.managedFields[*].manager}' | grep -w mlmodel-operator >/dev/null ||
  fail_with "weights not applied under the mlmodel-operator field manager"
echo "ok: canary gateway e2e"
