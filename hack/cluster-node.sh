# The real node of the local cluster (MLMODEL_REAL_NODE=1 hack/cluster.sh up): containerd
# + Debian's runc, kubelet and kube-proxy (iptables mode) built by `hack/build-tools.sh node`,
# pods on a bridge of this cluster's own. Sourced by hack/cluster.sh; defines functions only.
#
# Cluster DNS: CoreDNS as a host process on GATEWAY:53 (kubelet's clusterDNS), cluster.local
# only, no forwarding.
#
# Placement: the node is labelled mlmodel.dev/real-node=true and tainted
# mlmodel.dev/real-node=true:NoSchedule, so KWOK tests (fake images) never land on it; pods
# meant to really run tolerate the taint and select the label.
#
# Network, every packet stays on this machine:
#   - pods get addresses from NODE_POD_CIDR (a /24 of POD_CIDR) on bridge BRIDGE, whose
#     address GATEWAY is also the API server's advertised address and the kubelet's node IP;
#   - pods have routes to POD_CIDR and SERVICE_CIDR through GATEWAY, and no default route;
#   - blackhole routes for all of POD_CIDR and SERVICE_CIDR: a packet no more specific route
#     (the bridge) or kube-proxy DNAT claims is dropped here, never sent to the default route;
#     so the host itself cannot reach ClusterIPs (its connect() meets the blackhole before
#     any DNAT): reach pods by pod IP, or Services from inside pods;
#   - no masquerading to other interfaces (CNI ipMasq off); an nftables table of this cluster
#     drops anything forwarded between the bridge and any other interface, and any packet
#     from a pod address about to leave by an interface other than the bridge (kube-proxy's
#     MASQUERADE rule, which names no interface, thus can only ever act on the bridge).
# Host settings that kubelet, kube-proxy or the bridge plugin change are recorded before
# `up` (node/host-settings) and put back by `down`.

NODE_DIR="$STATE/node"
NODE_NAME=real-node
POD_CIDR="${MLMODEL_POD_CIDR:-10.88.0.0/16}"
NODE_POD_CIDR="${POD_CIDR%.*.*/*}.0.0/24"
GATEWAY="${POD_CIDR%.*.*/*}.0.1"
BRIDGE="mlmbr$BASE"
NFT_TABLE="mlmodel_$BASE"
KUBELET_PORT=$((BASE + 8))
KUBELET_HEALTHZ_PORT=$((BASE + 9))
PROXY_HEALTHZ_PORT=$((BASE + 10))
PROXY_METRICS_PORT=$((BASE + 11))
DNS_HEALTH_PORT=$((BASE + 12))
DNS_READY_PORT=$((BASE + 13))
CGROUP_PARENT="mlmodel-$BASE"
# containerd refuses a shim socket_dir longer than 42 characters, and the cluster's folder
# (~/.cache/mlmodel-operator/cluster/...) is longer: a short folder of this cluster's own.
SHIM_SOCKET_DIR="/run/mlmodel-$BASE"
NODE_COMPONENTS=(containerd coredns kubelet kube-proxy)
NODE_TAINT=mlmodel.dev/real-node=true:NoSchedule
NODE_LABEL=mlmodel.dev/real-node=true
PAUSE_IMAGE="127.0.0.1:$REGISTRY_PORT/mlmodel/pause:3.10"
TINY_IMAGE="127.0.0.1:$REGISTRY_PORT/mlmodel/tiny:1"
# Sysctls kubelet (vm.*, kernel.*), kube-proxy (route_localnet, conntrack) or the bridge
# plugin (ip_forward) may change; recorded and restored.
HOST_SYSCTLS=(net.ipv4.ip_forward vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.conf.all.route_localnet
  net.netfilter.nf_conntrack_max net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables)
# Fixed paths kubelet and the CNI library use whatever their config says; removed on down
# when up created them.
FIXED_DIRS=(/var/lib/kubelet /var/log/containers /var/lib/cni /var/log/pods /run/containerd /etc/cni)

real_node_enabled() { [ -f "$NODE_DIR/enabled" ]; }
crictl() { "$CRICTL_BIN/crictl" --runtime-endpoint "unix://$NODE_DIR/containerd/containerd.sock" "$@"; }

