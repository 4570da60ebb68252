#!/usr/bin/env bash
# End to end: a model whose versions come from a real MLflow registry (hack/mlflow.sh: PyPI's
# mlflow on loopback, SQLite store). Versions are registered over MLflow's REST API with
# their image in the `image` tag; the operator follows the alias `champion`:
#   - v1 under the alias is deployed, pinned by digest; status records model, version, run;
#   - moving the alias to v2 starts a canary (AliasMoved), judged by the real Prometheus and
#     promoted; the history entry names MLflow's version and run; write-back tags v2;
#   - MLflow down: what runs keeps running, VersionResolved says why; back up, it clears;
#   - the alias moved to v3 (50% errors): rolled back, and while the alias still points at
#     v3 the status says so and no canary starts again; v3 is tagged RolledBack in MLflow;
#   - an address outside --mlflow-allowed-prefixes is refused before any request.
# Usage: mlflow.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

install_crd
e2e_namespace mlflow
repo="e2e/mlflow-$RANDOM"
push_images "$repo" 1 2 3
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1 2; do mm_set --model fraud --namespace "$ns" --version "$v" --error-rate 0; done
mm_set --model fraud --namespace "$ns" --version 3 --error-rate 0.5

mldir=$E2E_TMP/mlflow
eval "$("$REPO_ROOT/hack/mlflow.sh" start "$mldir")"
cleanups+=("'$REPO_ROOT/hack/mlflow.sh' stop '$mldir'")
mlport=${MLFLOW_URL##*:}
api="$MLFLOW_URL/api/2.0/mlflow"
mlpost() { curl -sf -H 'Content-Type: application/json' -X POST "$api/$1" -d "$2" >/dev/null; }
registered=fraud-$RANDOM
mlpost registered-models/create "{\"name\":\"$registered\"}" || fail "could not register a model in MLflow"
for v in 1 2 3; do
  mlpost model-versions/create "{\"name\":\"$registered\",\"source\":\"s3://models/fraud/$v\",\"run_id\":\"run$v\",
    \"tags\":[{\"key\":\"image\",\"value\":\"$REGISTRY/$repo:$v\"}]}" || fail "could not create version $v"
done
move_alias() { mlpost registered-models/alias "{\"name\":\"$registered\",\"alias\":\"champion\",\"version\":\"$1\"}"; }
version_tag() {
  curl -sf "$api/model-versions/get?name=$registered&version=$1" | python3 -c '
import json, sys
tags = {t["key"]: t["value"] for t in json.load(sys.stdin)["model_version"].get("tags", [])}
print(tags.get(sys.argv[1], ""))' "serving.mlops.dev/$ns/fraud"
}
move_alias 1

OPERATOR_ARGS="--mlflow-allowed-prefixes $MLFLOW_URL"
start_operator

model() {
  cat <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: ${1:-fraud}}
spec:
  mlflow:
    address: "${2:-$MLFLOW_URL}"
    model: $registered
    alias: champion
    interval: 2s
    writeBack: true
  replicas: 2
  rollout:
    canary:
      steps: [{weight: 50, pause: 3s}]
      analysis:
        interval: 2s
        failureLimit: 2
        prometheus: {address: "$PROMETHEUS_URL"}
        metrics:
        - name: error-rate
          query: '$ERROR_RATE_QUERY'
          max: 0.05
YAML
}

echo "-- v1 under the alias: deployed by digest, the registry's side recorded"
model | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/fraud --timeout=90s >/dev/null || fail_with "v1 not Ready: $(cond fraud Ready message)"
stable_image_is fraud 1 || fail_with "the Deployment does not run v1's image by digest"
[ "$(jp mlmodel/fraud '{.status.mlflow.version}')" = 1 ] || fail_with "status.mlflow.version is not 1"
[ "$(jp mlmodel/fraud '{.status.stable.mlflow.runId}')" = run1 ] || fail_with "the stable revision has no run"
[ "$(cond fraud VersionResolved status)" = True ] || fail_with "VersionResolved not True"
poll 30 eval '[[ "$(version_tag 1)" == Promoted* ]]' || fail_with "v1 not tagged in MLflow: '$(version_tag 1)'"

