#!/usr/bin/env bash
# The Grafana dashboard and the alert rules against reality: promtool checks the rules;
# a running operator, scraped by the local cluster's real Prometheus, takes a model
# through a promoted and a rolled-back canary; then every PromQL expression of the
# dashboard and of the rules must evaluate without error, and every metric name they use
# must be one the operator really exports.
# Usage: dashboard-and-alerts.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/../e2e/lib.sh"
files=$REPO_ROOT/charts/mlmodel-operator/files

echo "-- promtool check rules"
promtool check rules "$files/alerts.yaml" >"$E2E_TMP/promtool" 2>&1 || fail "promtool: $(cat "$E2E_TMP/promtool")"

install_crd
e2e_namespace observability
repo="e2e/obs-$RANDOM"
push_images "$repo" 1.0.0 2.0.0 3.0.0 4.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for v in 1.0.0 2.0.0 4.0.0; do mm_set --model om --namespace "$ns" --version "$v"; done
mm_set --model om --namespace "$ns" --version 3.0.0 --error-rate 0.5
# Secure metrics as the chart serves them: HTTPS with a mounted certificate (signed by
# the CA the cluster's Prometheus trusts, for localhost), every scrape reviewed.
secure=${PROMETHEUS_SECURE_DIR:?the cluster has no secure scrape job; restart it with hack/cluster.sh}
mkdir -p "$E2E_TMP/certs"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$E2E_TMP/certs/tls.key" -out "$E2E_TMP/certs/tls.csr" 2>/dev/null
openssl x509 -req -in "$E2E_TMP/certs/tls.csr" -CA "$secure/ca.crt" -CAkey "$secure/ca.key" \
  -CAcreateserial -CAserial "$E2E_TMP/certs/ca.srl" -days 1 -out "$E2E_TMP/certs/tls.crt" \
  -extfile <(printf 'subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth') 2>/dev/null ||
  fail "could not sign the metrics certificate"
# Prometheus' identity: a ServiceAccount bound to the chart's metrics-reader ClusterRole.
reader_role=obs-$ns-metrics-reader
helm template "obs-$ns" "$REPO_ROOT/charts/mlmodel-operator" 2>/dev/null | /usr/bin/python3 -c '
import sys, yaml
role = [d for d in yaml.safe_load_all(sys.stdin) if d and d["kind"] == "ClusterRole"
        and d["metadata"]["name"].endswith("-metrics-reader")][0]
role["metadata"] = {"name": sys.argv[1]}
print(yaml.safe_dump(role))' "$reader_role" | kubectl apply -f - >/dev/null || fail "the chart has no metrics-reader role"
cleanups+=("kubectl delete clusterrole $reader_role clusterrolebinding $reader_role --ignore-not-found >/dev/null")
kubectl -n "$ns" create serviceaccount prometheus >/dev/null
kubectl create clusterrolebinding "$reader_role" --clusterrole="$reader_role" --serviceaccount="$ns:prometheus" >/dev/null
scrape_token=$(kubectl -n "$ns" create token prometheus --duration 1h)
printf '%s' "$scrape_token" >"$secure/token"
# With leader election, as the chart runs it (its metric is on the dashboard).
OPERATOR_ARGS="--leader-elect --leader-election-namespace $ns --metrics-secure --metrics-cert-path $E2E_TMP/certs" start_operator
scrape() { curl -s --cacert "$secure/ca.crt" -o "$E2E_TMP/scraped" -w '%{http_code}' "$@" "https://localhost:$opport/metrics"; }
echo "-- /metrics: 401 without a token, 200 with the metrics-reader's"
code=$(scrape) && [ "$code" = 401 ] || fail "an anonymous scrape got $code"
code=$(scrape -H "Authorization: Bearer $scrape_token") && [ "$code" = 200 ] ||
  fail "the metrics-reader's scrape got $code: $(cat "$E2E_TMP/scraped")"
# The cluster's Prometheus scrapes the operator as a ServiceMonitor would (job mlmodel-operator).
job="mlmodel-operator-$opport"
printf '[{"targets":["127.0.0.1:%s"],"labels":{"job":"%s"}}]' "$opport" "$job" >"$secure/targets/$job.json"
cleanups+=("rm -f $secure/targets/$job.json")
mm_wait_query "up{job=\"$job\"}" 'v == 1' 30 || fail "Prometheus does not scrape the operator over HTTPS: $(curl -s "$PROMETHEUS_URL/api/v1/targets?state=active" | head -c 2000)"

