#!/usr/bin/env bash
# A Deployment applied with kubectl is scheduled onto KWOK nodes and reaches its ready
# replicas: the controller-manager, scheduler and KWOK all do their part.
. "$(dirname "$0")/lib.sh"
new_namespace deploy
kubectl -n "$ns" apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/web:1.0
        readinessProbe: {httpGet: {path: /, port: 8080}}
YAML
kubectl -n "$ns" rollout status deployment/web --timeout=120s >/dev/null ||
  fail "deployment/web did not roll out: $(kubectl -n "$ns" get deploy,rs,pods -o wide 2>&1)"
ready=$(kubectl -n "$ns" get deployment web -o jsonpath='{.status.readyReplicas}')
[ "$ready" = 3 ] || fail "readyReplicas is '$ready', want 3"
nodes=$(kubectl -n "$ns" get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.status.phase}{"\n"}{end}')
echo "$nodes" | grep -vq '^kwok-node-[0-9]* Running$' &&
  fail "pods not Running on KWOK nodes: $nodes"
echo "ok: 3/3 replicas ready on $(echo "$nodes" | awk '{print $1}' | sort -u | wc -l) KWOK node(s)"
