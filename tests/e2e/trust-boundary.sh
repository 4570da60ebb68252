#!/usr/bin/env bash
# End to end: the administrator's trust boundary. The operator runs with the cluster's
# Prometheus as the default and the only allowed one, and one registry path allowed:
#   - a model naming no Prometheus is judged by the default and promoted;
#   - a model naming another address (a listener standing for a service the tenant cannot
#     reach) is refused - Stalled, reason PrometheusNotAllowed, a Warning Event - nothing is
#     deployed for it, and the listener never receives a request;
#   - credentials for a plain-http Prometheus are refused (InsecureCredentials);
#   - an image from a registry path not allowed is refused (RegistryNotAllowed);
#   - a refused model whose spec is fixed proceeds.
# Usage: trust-boundary.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace trust
repo="e2e/trust-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for m in fraud snoop; do
  for v in 1.0.0 2.0.0; do mm_set --model "$m" --namespace "$ns" --version "$v" --error-rate 0; done
done

# The bait: counts every request it receives (on loopback only).
bait_port=$(free_ports)
python3 - "$bait_port" "$E2E_TMP/bait.count" <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
open(out, "w").write("0")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        n = int(open(out).read()) + 1
        open(out, "w").write(str(n))
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(b'{"status":"success","data":{"resultType":"scalar","result":[0,"0"]}}')
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
bait=$!
cleanups+=("kill $bait 2>/dev/null; wait $bait 2>/dev/null")
poll 10 curl -sf "http://127.0.0.1:$bait_port/-/ready" >/dev/null || fail "the bait listener did not start"
echo 0 >"$E2E_TMP/bait.count"
bait_hits() { cat "$E2E_TMP/bait.count"; }

OPERATOR_ARGS="--prometheus-default-address $PROMETHEUS_URL --prometheus-allowed-prefixes $PROMETHEUS_URL --allowed-registries $REGISTRY/e2e/"
start_operator
grep -q "trust policy: Prometheus $PROMETHEUS_URL (default $PROMETHEUS_URL), registries $REGISTRY/e2e/" "$oplog" ||
  fail_with "the operator does not log its trust policy"

echo "-- a model naming no Prometheus is judged by the default and promoted"
model_yaml fraud 1.0.0 | sed '/prometheus: {address:/d' | kubectl -n "$ns" apply -f - >/dev/null
[ -z "$(jp mlmodel/fraud '{.spec.rollout.canary.analysis.prometheus}')" ] || fail_with "the model names a Prometheus"
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=60s >/dev/null || fail_with "v1 not Ready"
set_image fraud 2.0.0
poll 90 ready_at fraud 2.0.0 || fail_with "v2 not promoted through the default Prometheus"
has_event fraud AnalysisPassed || fail_with "no AnalysisPassed Event"

refused() { [ "$(cond "$1" Stalled reason)" = "$2" ] && [ "$(cond "$1" Ready status)" = False ]; }
echo "-- another address: refused with a condition and an Event, never contacted"
PROM_FOR_MODEL="http://127.0.0.1:$bait_port" model_yaml snoop 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
poll 30 refused snoop PrometheusNotAllowed || fail_with "a model naming another Prometheus was not refused"
msg=$(cond snoop Stalled message)
case $msg in
  *"http://127.0.0.1:$bait_port is not a Prometheus this operator may query (allowed: $PROMETHEUS_URL"*) ;;
  *) fail_with "the refusal does not say what is allowed: $msg" ;;
esac
echo "   $msg"
has_event snoop PrometheusNotAllowed || fail_with "no PrometheusNotAllowed Event"
! deploy_exists snoop || fail_with "a refused model was deployed"

echo "-- credentials for a plain-http Prometheus: refused"
model_yaml creds 1.0.0 | sed "s#prometheus: {address: \"[^\"]*\"}#prometheus: {address: \"$PROMETHEUS_URL\", authSecretRef: {name: prom-token}}#" |
  kubectl -n "$ns" apply -f - >/dev/null
poll 30 refused creds InsecureCredentials || fail_with "credentials over plain http were not refused"
! deploy_exists creds || fail_with "a refused model was deployed"

echo "-- an image from a registry path not allowed: refused"
model_yaml other 1.0.0 | sed "s#image: \"$REGISTRY/$repo:#image: \"$REGISTRY/elsewhere/$repo:#" |
  kubectl -n "$ns" apply -f - >/dev/null
poll 30 refused other RegistryNotAllowed || fail_with "an image from another registry path was not refused"
has_event other RegistryNotAllowed || fail_with "no RegistryNotAllowed Event"
! deploy_exists other || fail_with "a refused image was deployed"

echo "-- the refused model, fixed, proceeds"
kubectl -n "$ns" patch mlmodel snoop --type json \
  -p '[{"op":"remove","path":"/spec/rollout/canary/analysis/prometheus"}]' >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/snoop --timeout=60s >/dev/null || fail_with "the fixed model did not become Ready"
[ "$(bait_hits)" = 0 ] || fail_with "the operator sent $(bait_hits) request(s) to an address it refused"
echo "PASS: default Prometheus used, other addresses, plain-http credentials and other registries refused; the bait got 0 requests"
