#!/usr/bin/env bash
# The Helm chart: helm lint; helm template over several sets of values (what each renders
# is checked); bad values fail with a message naming them; helm install --wait into the
# local cluster (KWOK plays the operator's pod: no image is pulled here), then uninstall.
. "$(dirname "$0")/../smoke/lib.sh"
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
chart=$REPO_ROOT/charts/mlmodel-operator
command -v helm >/dev/null || fail "helm is not on PATH (hack/build-tools.sh builds it; eval \"\$(hack/cluster.sh env)\")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "-- helm lint"
helm lint --strict "$chart" >"$tmp/lint" 2>&1 || fail "helm lint: $(cat "$tmp/lint")"

echo "-- helm template over several sets of values"
render() { helm template rel "$chart" --namespace ops "$@" 2>/dev/null; }
check() {  # check NAME PYTHON-ASSERTIONS -- helm args: docs is the list of rendered objects
  local name=$1 code=$2; shift 3
  render "$@" >"$tmp/$name.yaml" || fail "$name: helm template failed"
  /usr/bin/python3 - "$tmp/$name.yaml" "$name" <<PY || fail "$name: the rendered chart is wrong"
import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
kinds = sorted(d["kind"] for d in docs)
by = lambda k: [d for d in docs if d["kind"] == k]
dep = by("Deployment")[0]
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
args = c["args"]
try:
$(echo "$code" | sed 's/^/    /')
except AssertionError as e:
    sys.exit(f"{sys.argv[2]}: {e}\nkinds: {kinds}\nargs: {args}")
PY
}
check defaults '
roles = sorted(r["metadata"]["name"] for r in by("ClusterRole"))
assert roles == ["rel-mlmodel-operator", "rel-mlmodel-operator-metrics-auth", "rel-mlmodel-operator-metrics-reader"], roles
assert kinds.count("ClusterRoleBinding") == 2, "cluster-wide RBAC and the metrics reviews"
reader = [r for r in by("ClusterRole") if r["metadata"]["name"].endswith("-metrics-reader")][0]
assert reader["rules"] == [{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}], reader
assert "--metrics-secure=true" in args and "--metrics-bind-address=:8443" in args, "secure metrics by default"
assert not any(a.startswith("--metrics-cert-path") for a in args), "self-signed by default"
assert "--prometheus-max-reply-mib=8" in args, args
assert "--leader-elect" in args, "leader election on by default"
assert not any(a.startswith("--namespace") for a in args), "watches every namespace"
sc = c["securityContext"]
assert sc["readOnlyRootFilesystem"] and not sc["allowPrivilegeEscalation"] and sc["capabilities"]["drop"] == ["ALL"], sc
assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
assert c["livenessProbe"]["httpGet"]["path"] == "/healthz" and c["readinessProbe"]["httpGet"]["path"] == "/readyz"
assert c["resources"]["requests"] and c["resources"]["limits"], "requests and limits"
assert c["image"] == "mlmodel-operator:0.1.0", c["image"]
assert "ConfigMap" in kinds and by("ConfigMap")[0]["metadata"]["labels"]["grafana_dashboard"] == "1", "dashboard ConfigMap"
assert "ServiceMonitor" not in kinds and "PrometheusRule" not in kinds, "monitoring CRs off by default"
assert "--graceful-shutdown-timeout=15" in args and pod["terminationGracePeriodSeconds"] == 30, "the pod outlives the shutdown bound of the operator"
assert "PodDisruptionBudget" not in kinds, "no PDB for one replica"
assert "NetworkPolicy" not in kinds, "no NetworkPolicy unless asked"
assert "priorityClassName" not in pod and "topologySpreadConstraints" not in pod, pod
' --
check namespaced '
assert [r["metadata"]["name"] for r in by("ClusterRole")] == ["rel-mlmodel-operator-metrics-auth", "rel-mlmodel-operator-metrics-reader"], "no cluster-wide RBAC but the metrics reviews"
roles = by("Role")
assert sorted(r["metadata"]["namespace"] for r in roles) == ["ml-a", "ml-b", "ops"], roles
assert "--namespace=ml-a,ml-b" in args, args
' -- --set 'watchNamespaces={ml-a,ml-b}'
check ha-and-monitoring '
assert dep["spec"]["replicas"] == 3
pdb = by("PodDisruptionBudget")[0]["spec"]
assert pdb["minAvailable"] == 1 and pdb["selector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"], pdb
assert "ServiceMonitor" in kinds and "PrometheusRule" in kinds
ep = by("ServiceMonitor")[0]["spec"]["endpoints"][0]
assert ep["scheme"] == "https" and ep["bearerTokenFile"].endswith("serviceaccount/token"), ep
rule = by("PrometheusRule")[0]
assert {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]} >= {"MLModelRolledBack", "MLModelDegraded", "MLModelOperatorDown"}
assert "--insecure-registry=registry.local:5000" in args
assert c["image"] == "example.com/ml/operator:1.2.3"
' -- --set replicaCount=3 --set prometheusRule.enabled=true --set metrics.serviceMonitor.enabled=true \
     --set 'insecureRegistries={registry.local:5000}' --set image.repository=example.com/ml/operator --set image.tag=1.2.3
