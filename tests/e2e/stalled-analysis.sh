#!/usr/bin/env bash
# End to end (attack): analysis never holds a reconcile worker. Sixteen models (twice the 8
# workers) roll out canaries judged by a Prometheus that sends a byte a second
# (tests/e2e/hostile_servers.py), each query running to its 30 s timeout. Meanwhile a new
# model is reconciled within two seconds, and then a change to it; no canary is promoted
# without evidence.
# Usage: stalled-analysis.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"
MODELS=16

install_crd
e2e_namespace stalled
repo="e2e/stalled-$RANDOM"
push_images "$repo" 1.0.0 2.0.0

python3 "$REPO_ROOT/tests/e2e/hostile_servers.py" --ports "$E2E_TMP/ports.json" --lifetime 300 &
hostile=$!
cleanups+=("kill $hostile 2>/dev/null; wait $hostile 2>/dev/null")
poll 10 test -s "$E2E_TMP/ports.json" || fail "hostile servers did not start"
drip=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["drip"])' "$E2E_TMP/ports.json")
start_operator # 8 workers

for ((i = 0; i < MODELS; i++)); do
  echo ---
  PROM_FOR_MODEL="http://127.0.0.1:$drip" model_yaml "m$i" 1.0.0 | python3 -c '
import sys, yaml
m = yaml.safe_load(sys.stdin)
m["spec"]["rollout"]["canary"]["analysis"]["prometheus"]["timeout"] = "30s"
print(yaml.safe_dump(m))'
done | kubectl -n "$ns" apply -f - >/dev/null
for ((i = 0; i < MODELS; i++)); do
  kubectl -n "$ns" wait --for=condition=Ready "mlmodel/m$i" --timeout=90s >/dev/null || fail_with "m$i not Ready"
done

echo "-- $MODELS canaries analysed by a Prometheus that drips"
for ((i = 0; i < MODELS; i++)); do set_image "m$i" 2.0.0; done
for ((i = 0; i < MODELS; i++)); do poll 60 has_canary "m$i" || fail_with "m$i has no canary"; done
# Every canary is ready and its first round is due (status says when), and queries hang.
all_due() {
  kubectl -n "$ns" get mlmodels -o json | python3 -c '
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
items = [m for m in json.load(sys.stdin)["items"] if m["metadata"]["name"] != "bystander"]
due = [m for m in items if (m.get("status", {}).get("canary") or {}).get("nextAnalysisAt")
       and datetime.datetime.fromisoformat(m["status"]["canary"]["nextAnalysisAt"].replace("Z", "+00:00")) <= now]
sys.exit(0 if len(due) == len(items) else 1)'
}
poll 90 all_due || fail_with "the canaries' first rounds never fell due"
hanging() { [ "$(ss -tn state established "( dport = :$drip )" | tail -n +2 | wc -l)" -ge 2 ]; }
poll 30 hanging || fail_with "no query reached the dripping Prometheus"

echo "-- meanwhile a new model is reconciled within 2 s, and a change to it"
t0=$(date +%s.%N)
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: bystander}
spec: {image: "$REGISTRY/$repo:1.0.0", replicas: 1}
YAML
observed() { [ "$(jp mlmodel/bystander '{.status.observedGeneration}')" = "$1" ] && deploy_exists bystander; }
poll 20 observed 1 || fail_with "the new model was not reconciled"
t1=$(date +%s.%N)
kubectl -n "$ns" patch mlmodel bystander --type merge -p '{"spec":{"replicas":2}}' >/dev/null
replicas2() { [ "$(jp deploy/bystander '{.spec.replicas}')" = 2 ] && observed 2; }
poll 20 replicas2 || fail_with "the change was not reconciled"
t2=$(date +%s.%N)
first=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
second=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }')
echo "   reconciled in $first s, the change in $second s, with $(ss -tn state established "( dport = :$drip )" | tail -n +2 | wc -l) queries hanging"
awk -v a="$first" -v b="$second" 'BEGIN { exit !(a <= 2 && b <= 2) }' ||
  fail_with "reconciles waited on the stalled analysis: $first s and $second s (want <= 2 s)"

for ((i = 0; i < MODELS; i++)); do
  stable_version_is "m$i" 1.0.0 || fail_with "m$i promoted without evidence"
done
echo "ok: stalled analysis e2e"
