#!/usr/bin/env bash
# The MLModel CRD (crds/serving.mlops.dev_mlmodels.yaml) against the real API server:
#  - it installs with client-side `kubectl apply` and stays well under the 256 KiB
#    last-applied annotation limit;
#  - every bad manifest in tests/crd/bad/ is rejected with a message that names the
#    field: each fixture carries one or more "# expect: <substring>" lines, all of which
#    must appear in the API server's answer;
#  - the samples in manifests/samples/ are accepted and the schema defaults materialise;
#  - every field has a description, and kubectl explain prints it;
#  - the scale subresource and the printer columns work.
# The CRD is left installed: other tests use it, and deleting it would delete their
# MLModels.
. "$(dirname "$0")/../smoke/lib.sh"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
crd_file="$root/crds/serving.mlops.dev_mlmodels.yaml"
crd=mlmodels.serving.mlops.dev
command -v jq >/dev/null || fail "jq is not installed (hack/install-deps.sh)"

new_namespace crd
# A discovery and OpenAPI cache of our own, so that kubectl explain sees this CRD's
# schema and not one cached from an earlier run.
cache=$(mktemp -d)
export KUBECACHEDIR="$cache"
trap "kubectl delete namespace $ns --wait=false >/dev/null 2>&1 || true; rm -rf '$cache'" EXIT

# settled ARGS...: run kubectl; $out gets its stdout, $err its stderr. Retried while
# discovery is briefly incomplete (another test adding or removing a CRD), so that such
# a moment is not mistaken for a rejection.
settled() {
  local i
  for i in $(seq 20); do
    out=$(kubectl "$@" 2>"$cache/stderr") && { err=$(<"$cache/stderr"); return 0; }
    err=$(<"$cache/stderr")
    grep -qE 'unable to recognize|no matches for kind|could not find the requested resource|unable to retrieve the complete list' \
      <<<"$err" || return 1
    sleep 0.5
  done
  return 1
}

# --- install -----------------------------------------------------------------------
kubectl apply -f "$crd_file" >/dev/null || fail "kubectl apply of $crd_file failed"
kubectl wait --for=condition=Established "crd/$crd" --timeout=60s >/dev/null ||
  fail "crd/$crd not established"
poll 30 kubectl get -n "$ns" mlmodels >/dev/null 2>&1 || fail "mlmodels are not served"

file_bytes=$(wc -c <"$crd_file")
annotation_bytes=$(kubectl get crd "$crd" -o json |
  jq -r '.metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"] // ""' |
  wc -c)
[ "$annotation_bytes" -gt 1000 ] || fail "crd/$crd has no last-applied annotation after kubectl apply"
[ "$annotation_bytes" -lt 262144 ] ||
  fail "the last-applied annotation of crd/$crd is $annotation_bytes bytes: client-side kubectl apply breaks at 262144"
[ "$file_bytes" -lt 102400 ] ||
  fail "$crd_file is $file_bytes bytes: keep the CRD under 100 KiB (the apply limit is 256 KiB)"
echo "ok: crd/$crd installed; file $file_bytes bytes, last-applied annotation $annotation_bytes bytes"

