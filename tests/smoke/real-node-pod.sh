#!/usr/bin/env bash
# A pod of a tiny static image turns Ready on the real node (containerd, runc, CNI, the
# kubelet's HTTP readiness probe), the host reaches it by pod IP, another pod reaches it
# through a Service ClusterIP (kube-proxy) and by the Service's name (CoreDNS), and reaches
# the API server through the `kubernetes` Service; exec and logs work through the kubelet.
. "$(dirname "$0")/real-node-lib.sh"
new_namespace realpod
start=$(date +%s.%N)
real_pod web serve 8080
real_pod client sleep
wait_ready web
ready_s=$(echo "$(date +%s.%N) - $start" | bc)
on=$(kubectl -n "$ns" get pod web -o jsonpath='{.spec.nodeName}')
[ "$on" = "$node" ] || fail "pod web ran on '$on', want $node"
ip=$(kubectl -n "$ns" get pod web -o jsonpath='{.status.podIP}')
python3 -c "import ipaddress,sys; sys.exit(ipaddress.ip_address('$ip') not in ipaddress.ip_network('$MLMODEL_NODE_POD_CIDR'))" ||
  fail "pod IP $ip is outside the node's pod range $MLMODEL_NODE_POD_CIDR"

# Host -> pod IP, over the bridge.
body=$(curl -sf --max-time 5 "http://$ip:8080/") || fail "host could not reach pod web at $ip:8080"
[ "$body" = "hello from web" ] || fail "pod web answered '$body'"

# Pod -> Service ClusterIP -> pod, through kube-proxy's rules.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
cip=$(kubectl -n "$ns" get service web -o jsonpath='{.spec.clusterIP}')
wait_ready client
out=""
poll 30 sh -c "kubectl -n $ns exec client -- /tiny get $cip 80 / >/dev/null 2>&1" ||
  fail "pod client could not reach Service web at $cip:80: $(kubectl -n "$ns" exec client -- /tiny get "$cip" 80 / 2>&1)"
out=$(kubectl -n "$ns" exec client -- /tiny get "$cip" 80 /)
grep -q "hello from web" <<<"$out" || fail "Service web answered: $out"

# Pod -> Service by name, through the cluster DNS (CoreDNS on the bridge address).
for name in web "web.$ns.svc" "web.$ns.svc.cluster.local"; do
  out=$(kubectl -n "$ns" exec client -- /tiny get "$name" 80 / 2>&1) ||
    fail "pod client could not reach Service web as '$name': $out"
  grep -q "hello from web" <<<"$out" || fail "Service web as '$name' answered: $out"
done
# Pod -> the API server through the `kubernetes` Service (plain HTTP to its TLS port gets
# Go's 400 "client sent an HTTP request to an HTTPS server": the connection went through).
kip=$(kubectl get service kubernetes -n default -o jsonpath='{.spec.clusterIP}')
api=$(kubectl -n "$ns" exec client -- /tiny get "$kip" 443 / 2>&1 || true)
grep -q "HTTP/1.0 400" <<<"$api" || fail "pod client could not reach the API server at $kip:443: $api"
# Pod -> the cluster's registry and Prometheus at the bridge address (the operator's pod
# resolves digests and queries Prometheus there).
reg_host=${MLMODEL_POD_REGISTRY%:*} reg_port=${MLMODEL_POD_REGISTRY##*:}
out=$(kubectl -n "$ns" exec client -- /tiny get "$reg_host" "$reg_port" /v2/ 2>&1) ||
  fail "pod client could not reach the registry at $MLMODEL_POD_REGISTRY: $out"
prom=${MLMODEL_POD_PROMETHEUS_URL#http://}
out=$(kubectl -n "$ns" exec client -- /tiny get "${prom%:*}" "${prom##*:}" /-/ready 2>&1) ||
  fail "pod client could not reach Prometheus at $MLMODEL_POD_PROMETHEUS_URL: $out"
# ... and nothing but loopback and the bridge may reach them.
rule=$(nft list chain inet "$MLMODEL_NFT_TABLE" input)
for port in "$reg_port" "${prom##*:}"; do
  grep -q "tcp dport {.*$port.*} iifname != { \"lo\", \"[a-z0-9]*\" } counter packets [0-9]* bytes [0-9]* drop" <<<"$rule" ||
    fail "no input rule limits port $port to loopback and the bridge: $rule"
done

# The kubelet's log endpoint, through the API server.
kubectl -n "$ns" logs web | grep -q "serving on :8080" || fail "kubectl logs web: $(kubectl -n "$ns" logs web 2>&1)"
printf 'ok: pod web Ready on %s in %.1fs at %s; host->pod, pod->Service %s (and by name web.%s.svc), pod->kubernetes Service %s, pod->registry and Prometheus at %s work\n' \
  "$node" "$ready_s" "$ip" "$cip" "$ns" "$kip" "${MLMODEL_POD_REGISTRY%:*}"