record_host_settings() {
  [ -f "$NODE_DIR/host-settings" ] && return 0
  local s d
  for s in "${HOST_SYSCTLS[@]}"; do
    [ -e "/proc/sys/${s//.//}" ] && printf '%s=%s\n' "$s" "$(sysctl -n "$s")"
  done >"$NODE_DIR/host-settings.tmp"
  for d in "${FIXED_DIRS[@]}"; do [ -e "$d" ] || echo "$d"; done >"$NODE_DIR/created-dirs"
  # iptables-nft creates the nftables tables ip/ip6 filter, nat, mangle on first use.
  nft list tables 2>/dev/null >"$NODE_DIR/nft-tables" || true
  mv "$NODE_DIR/host-settings.tmp" "$NODE_DIR/host-settings"
}

restore_host_settings() {
  [ -f "$NODE_DIR/host-settings" ] || return 0
  local line s v
  while IFS= read -r line; do
    s=${line%%=*}; v=${line#*=}
    [ "$(sysctl -n "$s" 2>/dev/null)" = "$v" ] && continue
    sysctl -qw "$s=$v" && log "restored $s=$v"
  done <"$NODE_DIR/host-settings"
}

# ---- network -----------------------------------------------------------------------
up_node_network() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$GATEWAY/24" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    log "bridge $BRIDGE $GATEWAY/24"
  fi
  local cidr
  for cidr in "$POD_CIDR" "$SERVICE_CIDR"; do
    ip route show type blackhole | grep -q "^blackhole $cidr" || ip route add blackhole "$cidr"
  done
  sysctl -qw net.ipv4.ip_forward=1
  nft -f - <<EOF
table inet $NFT_TABLE
delete table inet $NFT_TABLE
table inet $NFT_TABLE {
  chain forward {
    type filter hook forward priority -5; policy accept;
    iifname "$BRIDGE" oifname != "$BRIDGE" counter drop comment "pods never leave the machine"
    oifname "$BRIDGE" iifname != "$BRIDGE" counter drop comment "nothing from outside reaches pods"
  }
  chain input {
    # The API server, the registry and Prometheus listen on all addresses so that pods
    # reach them on the bridge address: only loopback and the bridge may talk to them.
    type filter hook input priority 0; policy accept;
    tcp dport { $APISERVER_PORT, $REGISTRY_PORT, $PROM_PORT } iifname != { "lo", "$BRIDGE" } counter drop comment "cluster services: loopback and pods only"
  }
  chain postrouting {
    # Before NAT (srcnat is 100): a pod's address about to leave by any other interface,
    # masqueraded or not, is dropped.
    type filter hook postrouting priority 0; policy accept;
    oifname != { "$BRIDGE", "lo" } ip saddr $POD_CIDR counter drop comment "no pod address leaves the bridge"
  }
}
EOF
}

down_node_network() {
  nft delete table inet "$NFT_TABLE" 2>/dev/null || true
  local cidr
  for cidr in "$POD_CIDR" "$SERVICE_CIDR"; do
    ip route del blackhole "$cidr" 2>/dev/null || true
  done
  if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE"; fi
  return 0
}