# --- every field is described --------------------------------------------------------
undescribed=$(kubectl get crd "$crd" -o json | jq -r '
  .spec.versions[].schema.openAPIV3Schema as $s
  | [$s | paths | select(length >= 2 and .[-2] == "properties")]
  | map(select(. != ["properties", "metadata"]))
  | map(select(. as $p | $s | getpath($p) | has("description") | not))
  | map(map(select(. != "properties" and . != "items")) | map(tostring) | join("."))
  | .[]')
[ -z "$undescribed" ] || fail "fields without a description: $(echo $undescribed)"
echo "ok: every field has a description"

# --- bad manifests: rejected, naming the field ---------------------------------------
failures=0
cases=0
for f in "$here"/bad/*.yaml; do
  case_name=$(basename "$f" .yaml)
  cases=$((cases + 1))
  mapfile -t expects < <(sed -n 's/^# expect: //p' "$f")
  if [ "${#expects[@]}" -eq 0 ]; then
    echo "FAIL $case_name: the fixture has no '# expect: <substring>' line" >&2
    failures=$((failures + 1))
    continue
  fi
  if settled create -n "$ns" -f "$f"; then
    echo "FAIL $case_name: accepted, want a rejection naming: ${expects[*]}" >&2
    kubectl delete -n "$ns" -f "$f" --wait=false >/dev/null 2>&1 || true
    failures=$((failures + 1))
    continue
  fi
  out="$out$err"
  missing=()
  for e in "${expects[@]}"; do
    grep -qF -- "$e" <<<"$out" || missing+=("$e")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    printf 'FAIL %s: rejected, but the message lacks %s\n  got: %s\n' \
      "$case_name" "$(printf '"%s" ' "${missing[@]}")" "$out" >&2
    failures=$((failures + 1))
    continue
  fi
  echo "ok: $case_name rejected: $(tail -n 1 <<<"$out" | cut -c1-160)"
done
[ "$failures" -eq 0 ] || fail "$failures of $cases bad manifests were not rejected as expected"

# --- good manifests: the samples, and the defaults -----------------------------------
for f in "$root"/manifests/samples/*.yaml; do
  settled apply --dry-run=server -n "$ns" -f "$f" || fail "sample $(basename "$f") was rejected: $err"
  echo "ok: sample $(basename "$f") accepted"
done

# want LABEL GOT WANT
want() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
settled apply --dry-run=server -n "$ns" -o json \
  -f "$root/manifests/samples/fraud-detector-canary.yaml" || fail "the canary sample was rejected: $err"
defaults=$out
d() { jq -c -r "$1" <<<"$defaults"; }
want "spec.port" "$(d .spec.port)" 8080
want "spec.pinDigest" "$(d .spec.pinDigest)" true
want "spec.revisionHistoryLimit" "$(d .spec.revisionHistoryLimit)" 10
want "spec.probes.readiness.path" "$(d .spec.probes.readiness.path)" /v2/health/ready
want "spec.probes.liveness.path" "$(d .spec.probes.liveness.path)" /v2/health/live
want "spec.probes.readiness.periodSeconds" "$(d .spec.probes.readiness.periodSeconds)" 10
want "spec.probes.readiness.enabled" "$(d .spec.probes.readiness.enabled)" true
want "spec.rollout.paused" "$(d .spec.rollout.paused)" false
want "spec.rollout.canary.progressDeadline" "$(d .spec.rollout.canary.progressDeadline)" 10m
want "spec.rollout.canary.traffic" "$(d .spec.rollout.canary.traffic)" '{"replicas":{}}'
want "spec.rollout.canary.analysis.interval" "$(d .spec.rollout.canary.analysis.interval)" 30s
want "spec.rollout.canary.analysis.consecutiveErrorLimit" \
  "$(d .spec.rollout.canary.analysis.consecutiveErrorLimit)" 4
want "spec.rollout.canary.analysis.prometheus.timeout" \
  "$(d .spec.rollout.canary.analysis.prometheus.timeout)" 10s
want "spec.replicas" "$(d .spec.replicas)" 4
want "spec.version (the operator defaults it, not the schema)" "$(d '.spec.version // ""')" ""
echo "ok: defaults materialise"

# Edge cases that must pass: the image grammar's corners, boundary weights, an unset
# replicas (an HPA owns scaling), both bounds, gatewayAPI traffic.
good_image() {
  printf 'apiVersion: serving.mlops.dev/v1alpha1\nkind: MLModel\nmetadata: {name: g}\nspec: {image: "%s"}\n' "$1" |
    kubectl apply --dry-run=server -n "$ns" -f - >/dev/null 2>&1 || fail "image $1 was rejected"
}
for image in fraud fraud:1.0.0 localhost:5000/fraud 127.0.0.1:16450/models/fraud:v1_2.3-rc.1 \
  '[::1]:5000/models/fraud:1' ghcr.io/acme/team/fraud-model__x.y:latest \
  "registry.example/models/fraud:1.0@sha256:$(printf 'a%.0s' {1..64})" \
  "registry.example/models/fraud@sha256:$(printf '0%.0s' {1..64})"; do
  good_image "$image"
done
kubectl apply --dry-run=server -n "$ns" -f - >/dev/null <<'YAML' || fail "the edge-case MLModel was rejected"
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: edge-cases-with-a-name-of-exactly-fifty-six-characters-x}
spec:
  image: registry.example:5000/models/fraud:1.0.0
  version: 1.0.0-rc.1_b
  resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 2, nvidia.com/gpu: 1}}
  env: [{name: MODEL_NAME, value: fraud}, {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
  tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
  rollout:
    canary:
      steps: [{weight: 1, pause: 1h30m}, {weight: 99, pause: 500ms}]
      traffic: {gatewayAPI: {httpRoute: fraud}}
      analysis:
        prometheus: {address: https://prometheus.monitoring.svc:9090/prefix, authSecretRef: {name: prom}}
        metrics:
        - {name: latency-p99, query: vector(0.2), min: 0, max: 0.5, onNoData: Fail}
        - {name: throughput, query: vector(10), min: 1}
  monitoring:
    enabled: true
    rollbackOnFailure: true
    prometheus: {address: http://prometheus:9090}
    metrics: [{name: error-rate, query: vector(0), max: 0.01}]
YAML
echo "ok: edge cases accepted"

# --- kubectl explain teaches the API -------------------------------------------------
# No grep -q: under pipefail its early exit could kill kubectl with SIGPIPE and fail the pipe.
explain_has() { kubectl explain "$1" 2>/dev/null | grep -F -- "$2" >/dev/null; }
# The published OpenAPI can lag the Established condition by a few seconds, and
# discovery fails for a moment while another test adds or removes a CRD: poll.
poll 60 explain_has mlmodel.spec.rollout.canary.steps "Weights are within 1..99 and increase" ||
  fail "kubectl explain mlmodel.spec.rollout.canary.steps lacks the description: $(kubectl explain mlmodel.spec.rollout.canary.steps 2>&1)"
poll 30 explain_has mlmodel.spec.image "registry.example:5000/models/fraud:1.4.0" ||
  fail "kubectl explain mlmodel.spec.image lacks the description"
echo "ok: kubectl explain prints the descriptions"

# --- scale subresource, short name, category, printer columns ------------------------
kubectl apply -n "$ns" -f "$root/manifests/samples/fraud-detector.yaml" >/dev/null ||
  fail "could not create the fraud-detector sample"
kubectl scale -n "$ns" mlmodel fraud-detector --replicas=5 >/dev/null ||
  fail "kubectl scale mlmodel failed"
want "spec.replicas after kubectl scale" \
  "$(kubectl get -n "$ns" mlm fraud-detector -o jsonpath='{.spec.replicas}')" 5
get_category() { table=$(kubectl get -n "$ns" ml -o wide 2>&1); }
poll 30 get_category || fail "kubectl get ml (the category) failed: $table"
header=${table%%$'\n'*}
for column in NAME VERSION PHASE READY CANARY AGE IMAGE; do
  grep -qw "$column" <<<"$header" || fail "kubectl get ml -o wide lacks column $column: $header"
done
kubectl delete -n "$ns" mlmodel fraud-detector --wait=false >/dev/null
echo "ok: scale subresource, short name mlm, category ml, printer columns"
echo "ok: $cases bad manifests rejected naming their fields; CRD $file_bytes bytes"