model_yaml om 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/om --timeout=60s >/dev/null || fail_with "v1 not Ready"
set_image om 2.0.0
poll 90 ready_at om 2.0.0 || fail_with "v2 not promoted"
set_image om 3.0.0
rolled() { [ "$(cond om Stalled status)" = True ]; }
poll 90 rolled || fail_with "v3 not rolled back"
# A paused canary keeps its weight gauge (exported only while a canary runs).
kubectl -n "$ns" patch mlmodel om --type merge -p '{"spec":{"rollout":{"paused":true}}}' >/dev/null
set_image om 4.0.0
poll 30 has_canary om || fail_with "no canary for v4"
# A healthy model under continuous verification (mlmodel_degraded is exported for such models).
cat <<YAML | kubectl -n "$ns" apply -f - >/dev/null
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: watched}
spec:
  image: "$REGISTRY/$repo:1.0.0"
  replicas: 1
  monitoring:
    enabled: true
    interval: 2s
    prometheus: {address: "$PROMETHEUS_URL"}
    metrics:
    - {name: error-rate, query: 'vector(0)', max: 0.05}
YAML
mm_wait_query "max(mlmodel_degraded{job=\"$job\",name=\"watched\"})" 'v == 0' 60 ||
  fail "Prometheus did not scrape mlmodel_degraded for the monitored model"
mm_wait_query "sum(mlmodel_rollouts_total{job=\"$job\",outcome=\"RolledBack\"})" 'v >= 1' 30 ||
  fail "Prometheus did not scrape the operator's rollout metrics"
mm_wait_query "max(mlmodel_canary_weight{job=\"$job\"})" 'v == 25' 30 ||
  fail "Prometheus did not scrape the canary weight"

echo "-- every expression evaluates, every metric name is exported"
scrape -H "Authorization: Bearer $scrape_token" >/dev/null && cp "$E2E_TMP/scraped" "$E2E_TMP/exported"
/usr/bin/python3 - "$files" "$E2E_TMP/exported" "$PROMETHEUS_URL" "$job" <<'PY'
import json, re, sys, urllib.parse, urllib.request, yaml
files, exported_path, prom, job = sys.argv[1:5]
exprs = []
for g in yaml.safe_load(open(f"{files}/alerts.yaml"))["groups"]:
    for r in g["rules"]:
        exprs.append((f"alert {r['alert']}", r["expr"]))
dash = json.load(open(f"{files}/dashboard.json"))
for p in dash["panels"]:
    for t in p.get("targets", []):
        exprs.append((f"panel {p['title']!r}", t["expr"]))
for v in dash["templating"]["list"]:
    if v.get("type") == "query":
        m = re.match(r"label_values\((\w+)", v["query"])
        exprs.append((f"variable {v['name']}", m.group(1)))
exported = set()
for line in open(exported_path):
    if line.startswith("# TYPE "):
        exported.add(line.split()[2])
ours = re.compile(r"\b((?:mlmodel|controller_runtime|workqueue|rest_client|leader_election)_[a-z_]+)")
failures = []
for where, e in exprs:
    for name in ours.findall(e):
        base = re.sub(r"_(bucket|sum|count|total)$", "", name)
        if name not in exported and base not in exported and base + "_total" not in exported:
            failures.append(f"{where}: metric {name} is not exported by the operator")
    q = e.replace("$__rate_interval", "1m").replace('"$namespace"', '".*"')
    url = f"{prom}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    try:
        body = json.load(urllib.request.urlopen(url, timeout=10))
        if body.get("status") != "success":
            failures.append(f"{where}: {body}")
    except Exception as ex:  # HTTP 400 carries Prometheus' parse error
        msg = ex.read().decode() if hasattr(ex, "read") else str(ex)
        failures.append(f"{where}: {q}: {msg}")
if failures:
    sys.exit("FAIL:\n  " + "\n  ".join(failures))
print(f"   {len(exprs)} expressions evaluate; their metric names are all exported")
PY
echo "ok: dashboard and alerts"
