#!/usr/bin/env bash
# Every packet stays on this machine: an unused pod IP and a Service IP with no endpoints
# are unreachable, and the host's routing table sends both to the blackhole routes of the
# pod and Service ranges rather than to the default route; pods have no way out either.
# Requests go only to addresses of this cluster (pod and Service ranges).
. "$(dirname "$0")/real-node-lib.sh"
new_namespace blackhole

# fibmatch ADDR: the routing-table entry that carries packets to ADDR: the longest prefix
# of `ip route show match` (this kernel answers `ip route get` for a blackholed address, even
# with fibmatch, with EINVAL, the blackhole's own error, which is checked as well).
fibmatch() {
  local get
  get=$(ip route get "$1" 2>&1) && { echo "routed: $get"; return; }
  [ "$get" = "RTNETLINK answers: Invalid argument" ] || { echo "ip route get: $get"; return; }
  ip route show match "$1" | awk '{
      p = ($1 == "default") ? 0 : (($1 ~ /\//) ? $1 : $2); sub(/.*\//, "", p)
      if ($1 == "default") p = 0
      if (p + 0 >= best) { best = p + 0; line = $0 } }
    END { sub(/ +$/, "", line); print line }'
}

# A pod IP in the cluster's range but outside this node's /24: nothing claims it.
base=${MLMODEL_POD_CIDR%.*.*/*}
unused_pod_ip="$base.200.7"
r=$(fibmatch "$unused_pod_ip")
[ "$r" = "blackhole $MLMODEL_POD_CIDR" ] || fail "route to unused pod IP $unused_pod_ip: '$r', want 'blackhole $MLMODEL_POD_CIDR'"
if curl -s --max-time 3 -o /dev/null "http://$unused_pod_ip:8080/"; then fail "unused pod IP $unused_pod_ip answered"; fi
echo "ok: $unused_pod_ip -> $r; unreachable"

# A Service with no endpoints: kube-proxy rejects it for pods; the host routes it to the blackhole.
kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: nobody}
spec:
  selector: {app: nobody-at-all}
  ports: [{port: 80, targetPort: 8080}]
YAML
cip=$(kubectl -n "$ns" get service nobody -o jsonpath='{.spec.clusterIP}')
r=$(fibmatch "$cip")
[ "$r" = "blackhole $MLMODEL_SERVICE_CIDR" ] || fail "route to Service IP $cip: '$r', want 'blackhole $MLMODEL_SERVICE_CIDR'"
if curl -s --max-time 3 -o /dev/null "http://$cip/"; then fail "Service IP $cip with no endpoints answered"; fi
echo "ok: $cip (no endpoints) -> $r; unreachable from the host"

real_pod probe sleep
wait_ready probe
if out=$(kubectl -n "$ns" exec probe -- /tiny get "$cip" 80 / 2>&1); then fail "Service $cip without endpoints answered a pod: $out"; fi
echo "ok: a pod gets '$out' from $cip"
if out=$(kubectl -n "$ns" exec probe -- /tiny get "$unused_pod_ip" 8080 / 2>&1); then fail "unused pod IP answered a pod: $out"; fi
echo "ok: a pod gets '$out' from $unused_pod_ip"
# A pod has routes to the pod and Service ranges only: no default route out.
routes=$(kubectl -n "$ns" exec probe -- /tiny cat /proc/net/route) || fail "cannot read the pod's routes"
awk 'NR > 1 && $2 == "00000000" {found = 1} END {exit !found}' <<<"$routes" &&
  fail "pod probe has a default route: $routes"
echo "ok: pod probe has no default route ($(($(wc -l <<<"$routes") - 1)) routes)"
# Nothing tried to leave: the counters of the nftables drop rules (forward between the bridge
# and other interfaces, pod addresses leaving by another interface).
if command -v nft >/dev/null && [ -n "${MLMODEL_NFT_TABLE:-}" ]; then
  drops=$(nft list table inet "$MLMODEL_NFT_TABLE" | sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | paste -sd+ | bc)
  echo "ok: packets the leave-the-machine drop rules caught so far: ${drops:-0}"
fi