# iptables chains of kubelet (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT) and
# kube-proxy (KUBE-SERVICES, KUBE-SVC-*, ...), and CNI portmap (CNI-*): jumps to them from
# the built-in chains go first, then the chains.
remove_kube_chains() {
  local ipt table chain rule
  for ipt in iptables ip6tables; do
    command -v "$ipt" >/dev/null || continue
    for table in filter nat mangle; do
      "$ipt-save" -t "$table" 2>/dev/null | grep -E '^-A [A-Z]+ .*-j (KUBE-|CNI-)' | grep -Ev '^-A (KUBE-|CNI-)' |
        while IFS= read -r rule; do
          # shellcheck disable=SC2086
          eval "$ipt -t $table -D ${rule#-A }" 2>/dev/null || true
        done || true # (grep finding nothing fails the pipeline)
      for chain in $("$ipt-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
        "$ipt" -t "$table" -F "$chain" 2>/dev/null || true
      done
      for chain in $("$ipt-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p'); do
        "$ipt" -t "$table" -X "$chain" 2>/dev/null || true
      done
      # The table itself, when iptables-nft created it for us and it is empty again.
      local family=ip; [ "$ipt" = ip6tables ] && family=ip6
      if [ -f "$NODE_DIR/nft-tables" ] && ! grep -qx "table $family $table" "$NODE_DIR/nft-tables" &&
        ! "$ipt-save" -t "$table" 2>/dev/null | grep -q '^-A '; then
        nft delete table "$family" "$table" 2>/dev/null || true
      fi
    done
  done
}

# ---- images ------------------------------------------------------------------------
# build_static_image NAME SOURCE REF ENTRYPOINT: gcc -static SOURCE into a one-file image.
build_static_image() {
  local name=$1 src=$2 ref=$3 entry=$4 dir="$NODE_DIR/images/$1"
  mkdir -p "$dir/root"
  gcc -static -Os -Wall -o "$dir/root/$name" "$src" 2>"$dir/gcc.log" || { cat "$dir/gcc.log" >&2; die "gcc -static $src failed"; }
  tar -C "$dir/root" --owner=0 --group=0 -cf "$dir/layer.tar" "$name"
  "$CRANE_BIN/crane" append --oci-empty-base -f "$dir/layer.tar" -t "$ref.tmp" >/dev/null 2>"$dir/crane.log" ||
    { cat "$dir/crane.log" >&2; die "crane append for $ref failed"; }
  "$CRANE_BIN/crane" mutate "$ref.tmp" --set-platform linux/amd64 --entrypoint "/$name" -t "$ref" >/dev/null 2>>"$dir/crane.log" ||
    { cat "$dir/crane.log" >&2; die "crane mutate for $ref failed"; }
}

push_node_images() {
  build_static_image pause "$HACK_DIR/node/pause.c" "$PAUSE_IMAGE" /pause
  build_static_image tiny "$HACK_DIR/node/tiny.c" "$TINY_IMAGE" /tiny
  log "pushed $PAUSE_IMAGE and $TINY_IMAGE"
}

# ---- containerd --------------------------------------------------------------------
write_containerd_config() {
  local c="$NODE_DIR/containerd"
  mkdir -p "$NODE_DIR/cni/net.d" "$SHIM_SOCKET_DIR" "$NODE_DIR/opt"
  # The cluster's registry speaks plain HTTP, on loopback and on the bridge address (the
  # name pods use for it, so an image reference means the same to the node and to pods).
  local host
  for host in "127.0.0.1:$REGISTRY_PORT" "$GATEWAY:$REGISTRY_PORT"; do
    mkdir -p "$c/certs.d/$host"
    cat >"$c/certs.d/$host/hosts.toml" <<EOF
server = "http://$host"
[host."http://$host"]
  capabilities = ["pull", "resolve"]
EOF
  done
  cat >"$c/config.toml" <<EOF
version = 3
root = "$c/root"
state = "$c/state"
[grpc]
  address = "$c/containerd.sock"
[ttrpc]
  address = "$c/containerd.sock.ttrpc"
[plugins.'io.containerd.shim.v1.manager']
  socket_dir = "$SHIM_SOCKET_DIR"
[plugins.'io.containerd.internal.v1.opt']
  path = "$NODE_DIR/opt"
[plugins.'io.containerd.nri.v1.nri']
  disable = true
[plugins.'io.containerd.cri.v1.images']
  use_local_image_pull = true
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$c/certs.d"
[plugins.'io.containerd.cri.v1.runtime']
  # This VM's root lacks CAP_SYS_RESOURCE: runc may not lower oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["$CNI_BIN"]
    conf_dir = "$NODE_DIR/cni/net.d"
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$NODE_DIR/runc"
        SystemdCgroup = false
[plugins.'io.containerd.grpc.v1.cri']
  stream_server_address = "127.0.0.1"
EOF
  cat >"$NODE_DIR/cni/net.d/10-mlmodel.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "mlmodel-$BASE",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "isDefaultGateway": false,
      "ipMasq": false, "hairpinMode": true,
      "ipam": {
        "type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
        "ranges": [[{"subnet": "$NODE_POD_CIDR", "gateway": "$GATEWAY"}]],
        "routes": [{"dst": "$POD_CIDR"}, {"dst": "$SERVICE_CIDR"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}, "snat": false}
  ]
}
EOF
}

up_containerd() {
  need_bin "$CONTAINERD_BIN/containerd"
  command -v runc >/dev/null || die "runc is not installed (apt-get install -y runc)"
  write_containerd_config
  # containerd finds its shim on PATH.
  export PATH="$CONTAINERD_BIN:$PATH"
  start containerd - "$CONTAINERD_BIN/containerd" \
    --config "$NODE_DIR/containerd/config.toml"
  wait_for containerd crictl info
}

# ---- kubelet and kube-proxy ------------------------------------------------------------
up_kubelet() {
  need_bin "$K8S_NODE_BIN/kubelet"
  local k="$NODE_DIR/kubelet" d
  mkdir -p "$k" "$NODE_DIR/pod-logs" "$NODE_DIR/volume-plugins"
  cert "node-$NODE_NAME" "/O=system:nodes/CN=system:node:$NODE_NAME"
  write_kubeconfig "$k/kubeconfig" "node-$NODE_NAME"
  # cgroup v1 (this VM): the pods' cgroups go under a parent of this cluster's own.
  for d in /sys/fs/cgroup/*/; do
    mountpoint -q "$d" && mkdir -p "$d$CGROUP_PARENT"
  done
  # Pods ask CoreDNS on the bridge address and nothing else: no name server of the outside
  # world is inherited from the host.
  : >"$NODE_DIR/resolv.conf"
  cat >"$k/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_PARENT
address: $GATEWAY
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
clusterDomain: cluster.local
clusterDNS: [$GATEWAY]
resolvConf: $NODE_DIR/resolv.conf
podLogsDir: $NODE_DIR/pod-logs
volumePluginDir: $NODE_DIR/volume-plugins
failSwapOn: false
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
maxPods: 50
EOF
  start kubelet "$KUBELET_HEALTHZ_PORT" "$K8S_NODE_BIN/kubelet" \
    --config "$k/config.yaml" --kubeconfig "$k/kubeconfig" \
    --root-dir "$k/root" --cert-dir "$k/pki" \
    --container-runtime-endpoint "unix://$NODE_DIR/containerd/containerd.sock" \
    --hostname-override "$NODE_NAME" --node-ip "$GATEWAY" \
    --node-labels "$NODE_LABEL,type=real" --register-with-taints "$NODE_TAINT" \
    --v 1
  wait_for kubelet kubectl get node "$NODE_NAME"
  wait_for kubelet kubectl wait --for=condition=Ready node "$NODE_NAME" --timeout=5s
}

up_kube_proxy() {
  need_bin "$K8S_NODE_BIN/kube-proxy"
  cert kube-proxy "/CN=system:kube-proxy"
  write_kubeconfig "$NODE_DIR/kube-proxy.kubeconfig" kube-proxy
  cat >"$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $NODE_DIR/kube-proxy.kubeconfig}
mode: iptables
hostnameOverride: $NODE_NAME
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
nodePortAddresses: ["$GATEWAY/32"]
iptables: {localhostNodePorts: false, masqueradeAll: false}
# Leave the host's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy "$PROXY_HEALTHZ_PORT" "$K8S_NODE_BIN/kube-proxy" --config "$NODE_DIR/kube-proxy.yaml"
  wait_for kube-proxy curl -sf --max-time 2 "http://127.0.0.1:$PROXY_HEALTHZ_PORT/healthz"
}

# ---- cluster DNS ---------------------------------------------------------------------
# CoreDNS as a host process on the bridge address, port 53: answers cluster.local (Services,
# pods, reverse lookups) from the API server and forwards nothing, so no query leaves.
up_coredns() {
  need_bin "$COREDNS_BIN/coredns"
  cert coredns "/CN=system:coredns"
  write_kubeconfig "$NODE_DIR/coredns.kubeconfig" coredns
  kubectl apply -f - >/dev/null <<EOF
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:coredns"}]
EOF
  cat >"$NODE_DIR/Corefile" <<EOF
.:53 {
  bind $GATEWAY
  errors
  health 127.0.0.1:$DNS_HEALTH_PORT
  ready 127.0.0.1:$DNS_READY_PORT
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig $NODE_DIR/coredns.kubeconfig local
    pods insecure
  }
  cache 30
  loadbalance
}
EOF
  start coredns "$DNS_READY_PORT" "$COREDNS_BIN/coredns" -conf "$NODE_DIR/Corefile"
  wait_for coredns curl -sf --max-time 2 "http://127.0.0.1:$DNS_READY_PORT/ready"
}

up_real_node() {
  mkdir -p "$NODE_DIR"
  touch "$NODE_DIR/enabled"
  push_node_images
  up_containerd
  up_coredns
  # kubelet first: kube-proxy takes the node's IP from its Node object.
  up_kubelet
  up_kube_proxy
  log "real node $NODE_NAME ready ($GATEWAY, pods $NODE_POD_CIDR on $BRIDGE)"
}

# Before the control plane: the bridge (the API server advertises its address) and the
# host settings as they were.
prepare_real_node() {
  mkdir -p "$NODE_DIR"
  touch "$NODE_DIR/enabled"
  command -v nft >/dev/null && command -v iptables >/dev/null ||
    die "the real node needs nftables and iptables (apt-get install -y nftables iptables runc)"
  for b in "$CONTAINERD_BIN/containerd" "$CNI_BIN/bridge" "$K8S_NODE_BIN/kubelet" "$CRICTL_BIN/crictl" \
    "$COREDNS_BIN/coredns"; do
    [ -x "$b" ] || die "$(basename "$b") is not built ($b missing); run: hack/build-tools.sh node"
  done
  record_host_settings
  up_node_network
}

stop_one() {
  local name=$1 pid
  running "$name" || return 0
  pid=$(pid_of "$name")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do running "$name" || break; sleep 0.1; done
  if running "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
  log "stopped $name ($pid)"
}

# Everything the node started, in order: kubelet (so it restarts nothing), the pods through
# the runtime (CNI DEL frees their veths and addresses; their namespaces go), containerd and
# the shims, kube-proxy and its rules, leftover mounts, the network, host settings.
down_real_node() {
  real_node_enabled || return 0
  stop_one kubelet
  if running containerd; then
    crictl rmp -af >/dev/null 2>&1 || crictl rmp -af >/dev/null 2>&1 || log "crictl rmp failed; killing shims"
  fi
  stop_one containerd
  # Shims of this containerd (a shim outlives containerd; `pgrep -x` cannot name them: the
  # kernel keeps 15 characters of a command name), then anything still in the pods' cgroups.
  local p pid
  for p in /proc/[0-9]*; do
    case $(readlink "$p/exe" 2>/dev/null) in */containerd-shim-runc-v2) ;; *) continue ;; esac
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $NODE_DIR/containerd/" || continue
    kill -9 "${p#/proc/}" 2>/dev/null && log "killed leftover shim ${p#/proc/}"
  done
  for p in $(cat /sys/fs/cgroup/pids/"$CGROUP_PARENT"/cgroup.procs \
    $(find /sys/fs/cgroup/pids/"$CGROUP_PARENT" -mindepth 1 -name cgroup.procs 2>/dev/null) 2>/dev/null); do
    kill -9 "$p" 2>/dev/null && log "killed leftover pod process $p"
  done
  sleep 0.2
  stop_one kube-proxy
  stop_one coredns
  [ -x "$K8S_NODE_BIN/kube-proxy" ] && "$K8S_NODE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true
  remove_kube_chains
  # Mounts under the cluster's folder (pod volumes, netns, overlay rootfs), deepest first.
  local m
  for m in $(awk -v p="$STATE/" 'index($2, p) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "could not unmount $m"
  done
  down_node_network
  # Cgroups of this cluster's pods (empty once the processes are gone), deepest first.
  local d
  for d in /sys/fs/cgroup/*/"$CGROUP_PARENT"; do
    [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  if [ -f "$NODE_DIR/created-dirs" ]; then
    while IFS= read -r d; do rm -rf "$d"; done <"$NODE_DIR/created-dirs"
  fi
  rm -rf "$SHIM_SOCKET_DIR"
  restore_host_settings
}

status_real_node() {
  real_node_enabled || return 0
  local name rc=0
  for name in "${NODE_COMPONENTS[@]}"; do
    if running "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else
      printf '%-24s stopped\n' "$name"; rc=3
    fi
  done
  local ready
  ready=$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  printf '%-24s %s (%s, pods %s on %s)\n' "node/$NODE_NAME" "${ready:+Ready=$ready}" "$GATEWAY" "$NODE_POD_CIDR" "$BRIDGE"
  [ "$ready" = True ] || rc=3
  return $rc
}
