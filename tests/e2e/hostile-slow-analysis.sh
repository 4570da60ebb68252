#!/usr/bin/env bash
# End to end (attack): a slow Prometheus must not get the operator restarted. One model's
# canary has 10 metrics (the CRD allows 20) judged by a server that sends a byte a second
# (tests/e2e/hostile_servers.py); each query gives up at its 10 s timeout, as it should.
# The operator's /healthz must stay 200 all the while: the kubelet restarts an operator
# whose liveness probe fails, which would stop every other model's reconciles too.
# Usage: hostile-slow-analysis.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

# 10 x 10 s: longer than the 60 s wedge limit plus the chart's liveness probe (3 x 10 s).
METRICS=${METRICS:-10}

install_crd
e2e_namespace slowan
repo="e2e/slowan-$RANDOM"
push_images "$repo" 1.0.0 2.0.0

python3 "$REPO_ROOT/tests/e2e/hostile_servers.py" --ports "$E2E_TMP/ports.json" --lifetime 600 &
hostile=$!
cleanups+=("kill $hostile 2>/dev/null; wait $hostile 2>/dev/null")
poll 10 test -s "$E2E_TMP/ports.json" || fail "hostile servers did not start"
drip=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["drip"])' "$E2E_TMP/ports.json")
start_operator

# model_yaml's canary with METRICS copies of its check, each under its own name.
PROM_FOR_MODEL="http://127.0.0.1:$drip" model_yaml slow 1.0.0 | python3 -c '
import sys, yaml
m = yaml.safe_load(sys.stdin)
a = m["spec"]["rollout"]["canary"]["analysis"]
a["metrics"] = [dict(a["metrics"][0], name=f"check-{i}") for i in range(int(sys.argv[1]))]
print(yaml.safe_dump(m))' "$METRICS" | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/slow --timeout=60s >/dev/null || fail_with "v1 not Ready"

echo "-- a canary of $METRICS metrics against a Prometheus that drips: /healthz stays 200"
set_image slow 2.0.0
poll 30 has_canary slow || fail_with "no canary"
# Until the canary is rolled back (3 error rounds), or long enough for one round to pass
# the 60 s wedge limit ($METRICS x 10 s).
end=$((SECONDS + 3 * METRICS * 10 + 30))
while [ $SECONDS -lt "$end" ]; do
  code=$(curl -s -o "$E2E_TMP/healthz" -m 5 -w '%{http_code}' "127.0.0.1:$hport/healthz" || true)
  [ "$code" = 200 ] || fail_with "/healthz answered $code during the slow analysis: $(cat "$E2E_TMP/healthz")"
  if no_canary slow; then break; fi
  sleep 1
done
[ "$(cond slow Stalled reason)" = AnalysisErrors ] || fail_with "not rolled back: $(cond slow Stalled reason)"
stable_version_is slow 1.0.0 || fail_with "promoted without evidence"
echo "ok: hostile slow analysis e2e"