check plain-metrics '
assert "--metrics-secure=false" in args and "--metrics-bind-address=:8080" in args, args
assert [r["metadata"]["name"] for r in by("ClusterRole")] == ["rel-mlmodel-operator"], "no metrics roles"
ep = by("ServiceMonitor")[0]["spec"]["endpoints"][0]
assert "scheme" not in ep and "bearerTokenFile" not in ep, ep
' -- --set metrics.secure=false --set metrics.service.port=8080 --set metrics.serviceMonitor.enabled=true
check mounted-metrics-certificate '
assert "--metrics-cert-path=/var/run/metrics-certs" in args, args
assert c["volumeMounts"] == [{"name": "metrics-certs", "mountPath": "/var/run/metrics-certs", "readOnly": True}]
assert pod["volumes"] == [{"name": "metrics-certs", "secret": {"secretName": "operator-metrics-tls"}}]
' -- --set metrics.certSecret=operator-metrics-tls
check hardened '
np = by("NetworkPolicy")[0]["spec"]
assert np["podSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"] and np["policyTypes"] == ["Ingress"], np
assert np["ingress"] == [{"ports": [{"port": "metrics", "protocol": "TCP"}], "from": [{"namespaceSelector": {"matchLabels": {"name": "monitoring"}}}]},
                         {"ports": [{"port": "health", "protocol": "TCP"}]}], np["ingress"]
assert {p["name"] for p in c["ports"]} == {"metrics", "health"}, "the policy names ports the pod has"
assert pod["priorityClassName"] == "system-cluster-critical"
assert "--graceful-shutdown-timeout=40" in args and pod["terminationGracePeriodSeconds"] == 55
tsc = pod["topologySpreadConstraints"]
assert tsc[0]["labelSelector"]["matchLabels"] == dep["spec"]["selector"]["matchLabels"] and tsc[0]["maxSkew"] == 1, tsc
assert tsc[1]["labelSelector"] == {"matchLabels": {"tier": "ops"}}, "a selector given is kept as it is"
assert "PodDisruptionBudget" not in kinds, "PDB turned off"
' -- --set networkPolicy.enabled=true --set 'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring' \
     --set priorityClassName=system-cluster-critical --set gracefulShutdownSeconds=40 \
     --set replicaCount=2 --set podDisruptionBudget.enabled=false \
     --set 'topologySpreadConstraints[0].maxSkew=1' --set 'topologySpreadConstraints[0].topologyKey=kubernetes.io/hostname' \
     --set 'topologySpreadConstraints[0].whenUnsatisfiable=ScheduleAnyway' \
     --set 'topologySpreadConstraints[1].maxSkew=2' --set 'topologySpreadConstraints[1].topologyKey=topology.kubernetes.io/zone' \
     --set 'topologySpreadConstraints[1].whenUnsatisfiable=DoNotSchedule' --set 'topologySpreadConstraints[1].labelSelector.matchLabels.tier=ops'
