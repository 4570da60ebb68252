#!/usr/bin/env bash
# End to end: the analysis reaches a Prometheus that demands TLS and basic auth (Debian's
# Prometheus with a web config of the test's own), with the CA and the credentials taken
# from Secrets in the model's namespace. Right credentials: promoted. Wrong ones: never
# promoted, rolled back with the reason in status.
# Usage: canary-auth.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"
command -v htpasswd >/dev/null || fail "htpasswd missing (apache2-utils; hack/install-deps.sh)"

install_crd
e2e_namespace auth
repo="e2e/auth-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 3.0.0; do mm_set --model am --namespace "$ns" --version "$v"; done

echo "-- a Prometheus with TLS (our own CA) and basic auth"
d=$E2E_TMP/pki
mkdir -p "$d"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=test-ca -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$d/tls.key" -out "$d/tls.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >"$d/ext"
openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
  -extfile "$d/ext" -out "$d/tls.crt" 2>/dev/null
hash=$(htpasswd -nbB -C 5 analyst s3cret | cut -d: -f2)
cat >"$E2E_TMP/web.yml" <<YAML
tls_server_config: {cert_file: $d/tls.crt, key_file: $d/tls.key}
basic_auth_users: {analyst: '$hash'}
YAML
private_prometheus --web.config.file "$E2E_TMP/web.yml"
poll 30 curl -sf --cacert "$d/ca.crt" -u analyst:s3cret "https://127.0.0.1:$pport/-/ready" >/dev/null ||
  fail "TLS Prometheus not ready: $(tail "$E2E_TMP/prom.log")"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$d/ca.crt" "https://127.0.0.1:$pport/api/v1/query?query=up")" = 401 ] ||
  fail "Prometheus answers without credentials: the test would prove nothing"
kubectl -n "$ns" create secret generic prom-ca --from-file=ca.crt="$d/ca.crt" >/dev/null
kubectl -n "$ns" create secret generic prom-auth --from-literal=username=analyst --from-literal=password=s3cret >/dev/null
start_operator

model_yaml am 1.0.0 | sed "s#prometheus: {address: \"[^\"]*\"}#prometheus: {address: \"https://127.0.0.1:$pport\", authSecretRef: {name: prom-auth}, caSecretRef: {name: prom-ca}}#" |
  kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/am --timeout=60s >/dev/null || fail_with "v1 not Ready"
jp mlmodel/am '{.spec.rollout.canary.analysis.prometheus.caSecretRef.name}' | grep -x prom-ca >/dev/null ||
  fail_with "the model does not name the CA Secret"

echo "-- right credentials: analysed over TLS and promoted"
set_image am 2.0.0
poll 90 ready_at am 2.0.0 || fail_with "v2 not promoted through the authenticated Prometheus"
has_event am AnalysisPassed || fail_with "no AnalysisPassed Event"

echo "-- wrong password: no evidence, rolled back, the reason says Unauthorized"
# A new Secret name takes effect at once (a changed Secret within a minute).
kubectl -n "$ns" create secret generic prom-auth-2 --from-literal=username=analyst \
  --from-literal=password=wrong >/dev/null
kubectl -n "$ns" patch mlmodel am --type merge -p "{\"spec\":{\"image\":\"$REGISTRY/$repo:3.0.0\",\"rollout\":{\"canary\":{\"analysis\":{\"prometheus\":{\"authSecretRef\":{\"name\":\"prom-auth-2\"}}}}}}}" >/dev/null
refused() { [ "$(cond am Stalled reason)" = AnalysisErrors ] && no_canary am; }
poll 60 refused || fail_with "wrong credentials did not fail safe"
stable_version_is am 2.0.0 || fail_with "promoted without evidence"
case $(jp mlmodel/am '{.status.history[-1:].message}') in *401*|*nauthori*) ;; *) fail_with "the rollback does not say the credentials were refused" ;; esac
echo "ok: canary auth e2e"