echo "-- the alias moves to v2: a canary, analysed, promoted"
move_alias 2
has_event fraud AliasMoved "from version 1 to 2" || fail_with "no AliasMoved Event"
poll 30 has_canary fraud || fail_with "no canary for v2"
poll 90 ready_at fraud 2 || fail_with "v2 not promoted"
stable_image_is fraud 2 || fail_with "stable does not run v2 by digest"
[ "$(jp mlmodel/fraud '{.status.history[-1:].mlflow.version}')" = 2 ] || fail_with "history does not name MLflow version 2"
[ "$(jp mlmodel/fraud '{.status.history[-1:].mlflow.source}')" = s3://models/fraud/2 ] || fail_with "history lacks the source"
poll 30 eval '[[ "$(version_tag 2)" == Promoted* ]]' || fail_with "v2 not tagged Promoted: '$(version_tag 2)'"
[ "$(jp mlmodel/fraud '{.status.history[-1:].change.by}')" = mlflow ] || fail_with "history does not say MLflow changed it"
case $(jp mlmodel/fraud '{.status.history[-1:].change.cause}') in *"version 2 (alias champion), run run2"*) ;;
  *) fail_with "history's cause: $(jp mlmodel/fraud '{.status.history[-1:].change.cause}')" ;; esac

echo "-- MLflow down: v2 keeps running and the condition says why; back up, it clears"
"$REPO_ROOT/hack/mlflow.sh" stop "$mldir"
unavailable() { [ "$(cond fraud VersionResolved reason)" = ModelRegistryUnavailable ]; }
poll 30 unavailable || fail_with "VersionResolved does not say MLflow is unavailable: $(cond fraud VersionResolved message)"
case $(cond fraud VersionResolved message) in *"version 2 keeps running"*) ;; *) fail_with "the condition does not say v2 keeps running" ;; esac
stable_image_is fraud 2 || fail_with "the outage changed what runs"
[ "$(cond fraud Ready status)" = True ] || fail_with "not Ready during the outage"
eval "$("$REPO_ROOT/hack/mlflow.sh" start "$mldir" "$mlport")"
resolved() { [ "$(cond fraud VersionResolved status)" = True ]; }
poll 90 resolved || fail_with "VersionResolved did not recover"

echo "-- the alias moves to v3 (50% errors): rolled back, and refused while the alias points at it"
move_alias 3
poll 30 has_canary fraud || fail_with "no canary for v3"
rolled_back() { [ "$(cond fraud Stalled status)" = True ] && no_canary fraud; }
poll 90 rolled_back || fail_with "v3 not rolled back"
stable_image_is fraud 2 || fail_with "stable changed by a rolled-back canary"
msg=$(cond fraud Stalled message)
case $msg in *"alias champion of $registered still points at version 3"*) ;; *) fail_with "Stalled does not name the alias: $msg" ;; esac
echo "   stalled: $msg"
poll 30 eval '[[ "$(version_tag 3)" == RolledBack* ]]' || fail_with "v3 not tagged RolledBack: '$(version_tag 3)'"
sleep_until=$((SECONDS + 6)); while [ $SECONDS -lt $sleep_until ]; do
  no_canary fraud || fail_with "the refused v3 started again by itself"; sleep 1
done

echo "-- an address outside --mlflow-allowed-prefixes is refused before any request"
model snoop "http://127.0.0.1:$(free_ports)" | kubectl -n "$ns" apply -f - >/dev/null
refused() { [ "$(cond snoop Stalled reason)" = ModelRegistryNotAllowed ]; }
poll 30 refused || fail_with "not refused: $(cond snoop Ready message)"
deploy_exists snoop && fail_with "a refused model got a Deployment"
echo "ok: mlflow e2e"
