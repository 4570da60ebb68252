#!/usr/bin/env bash
# The operator's image built without Docker (hack/operator-image.sh, what `make image`
# runs): pushed to the local cluster's registry, reproducible, its config (user 65532,
# entrypoint, ports, OCI labels), its files (binary, every library ldd names, the loader,
# the CA bundle, passwd and group), then run from the registry under runc with no node:
# --version and --help, and the operator itself against the local cluster as uid 65532
# with a read-only root, answering /readyz.
# Usage: operator-image.sh PATH-TO-mlmodel-operator (needs root, runc, the cluster env)
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v crane >/dev/null || PATH="$CRANE_BIN:$PATH"
command -v runc >/dev/null || fail "runc is missing (apt-get install runc; hack/install-deps.sh installs it)"

tmp=$(mktemp -d)
op_pid="" runner=""
cleanup() {
  local rc=$?
  [ -z "$op_pid" ] || kill "$op_pid" 2>/dev/null || true
  [ -z "$runner" ] || wait "$runner" 2>/dev/null || true
  kubectl delete namespace "${ns:-none}" --wait=false >/dev/null 2>&1 || true
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT

image="$REGISTRY/test/mlmodel-operator:image-test-$$"
source_url="https://example.test/mlmodel-operator.git"
version=$("$OPERATOR" --version | awk '{print $NF}')

echo "-- built and pushed twice: the same digest"
d1=$(IMAGE=$image IMAGE_SOURCE=$source_url "$REPO_ROOT/hack/operator-image.sh" "$OPERATOR" 2>"$tmp/build.log") ||
  fail "build failed: $(cat "$tmp/build.log")"
[[ $d1 =~ ^sha256:[0-9a-f]{64}$ ]] || fail "printed \"$d1\", not a digest"
[ "$(crane digest --insecure "$image")" = "$d1" ] || fail "the registry's digest is not the one printed"
d2=$(IMAGE=$image IMAGE_SOURCE=$source_url "$REPO_ROOT/hack/operator-image.sh" "$OPERATOR" 2>"$tmp/build.log") ||
  fail "second build failed: $(cat "$tmp/build.log")"
[ "$d1" = "$d2" ] || fail "not reproducible: $d1 then $d2"

echo "-- the config: user, entrypoint, ports, env, labels, platform"
crane config --insecure "$image" >"$tmp/config.json"
crane manifest --insecure "$image" >"$tmp/manifest.json"
cfg() { jq -c "$1" "$tmp/config.json"; }
[ "$(cfg .config.User)" = '"65532:65532"' ] || fail "User is $(cfg .config.User)"
[ "$(cfg .config.Entrypoint)" = '["/usr/local/bin/mlmodel-operator"]' ] || fail "Entrypoint is $(cfg .config.Entrypoint)"
[ "$(cfg '.config.ExposedPorts | keys')" = '["8080/tcp","8081/tcp"]' ] || fail "ExposedPorts are $(cfg .config.ExposedPorts)"
grep -q '"PATH=/usr/local/sbin:/usr/local/bin:' <<<"$(cfg .config.Env)" || fail "no PATH in Env: $(cfg .config.Env)"
[ "$(cfg '[.os, .architecture]')" = '["linux","amd64"]' ] || [ "$(uname -m)" != x86_64 ] || fail "platform $(cfg '[.os, .architecture]')"
label() { jq -r --arg k "org.opencontainers.image.$1" '.config.Labels[$k] // ""' "$tmp/config.json"; }
[ "$(label title)" = mlmodel-operator ] || fail "title label: $(label title)"
[ "$(label source)" = "$source_url" ] || fail "source label: $(label source)"
[ "$(label revision)" = "$(git -C "$REPO_ROOT" rev-parse HEAD)" ] || fail "revision label: $(label revision)"
[ "$(label version)" = "$version" ] || fail "version label: $(label version), binary says $version"
[[ $(label created) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]] || fail "created label: $(label created)"
[ -n "$(label description)" ] || fail "no description label"
[ "$(jq -c .config.Labels "$tmp/config.json")" = "$(jq -c .annotations "$tmp/manifest.json")" ] ||
  fail "the manifest's annotations differ from the labels"
[ "$(jq -r .mediaType "$tmp/manifest.json")" = application/vnd.oci.image.manifest.v1+json ] || fail "not an OCI manifest"
[ "$(jq '.layers | length' "$tmp/manifest.json")" = 1 ] || fail "want one layer"

echo "-- the files: binary, libraries, loader, CA bundle, passwd, group, nothing else runnable"
crane export --insecure "$image" "$tmp/rootfs.tar"
tar -tvf "$tmp/rootfs.tar" --numeric-owner >"$tmp/list"
sed -E 's/^([^ ]+ +){5}//; s/ -> .*//; s:/$::' "$tmp/list" | sort >"$tmp/paths"
has() { grep -qxF "$1" "$tmp/paths" || fail "no $1 in the image"; }
has usr/local/bin/mlmodel-operator
grep -qE '^-rwxr-xr-x 0/0 .* usr/local/bin/mlmodel-operator$' "$tmp/list" || fail "binary mode or owner: $(grep mlmodel-operator "$tmp/list")"
ldd "$OPERATOR" | sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p' >"$tmp/libs"
[ "$(wc -l <"$tmp/libs")" -gt 5 ] || fail "ldd found too few libraries: $(cat "$tmp/libs")"
while read -r lib; do
  has "$(realpath "$lib" | sed 's:^/::')"   # the file, at the host's real path
done <"$tmp/libs"
has lib64   # the loader's path goes through /lib64 -> usr/lib64, as on the host
has etc/ssl/certs/ca-certificates.crt
has usr/lib/ssl/cert.pem
has etc/passwd
has etc/group
grep -qE '^drwx------ 65532/65532 .* home/nonroot/?$' "$tmp/list" || fail "home/nonroot is not 65532's: $(grep home/ "$tmp/list")"
for shell in bin/sh usr/bin/sh bin/bash usr/bin/bash; do
  ! grep -qxF "$shell" "$tmp/paths" || fail "the image holds a shell: $shell"
done
[ "$(awk '{print $4" "$5}' "$tmp/list" | sort -u | wc -l)" = 1 ] || fail "entries carry different mtimes"
mkdir "$tmp/rootfs"
tar -xf "$tmp/rootfs.tar" -C "$tmp/rootfs" etc/passwd etc/group
grep -qx 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' "$tmp/rootfs/etc/passwd" || fail "passwd: $(cat "$tmp/rootfs/etc/passwd")"
grep -qx 'nonroot:x:65532:' "$tmp/rootfs/etc/group" || fail "group: $(cat "$tmp/rootfs/etc/group")"
cmp -s <(tar -xOf "$tmp/rootfs.tar" etc/ssl/certs/ca-certificates.crt) /etc/ssl/certs/ca-certificates.crt ||
  fail "the CA bundle differs from this machine's"
echo "   $(wc -l <"$tmp/paths") entries, $(wc -l <"$tmp/libs") libraries and loader"

echo "-- run from the registry under runc: --version, --help"
out=$("$REPO_ROOT/hack/run-image.sh" --insecure "$image" --version 2>&1) || fail "--version in the image failed: $out"
[ "$out" = "mlmodel-operator $version" ] || fail "--version in the image printed: $out"
out=$("$REPO_ROOT/hack/run-image.sh" --insecure "$image" --help 2>&1) || fail "--help in the image failed: $out"
grep -q -- '--health-probe-bind-address' <<<"$out" || fail "--help in the image printed: $out"

echo "-- the operator in the image against the cluster: TLS to the API server, uid 65532, /readyz"
kubectl apply -f "$REPO_ROOT/crds/serving.mlops.dev_mlmodels.yaml" >/dev/null
kubectl wait --for=condition=Established crd/mlmodels.serving.mlops.dev --timeout=60s >/dev/null
ns="image-test-$RANDOM"
kubectl create namespace "$ns" >/dev/null
# Credentials inlined, readable by 65532 (the cluster's key files are root's only).
kubectl config view --raw --flatten >"$tmp/kubeconfig"
chmod 755 "$tmp"; chmod 644 "$tmp/kubeconfig"
read -r port hport <<<"$(free_ports 2)"
# A sanitizer build (make test SANITIZE=ON) runs here too: LeakSanitizer cannot stop the
# world without ptrace, which a container without capabilities lacks.
"$REPO_ROOT/hack/run-image.sh" --insecure --host-network --timeout 120 --env ASAN_OPTIONS=detect_leaks=0 \
  --mount "$tmp/kubeconfig:/etc/mlmodel/kubeconfig" "$image" \
  --kubeconfig /etc/mlmodel/kubeconfig --namespace "$ns" --insecure-registry "$REGISTRY" \
  --metrics-bind-address "127.0.0.1:$port" --health-probe-bind-address "127.0.0.1:$hport" \
  >"$tmp/operator.log" 2>&1 &
runner=$!
poll 60 curl -sf "127.0.0.1:$hport/readyz" >/dev/null || fail "not ready: $(tail -20 "$tmp/operator.log")"
op_pid=$(ss -Hltnp "sport = :$hport" | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -1)
[ -n "$op_pid" ] || fail "found no process listening on $hport"
uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$op_pid/status")
[ "$uids" = "65532 65532 65532 65532" ] || fail "the operator runs with uids $uids"
[ "$(awk '/^CapEff:/ {print $2}' "/proc/$op_pid/status")" = 0000000000000000 ] || fail "the operator holds capabilities"
# (Read whole first: grep -q in a pipe would end curl early and pipefail would say so.)
metrics=$(curl -sf "127.0.0.1:$port/metrics") || fail "no /metrics"
grep -q '^rest_client_requests_total{code="200"' <<<"$metrics" ||
  fail "no successful API server requests in /metrics: $(grep rest_client_requests <<<"$metrics")"
kill -TERM "$op_pid"
wait "$runner" || fail "the operator exited with $? on SIGTERM: $(tail -20 "$tmp/operator.log")"
op_pid="" runner=""
echo "PASS: image $image@$d1"
