#!/usr/bin/env bash
# RBAC proven, not assumed: install the operator's RBAC from manifests/default (kustomize),
# then the chart's ServiceAccount and RBAC (the same rules, checked), get a token for it
# from the TokenRequest API, and run the reconcile and
# canary e2e tests with the operator binary under that identity. Also fails when a rule
# of the manifests or of the Helm chart grants a wildcard.
# The kustomize install is applied whole, so its Deployment is proven to be accepted too.
# Usage: operator-as-serviceaccount.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "-- no wildcard in any rule"
/usr/bin/python3 - "$REPO_ROOT" <<'PY'
import subprocess, sys, yaml
root = sys.argv[1]
docs = list(yaml.safe_load_all(open(f"{root}/manifests/base/rbac.yaml")))
try:
    out = subprocess.run(["helm", "template", "t", f"{root}/charts/mlmodel-operator"],
                         capture_output=True, text=True, check=True).stdout
    docs += list(yaml.safe_load_all(out))
except (FileNotFoundError, subprocess.CalledProcessError):
    pass  # no chart (or helm) yet: the manifests alone
bad = []
for d in docs:
    if not d or d.get("kind") not in ("Role", "ClusterRole"):
        continue
    for r in d.get("rules", []):
        for f in ("verbs", "resources", "apiGroups"):
            if "*" in r.get(f, []):
                bad.append(f"{d['kind']} {d['metadata']['name']}: {f} {r[f]}")
if bad:
    sys.exit("FAIL: wildcards in RBAC rules:\n  " + "\n  ".join(bad))
print(f"   {sum(1 for d in docs if d and d.get('kind') in ('Role', 'ClusterRole'))} roles, no wildcards")
PY

echo "-- kubectl apply -k manifests/default (KWOK plays the operator's pod: no image here)"
kubectl apply --server-side --force-conflicts -k "$REPO_ROOT/manifests/default" >/dev/null
kubectl -n mlmodel-system rollout status deploy/mlmodel-operator --timeout=60s >/dev/null ||
  fail "the operator Deployment of manifests/default did not become available"
echo "-- the chart's ServiceAccount and RBAC (helm template), the same rules as the manifests'"
helm template mlmodel-operator "$REPO_ROOT/charts/mlmodel-operator" -n mlmodel-system >"$tmp/chart.yaml" 2>/dev/null ||
  fail "helm template failed"
/usr/bin/python3 - "$tmp/chart.yaml" "$REPO_ROOT/manifests/base/rbac.yaml" "$tmp/chart-rbac.yaml" <<'PY'
import sys, yaml
chart = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kust = [d for d in yaml.safe_load_all(open(sys.argv[2])) if d]
rules = lambda docs, kind: [d["rules"] for d in docs if d["kind"] == kind]
for kind in ("ClusterRole", "Role"):
    if rules(chart, kind) != rules(kust, kind):
        sys.exit(f"FAIL: the chart's {kind} rules differ from manifests/base/rbac.yaml")
keep = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
yaml.safe_dump_all([d for d in chart if d["kind"] in keep], open(sys.argv[3], "w"))
PY
kubectl apply --server-side --force-conflicts -f "$tmp/chart-rbac.yaml" >/dev/null
token=$(kubectl -n mlmodel-system create token mlmodel-operator --duration 2h)
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$tmp/ca.crt"
cat >"$tmp/kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$server", certificate-authority: "$tmp/ca.crt"}}]
users: [{name: sa, user: {token: "$token"}}]
contexts: [{name: sa, context: {cluster: local, user: sa}}]
current-context: sa
YAML
who=$(KUBECONFIG=$tmp/kubeconfig kubectl auth whoami -o jsonpath='{.status.userInfo.username}')
[ "$who" = system:serviceaccount:mlmodel-system:mlmodel-operator ] || fail "the token is $who"
# can-i exits 1 both for "no" and for an error: only its answer "no" counts as no.
answer=$(KUBECONFIG=$tmp/kubeconfig kubectl auth can-i list secrets -A 2>&1) &&
  fail "the ServiceAccount may list Secrets: more than it needs"
case $answer in no | *$'\n'no) ;; *) fail "kubectl auth can-i list secrets -A failed: $answer" ;; esac
KUBECONFIG=$tmp/kubeconfig kubectl auth can-i get secrets -n default >/dev/null ||
  fail "the ServiceAccount may not get Secrets (pull and Prometheus credentials)"

echo "-- secure metrics as $who: it may review scrapers; only a metrics-reader scrapes"
. "$REPO_ROOT/hack/lib.sh"  # free_ports
read -r mport hport < <(free_ports 2)
KUBECONFIG=$tmp/kubeconfig "$OPERATOR" --namespace default --metrics-secure \
  --metrics-bind-address "127.0.0.1:$mport" --health-probe-bind-address "127.0.0.1:$hport" >"$tmp/secure.log" 2>&1 &
secure_op=$!
# Under set -e a failing command in the trap would fail the test: the operator may be gone.
trap '{ kill $secure_op && wait $secure_op; } 2>/dev/null || true
  kubectl delete clusterrolebinding rbac-test-metrics-scraper --ignore-not-found >/dev/null || true
  rm -rf "$tmp"' EXIT
kubectl -n mlmodel-system create serviceaccount metrics-scraper --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl create clusterrolebinding rbac-test-metrics-scraper --clusterrole=mlmodel-operator-metrics-reader \
  --serviceaccount=mlmodel-system:metrics-scraper --dry-run=client -o yaml | kubectl apply -f - >/dev/null
scraper=$(kubectl -n mlmodel-system create token metrics-scraper --duration 1h)
scrape() { curl -sk -o "$tmp/scraped" -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} "https://127.0.0.1:$mport/metrics"; }
poll 30 curl -sf "127.0.0.1:$hport/readyz" >/dev/null || fail "operator not ready: $(tail "$tmp/secure.log")"
[ "$(scrape "$scraper")" = 200 ] || fail "the metrics-reader's scrape: $(cat "$tmp/scraped"); $(tail -3 "$tmp/secure.log")"
grep -q '^mlmodel_operator_' "$tmp/scraped" || fail "no operator metrics in the scrape"
code=$(scrape "$token")
[ "$code" = 403 ] || fail "the operator's own token (no metrics-reader role) got $code: $(cat "$tmp/scraped")"
code=$(scrape "")
[ "$code" = 401 ] || fail "a scrape without a token got $code"
kill $secure_op; wait $secure_op 2>/dev/null || true

for t in operator canary canary-gateway; do
  echo "-- e2e/$t.sh with the operator as $who"
  E2E_OPERATOR_KUBECONFIG=$tmp/kubeconfig bash "$REPO_ROOT/tests/e2e/$t.sh" "$OPERATOR" >"$tmp/$t.log" 2>&1 ||
    fail "e2e/$t.sh under the ServiceAccount: $(tail -40 "$tmp/$t.log")"
done
echo "ok: the operator works with exactly the RBAC it ships"