check trust-boundary '
assert "--prometheus-default-address=http://thanos:10902" in args, args
assert "--prometheus-allowed-prefixes=http://prom.monitoring:9090,https://b/x/" in args, args
assert "--allowed-registries=reg.local:5000/models" in args, args
vap = by("ValidatingAdmissionPolicy")[0]
vars = {v["name"]: v["expression"] for v in vap["spec"]["variables"]}
assert vars["allowedPrometheus"] == "[\"http://prom.monitoring:9090\",\"https://b/x\",\"http://thanos:10902\"]", vars
assert vars["allowedRegistries"] == "[\"reg.local:5000/models\"]", vars
assert vars["allowedMlflow"] == "[\"http://mlflow.mlops:5000\"]", vars
assert "--mlflow-allowed-prefixes=http://mlflow.mlops:5000" in args, args
assert len(vap["spec"]["validations"]) == 3
binding = by("ValidatingAdmissionPolicyBinding")[0]["spec"]
assert binding["policyName"] == vap["metadata"]["name"] and binding["validationActions"] == ["Warn"], binding
assert binding["matchResources"]["namespaceSelector"] == {"matchLabels": {"team": "a"}}, binding
' -- --set prometheus.defaultAddress=http://thanos:10902 --set 'prometheus.allowedPrefixes={http://prom.monitoring:9090,https://b/x/}' \
     --set 'allowedRegistries={reg.local:5000/models}' --set admissionPolicy.enabled=true \
     --set 'mlflow.allowedPrefixes={http://mlflow.mlops:5000}' \
     --set 'admissionPolicy.validationActions={Warn}' --set admissionPolicy.namespaceSelector.matchLabels.team=a
check open-by-default '
assert not any(a.startswith(("--prometheus-default", "--prometheus-allowed", "--allowed-registries")) for a in args), args
assert "ValidatingAdmissionPolicy" not in kinds
' --
check pinned-by-digest '
assert c["image"] == "example.com/ml/operator@sha256:abababababababababababababababababababababababababababababababab", c["image"]
' -- --set image.repository=example.com/ml/operator --set image.tag=1.2.3 --set image.digest=sha256:abababababababababababababababababababababababababababababababab

echo "-- bad values fail at install with a message naming them"
bad() {  # bad EXPECTED-TEXT helm-args...
  local want=$1; shift
  if helm template rel "$chart" "$@" >"$tmp/bad" 2>&1; then fail "accepted: $*"; fi
  grep -F -- "$want" "$tmp/bad" >/dev/null || fail "for $*: no '$want' in: $(cat "$tmp/bad")"
}
bad "/logLevel" --set logLevel=loud
bad "replicaCount" --set replicaCount=0
bad "/image/digest" --set image.digest=latest
bad "additional properties 'replicas' not allowed" --set replicas=2
bad "/watchNamespaces/0" --set 'watchNamespaces={Not_A_Namespace}'
bad "/metrics/certSecret" --set metrics.certSecret=Bad_Name
bad "/prometheusMaxReplyMiB" --set prometheusMaxReplyMiB=0
bad "needs leaderElection.enabled" --set replicaCount=2 --set leaderElection.enabled=false
bad "/podDisruptionBudget/minAvailable" --set podDisruptionBudget.minAvailable=-1
bad "/priorityClassName" --set priorityClassName=Bad_Class
bad "/gracefulShutdownSeconds" --set gracefulShutdownSeconds=-5
bad "/topologySpreadConstraints/0" --set 'topologySpreadConstraints[0].maxSkew=1'
bad "/networkPolicy" --set networkPolicy.from=x
bad "/prometheus/allowedPrefixes/0" --set 'prometheus.allowedPrefixes={prometheus:9090}'
bad "/prometheus/defaultAddress" --set prometheus.defaultAddress=http://u:p@prometheus:9090
bad "/allowedRegistries/0" --set 'allowedRegistries={https://ghcr.io}'
bad "/admissionPolicy/validationActions/0" --set 'admissionPolicy.validationActions={Block}'
bad "there is nothing to enforce" --set admissionPolicy.enabled=true

echo "-- helm install --wait into the local cluster, then uninstall"
ns="helm-chart-$RANDOM"
rel="mlm-$RANDOM"
trap 'helm uninstall "$rel" -n "$ns" >/dev/null 2>&1 || true; kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
# --force-conflicts: the CRD may already be there, applied by kubectl (the other tests).
# Two replicas with the hardening on: the API server accepts the PDB and the NetworkPolicy.
# The admission policy is bound to this namespace only: tests running beside this one are
# not subject to it.
helm install "$rel" "$chart" -n "$ns" --create-namespace --wait --timeout 120s --force-conflicts \
  --set 'watchNamespaces={'"$ns"'}' --set replicaCount=2 --set networkPolicy.enabled=true \
  --set prometheus.defaultAddress=http://prometheus.monitoring:9090 \
  --set 'prometheus.allowedPrefixes={http://prometheus.monitoring:9090}' \
  --set 'allowedRegistries={registry.example:5000/models}' --set admissionPolicy.enabled=true \
  --set 'mlflow.allowedPrefixes={http://mlflow.mlops:5000}' \
  --set "admissionPolicy.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=$ns" \
  >"$tmp/install" 2>&1 || fail "helm install --wait: $(cat "$tmp/install")"
grep "watching" "$tmp/install" >/dev/null || fail "no NOTES: $(cat "$tmp/install")"
kubectl -n "$ns" get deploy "$rel-mlmodel-operator" -o jsonpath='{.status.availableReplicas}' | grep -x 2 >/dev/null ||
  fail "the operator Deployment is not available"
kubectl -n "$ns" get networkpolicy "$rel-mlmodel-operator" >/dev/null || fail "no NetworkPolicy"
# The disruption controller counts the pods the budget selects: both, one may go.
poll 30 sh -c "[ \"\$(kubectl -n $ns get pdb $rel-mlmodel-operator -o jsonpath='{.status.currentHealthy}/{.status.disruptionsAllowed}')\" = 2/1 ]" ||
  fail "the PodDisruptionBudget does not count the operator's pods: $(kubectl -n "$ns" get pdb -o yaml)"
kubectl get crd mlmodels.serving.mlops.dev >/dev/null || fail "no CRD"
# model NAME IMAGE [PROMETHEUS-ADDRESS]: create it, server-side dry run (through admission,
# nothing stored); stderr in $tmp/apply.
model() {
  local prom=""
  [ -n "${3:-}" ] && prom="prometheus: {address: \"$3\"},"
  kubectl -n "$ns" create --dry-run=server -f - >/dev/null 2>"$tmp/apply" <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: $1}
spec:
  image: $2
  rollout: {canary: {steps: [{weight: 10}], analysis: {$prom metrics: [{name: e, query: up, max: 1}]}}}
YAML
}
# A policy is enforced once the API server has compiled it: poll for the first refusal.
refused_other_prometheus() { ! model probe registry.example:5000/models/fraud:1 http://10.0.0.1:9090; }
poll 30 refused_other_prometheus || fail "the admission policy let in a model naming another Prometheus"
grep -F "spec names a Prometheus this cluster does not allow (http://10.0.0.1:9090); allowed: http://prometheus.monitoring:9090" \
  "$tmp/apply" >/dev/null || fail "the refusal does not say what is allowed: $(cat "$tmp/apply")"
! model other docker.io/evil/miner:1 || fail "the admission policy let in an image from another registry"
grep -F "spec.image docker.io/evil/miner:1 is not from a registry this cluster allows (registry.example:5000/models)" \
  "$tmp/apply" >/dev/null || fail "the refusal does not name the image: $(cat "$tmp/apply")"
model fine registry.example:5000/models/fraud:1 || fail "the admission policy refused a model within it: $(cat "$tmp/apply")"
model fine2 registry.example:5000/models/fraud:1 http://prometheus.monitoring:9090/ ||
  fail "the admission policy refused the default address: $(cat "$tmp/apply")"
# A model from MLflow has no spec.image: the registry rule leaves it to the operator, and
# the MLflow rule checks its address.
mlflow_model() {
  kubectl -n "$ns" create --dry-run=server -f - >/dev/null 2>"$tmp/apply" <<YAML
apiVersion: serving.mlops.dev/v1alpha1
kind: MLModel
metadata: {name: $1}
spec:
  mlflow: {address: "$2", model: fraud, alias: champion}
YAML
}
mlflow_model from-mlflow http://mlflow.mlops:5000 || fail "the admission policy refused an allowed MLflow: $(cat "$tmp/apply")"
! mlflow_model other-mlflow http://10.0.0.1:5000 || fail "the admission policy let in another MLflow"
grep -F "spec.mlflow.address http://10.0.0.1:5000 is not an MLflow this cluster allows; allowed: http://mlflow.mlops:5000" \
  "$tmp/apply" >/dev/null || fail "the refusal does not say what is allowed: $(cat "$tmp/apply")"
helm uninstall "$rel" -n "$ns" --wait >/dev/null || fail "helm uninstall"
echo "ok: helm chart"
