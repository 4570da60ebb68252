#!/usr/bin/env bash
# End to end: the kubectl plugin against the local cluster, a running operator and the
# real Prometheus. Help, version and usage errors (run directly and as `kubectl mlmodel`),
# then every command: status, history, set image --wait, wait (0 promoted, 1 rolled back or
# stalled, 2 timed out), promote, abort, retry, pause, resume, rollback.
# Each result, its exit code, stdout and stderr whole, is compared with a golden file in
# tests/e2e/golden/plugin/ (see golden.sh; UPDATE_GOLDEN=1 rewrites them).
# Usage: plugin.sh PATH-TO-mlmodel-operator PATH-TO-kubectl-mlmodel
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
PLUGIN=$(realpath "${2:?kubectl-mlmodel binary}")
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/golden.sh"
GOLDEN_DIR=$REPO_ROOT/tests/e2e/golden/plugin
GOLDEN_FAIL=fail

# As kubectl finds plugins: kubectl-mlmodel on PATH makes `kubectl mlmodel`.
mkdir -p "$E2E_TMP/bin" && cp "$PLUGIN" "$E2E_TMP/bin/kubectl-mlmodel"
export PATH="$E2E_TMP/bin:$PATH"

# The version must be CMakeLists.txt's project version; the commit is whatever was built.
project_version=$(sed -nE 's/^project\(mlmodel-operator VERSION ([0-9.]+) .*/\1/p' "$REPO_ROOT/CMakeLists.txt")
[ -n "$project_version" ] || fail "no project version in CMakeLists.txt"
GOLDEN_SED=(
  "s/^kubectl mlmodel version ${project_version//./\\.} \(commit [0-9a-f]{12}(-dirty)?\)$/kubectl mlmodel version <VERSION> (commit <COMMIT>)/"
  "s/\"version\":\"${project_version//./\\.}\",\"gitCommit\":\"[0-9a-f]{12}(-dirty)?\"/\"version\":\"<VERSION>\",\"gitCommit\":\"<COMMIT>\"/"
)

# cli NAME ARGS...: the plugin run directly and through kubectl give NAME's result.
cli() {
  local name=$1; shift
  golden_check "$name" "$PLUGIN" "$@"
  golden_check "$name" kubectl mlmodel "$@"
}
echo "-- help: stdout, exit 0, for the plugin and each command, as --help, -h and help"
cli help
cli help --help
cli help -h
cli help help
cli wait-help wait --help
cli wait-help wait -h
cli wait-help help wait
cli wait-help wait pm --timeout 1m --help
cli set-image-help set image --help
cli set-image-help help set image
cli set-help set
cli set-help set --help
echo "-- version"
cli version version
cli version-json version -o json
cli version-json version --output=json
echo "-- usage errors: stderr with the usage, exit 1"
cli unknown-command foo
cli unknown-command-suggestion stauts pm
cli unknown-flag status pm --bogus
cli other-commands-flag status pm --wait
cli missing-argument status
cli missing-image set image pm
cli missing-revision rollback pm
cli bad-timeout wait pm --timeout soon

install_crd
e2e_namespace plugin
repo="e2e/plugin-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0 5.0.0 6.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 4.0.0 5.0.0 6.0.0; do mm_set --model pm --namespace "$ns" --version "$v"; done
mm_set --model pm --namespace "$ns" --version 3.0.0 --error-rate 0.5
start_operator
model_yaml pm 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
km() { kubectl mlmodel "$@" -n "$ns"; }

# What varies between runs: the namespace, the registry and repository, digests (named
# after their tag, so a wrong one shows) and times.
GOLDEN_SED=("s#$REGISTRY/$repo#<REPO>#g" "s#$ns#<NS>#g"
  "s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z/<TIME>/g")
for tag in "${!DIGEST[@]}"; do
  GOLDEN_SED+=("s/${DIGEST[$tag]}/<DIGEST-$tag>/g" "s/${DIGEST[$tag]:0:19}/<DIGEST-$tag>/g")
done
GOLDEN_FAIL=fail_with
# `wait` reports each state it passes through on stderr; which ones it sees is timing.
# Its verdict ("failed: ...", "timed out; ...") and stdout stay.
waiting='^pm: (waiting for the operator|[A-Z][A-Za-z]*: )'
check() { GOLDEN_DROP=$waiting golden_check "$@"; }

echo "-- wait: 0 once the first version is Ready"
check wait-1.0.0 km wait pm --timeout 60s

echo "-- set image --wait: 0 when the canary is promoted"
check set-image-2.0.0 km set image pm "$REGISTRY/$repo:2.0.0" --wait --timeout 90s
golden_poll 20 status-2.0.0 km status pm

echo "-- set image --wait: 1 with the reason when the canary is rolled back"
check set-image-3.0.0-rolled-back km set image pm "$REGISTRY/$repo:3.0.0" --wait --timeout 90s

echo "-- history and rollback --to-revision"
check history-3 km history pm
check rollback-1 km rollback pm --to-revision 1
check wait-rollback km wait pm --timeout 60s
stable_image_is pm 1.0.0 || fail_with "rollback did not run 1.0.0 by digest"
has_event pm CanarySkipped || fail_with "a version in history went through a canary"
check rollback-9 km rollback pm --to-revision 9

echo "-- pause, wait --timeout (2), resume"
check pause km pause pm
check set-image-4.0.0 km set image pm "$REGISTRY/$repo:4.0.0"
paused() { km status pm | grep -E 'canary: +4\.0\.0 .*Paused' >/dev/null; }
poll 30 paused || fail_with "not paused: $(km status pm)"
golden_poll 20 status-paused km status pm
check wait-paused-timeout km wait pm --timeout 2s
check resume km resume pm
check wait-4.0.0 km wait pm --timeout 90s

echo "-- promote"
km set image pm "$REGISTRY/$repo:5.0.0" >/dev/null
poll 30 has_canary pm || fail_with "no canary for 5.0.0"
check promote-5.0.0 km promote pm
check wait-5.0.0 km wait pm --timeout 30s
has_event pm PromoteRequested || fail_with "no PromoteRequested Event"

echo "-- abort (wait: 1), retry (wait: 0)"
km set image pm "$REGISTRY/$repo:6.0.0" >/dev/null
poll 30 has_canary pm || fail_with "no canary for 6.0.0"
check abort-6.0.0 km abort pm
check wait-aborted km wait pm --timeout 30s
kubectl -n "$ns" annotate mlmodel pm serving.mlops.dev/abort- >/dev/null
check retry km retry pm
check wait-6.0.0 km wait pm --timeout 90s
check promote-no-canary km promote pm
golden_poll 20 history-final km history pm
echo "ok: plugin e2e"
