#!/usr/bin/env bash
# A real, local Kubernetes control plane on loopback, built from source by
# hack/build-tools.sh: etcd, kube-apiserver (TLS, RBAC), kube-controller-manager,
# kube-scheduler, KWOK with fake nodes (pods get scheduled and turn Ready), plus
# Debian's Prometheus and docker-registry.
#
# Usage: hack/cluster.sh up | down | status | env
#   up      start whatever is not running yet and wait until all of it is ready
#   down    stop exactly the processes 'up' started (by recorded PID) and remove state
#   status  say what runs; exit 0 when all of it does, 3 otherwise
#   env     print export lines: KUBECONFIG, PROMETHEUS_URL, REGISTRY, PATH, ...
#   restart kube-apiserver   stop and start the API server (a fault for tests)
#   run operator|model-metrics CMD...  (re)start CMD in the background, tracked and stopped by down
#
# Ports default to a block starting at 16443 and can be moved with MLMODEL_PORT_BASE (keep
# it below 32768, the start of the kernel's ephemeral ports, or a client connection may hold one)
# (each component takes base+offset); state lives in MLMODEL_CLUSTER_DIR.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

STATE="${MLMODEL_CLUSTER_DIR:-$CACHE_ROOT/cluster}"
BASE="${MLMODEL_PORT_BASE:-16443}"
APISERVER_PORT=$BASE
ETCD_PORT=$((BASE + 1))
ETCD_PEER_PORT=$((BASE + 2))
CM_PORT=$((BASE + 3))
SCHED_PORT=$((BASE + 4))
KWOK_PORT=$((BASE + 5))
PROM_PORT=$((BASE + 6))
REGISTRY_PORT=$((BASE + 7))
NODES="${MLMODEL_KWOK_NODES:-2}"
SERVICE_CIDR=10.96.0.0/16
# MLMODEL_REAL_NODE=1: `up` also starts a real node (hack/cluster-node.sh).
REAL_NODE="${MLMODEL_REAL_NODE:-0}"
DEADLINE="${MLMODEL_CLUSTER_TIMEOUT:-120}"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok prometheus registry)
# Processes started on top of the cluster through `run` (the demo's operator): stopped
# first by `down`, listed by `status` when recorded, never required by it.
ADDONS=(operator model-metrics)

PKI="$STATE/pki"
LOGS="$STATE/logs"
PIDS="$STATE/pids"
KUBECONFIG_FILE="$STATE/kubeconfig"

kubectl() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }
# shellcheck source=cluster-node.sh
. "$HACK_DIR/cluster-node.sh"

pid_of() { cat "$PIDS/$1.pid" 2>/dev/null || true; }

# running NAME: the recorded process is alive and is still the binary we started
# (guards against a recycled PID).
running() {
  local pid; pid=$(pid_of "$1")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  local exe; exe=$(tr '\0' '\n' <"/proc/$pid/cmdline" | head -n 1)
  [ "$exe" = "$(cat "$PIDS/$1.exe" 2>/dev/null)" ]
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

need_bin() {
  [ -x "$1" ] || die "$(basename "$1") is not built ($1 missing); run: hack/build-tools.sh"
}

# start NAME PORT CMD...: launch CMD in its own session, logging to logs/NAME.log.
start() {
  local name=$1 port=$2; shift 2
  if running "$name"; then return 0; fi
  if [ "$port" != - ] && port_taken "$port"; then
    die "port $port, which $name needs, is already taken by another process (set MLMODEL_PORT_BASE to move the cluster's ports)"
  fi
  if [ "$port" = - ]; then log "starting $name"; else log "starting $name on 127.0.0.1:$port"; fi
  echo "$1" >"$PIDS/$name.exe"
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  # Until the forked shell has exec'd CMD, its cmdline is still ours and `running`
  # would call it dead; wait for the exec (or a real exit) so later checks are exact.
  local _
  for _ in $(seq 1 100); do
    running "$name" && return 0
    alive "$pid" || return 0
    sleep 0.05
  done
}

# alive PID: the process exists and is not a zombie awaiting its reaper.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

# wait_for NAME CHECK...: poll CHECK until it passes; fail with the log's tail when the
# process dies or the deadline passes.
wait_for() {
  local name=$1; shift
  local end=$((SECONDS + DEADLINE))
  until "$@" >/dev/null 2>&1; do
    if ! running "$name"; then
      echo "error: $name exited; last lines of $LOGS/$name.log:" >&2
      tail -n 30 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    if [ $SECONDS -ge $end ]; then
      echo "error: $name not ready within ${DEADLINE}s; last lines of $LOGS/$name.log:" >&2
      tail -n 30 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

https_ok() {
  curl -sf --max-time 2 --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "$1"
}

# ---- PKI -------------------------------------------------------------------------
# cert NAME SUBJECT [SANS]: a key and a CA-signed certificate; client certs when no SANs.
cert() {
  local name=$1 subj=$2 sans=${3:-}
  [ -f "$PKI/$name.crt" ] && return 0
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  if [ -n "$sans" ]; then
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=%s\n' "$sans" >"$ext"
  else
    printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" \
    -CAcreateserial -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$ext"
}

make_pki() {
  mkdir -p "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=mlmodel-local-ca" -days 365 \
      -sha256 -out "$PKI/ca.crt" 2>/dev/null
  fi
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:10.96.0.1,IP:$GATEWAY,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert admin "/O=system:masters/CN=kubernetes-admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  cert kwok "/O=system:masters/CN=kwok"
  # The API server's identity towards kubelets (logs, exec, port-forward on the real node).
  cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
}

# kubeconfig FILE CERTNAME: a kubeconfig for one identity, with embedded data so it can
# be copied anywhere.
write_kubeconfig() {
  local file=$1 id=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI/ca.crt")
users:
- name: $id
  user:
    client-certificate-data: $(base64 -w0 <"$PKI/$id.crt")
    client-key-data: $(base64 -w0 <"$PKI/$id.key")
contexts:
- name: local
  context: {cluster: local, user: $id, namespace: default}
current-context: local
EOF
  chmod 600 "$file"
}

# ---- components ----------------------------------------------------------------------
up_etcd() {
  need_bin "$ETCD_BIN/etcd"
  start etcd "$ETCD_PORT" "$ETCD_BIN/etcd" --name local --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296 --log-level warn
  wait_for etcd sh -c "curl -sf --max-time 2 http://127.0.0.1:$ETCD_PORT/health | grep -q '\"health\":\"true\"'"
}

up_apiserver() {
  need_bin "$K8S_BIN/kube-apiserver"
  # PodTemplates skip the watch cache, so tests can watch from a compacted
  # resourceVersion straight off etcd and get a real 410 Gone. Extra flags come from
  # MLMODEL_APISERVER_FLAGS.
  # With the real node, pods reach the API server (the `kubernetes` Service, kept by the
  # lease endpoint reconciler) at the bridge's address; it listens there and on loopback.
  local net=(--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --endpoint-reconciler-type none)
  if real_node_enabled; then
    net=(--bind-address 0.0.0.0 --advertise-address "$GATEWAY" --endpoint-reconciler-type lease
      --kubelet-preferred-address-types InternalIP
      --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt"
      --kubelet-client-key "$PKI/apiserver-kubelet-client.key")
  fi
  # An audit log of the writes made by ServiceAccounts of the namespace mlmodel-audit only
  # (tests that must prove who wrote what, and when, run their operators as those), so the
  # log stays small and costs the rest nothing.
  cat >"$STATE/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  userGroups: ["system:serviceaccounts:mlmodel-audit"]
  verbs: [create, update, patch, delete, deletecollection]
- level: None
YAML
  # shellcheck disable=SC2086
  start kube-apiserver "$APISERVER_PORT" "$K8S_BIN/kube-apiserver" \
    --audit-policy-file "$STATE/audit-policy.yaml" --audit-log-path "$STATE/audit.log" \
    --audit-log-maxsize 20 --audit-log-maxbackup 1 --audit-log-mode blocking \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    "${net[@]}" --secure-port "$APISERVER_PORT" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --authorization-mode Node,RBAC --allow-privileged=true \
    --watch-cache-sizes podtemplates#0 ${MLMODEL_APISERVER_FLAGS:-}
  wait_for kube-apiserver https_ok "https://127.0.0.1:$APISERVER_PORT/readyz"
}

up_controller_manager() {
  write_kubeconfig "$STATE/controller-manager.kubeconfig" controller-manager
  local kc="$STATE/controller-manager.kubeconfig"
  start kube-controller-manager "$CM_PORT" "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$CM_PORT" \
    --root-ca-file "$PKI/ca.crt" --service-account-private-key-file "$PKI/sa.key" \
    --use-service-account-credentials=true \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
    --authorization-always-allow-paths /healthz,/readyz,/livez,/metrics \
    --concurrent-deployment-syncs 10 --concurrent-replicaset-syncs 10
  wait_for kube-controller-manager curl -skf --max-time 2 "https://127.0.0.1:$CM_PORT/healthz"
}

up_scheduler() {
  write_kubeconfig "$STATE/scheduler.kubeconfig" scheduler
  local kc="$STATE/scheduler.kubeconfig"
  start kube-scheduler "$SCHED_PORT" "$K8S_BIN/kube-scheduler" \
    --kubeconfig "$kc" --authentication-kubeconfig "$kc" --authorization-kubeconfig "$kc" \
    --leader-elect=false --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" \
    --authorization-always-allow-paths /healthz,/readyz,/livez,/metrics
  wait_for kube-scheduler curl -skf --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz"
}

# Fake nodes that KWOK keeps Ready; pods bound to them turn Running and Ready.
apply_nodes() {
  local i
  for i in $(seq 1 "$NODES"); do
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
---
EOF
  done | kubectl apply -f - >/dev/null
}

up_kwok() {
  need_bin "$KWOK_BIN/kwok"
  write_kubeconfig "$STATE/kwok.kubeconfig" kwok
  start kwok "$KWOK_PORT" "$KWOK_BIN/kwok" --kubeconfig "$STATE/kwok.kubeconfig" \
    --config "$KWOK_BIN/stages.yaml" \
    --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --server-address "127.0.0.1:$KWOK_PORT" \
    --node-lease-duration-seconds 40
  wait_for kwok curl -sf --max-time 2 "http://127.0.0.1:$KWOK_PORT/healthz"
  apply_nodes
  wait_for kwok kubectl wait --for=condition=Ready node --all --timeout=5s
  # The controller-manager creates the default ServiceAccount; pods need it.
  wait_for kube-controller-manager kubectl get serviceaccount default -n default
}

# The secure-metrics job's trust: a CA made here (tests sign the operator's serving
# certificate with it, for the name localhost) and a bearer token file tests write (read
# on every scrape); empty until then.
write_prometheus_secure() {
  local d=$STATE/prometheus/secure
  mkdir -p "$d/targets"
  if [ ! -s "$d/ca.crt" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=mlmodel-test-metrics-ca" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  fi
  [ -e "$d/token" ] || : >"$d/token"
}

write_prometheus_config() {
  mkdir -p "$STATE/prometheus/targets" "$STATE/prometheus/rules"
  write_prometheus_secure
  cat >"$STATE/prometheus/prometheus.yml" <<EOF
# Tests extend this at run time: drop target files into targets/ (file service
# discovery, picked up within a second) and rule files into rules/ (then POST /-/reload).
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
- $STATE/prometheus/rules/*.yml
scrape_configs:
- job_name: prometheus
  static_configs:
  - targets: ["127.0.0.1:$PROM_PORT"]
- job_name: file-sd
  file_sd_configs:
  - files: ["$STATE/prometheus/targets/*.json", "$STATE/prometheus/targets/*.yml"]
    refresh_interval: 1s
# The operator's secure metrics, scraped as a ServiceMonitor would: HTTPS verified against
# secure/ca.crt, a ServiceAccount's bearer token from secure/token.
- job_name: file-sd-secure
  scheme: https
  authorization: {credentials_file: $STATE/prometheus/secure/token}
  tls_config: {ca_file: $STATE/prometheus/secure/ca.crt, server_name: localhost}
  file_sd_configs:
  - files: ["$STATE/prometheus/secure/targets/*.json"]
    refresh_interval: 1s
EOF
}

# listen_host: where the registry and Prometheus listen. With the real node, on every
# address, so that pods (the operator's own) reach them at GATEWAY; the node's nftables
# table lets only loopback and the bridge in (hack/cluster-node.sh).
listen_host() { if real_node_enabled; then echo 0.0.0.0; else echo 127.0.0.1; fi; }

up_prometheus() {
  need_bin /usr/bin/prometheus
  write_prometheus_config
  start prometheus "$PROM_PORT" /usr/bin/prometheus \
    --config.file "$STATE/prometheus/prometheus.yml" \
    --storage.tsdb.path "$STATE/prometheus/data" \
    --web.listen-address "$(listen_host):$PROM_PORT" --web.enable-lifecycle \
    --web.enable-admin-api --log.level warn
  wait_for prometheus curl -sf --max-time 2 "http://127.0.0.1:$PROM_PORT/-/ready"
}

up_registry() {
  need_bin /usr/bin/docker-registry
  mkdir -p "$STATE/registry"
  cat >"$STATE/registry/config.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $STATE/registry/data}
  delete: {enabled: true}
http:
  addr: $(listen_host):$REGISTRY_PORT
EOF
  start registry "$REGISTRY_PORT" /usr/bin/docker-registry serve "$STATE/registry/config.yml"
  wait_for registry curl -sf --max-time 2 "http://127.0.0.1:$REGISTRY_PORT/v2/"
}

# The Gateway API CRDs (HTTPRoute, ...) from the pinned sigs.k8s.io/gateway-api module, so
# canaries can split traffic on a real HTTPRoute. Server-side apply: idempotent.
install_gateway_api() {
  local crds=$GATEWAY_API_DIR/standard-install.yaml
  [ -f "$crds" ] || { log "gateway-api CRDs not built ($crds); skipping"; return 0; }
  if ! kubectl get crd httproutes.gateway.networking.k8s.io >/dev/null 2>&1; then
    kubectl apply --server-side -f "$crds" >/dev/null
    kubectl wait --for=condition=Established crd/httproutes.gateway.networking.k8s.io --timeout=60s >/dev/null
    log "installed the Gateway API $GATEWAY_API_VERSION CRDs"
  fi
}

cmd_up() {
  mkdir -p "$STATE" "$LOGS" "$PIDS"
  if [ "$REAL_NODE" = 1 ]; then prepare_real_node; fi
  make_pki
  write_kubeconfig "$KUBECONFIG_FILE" admin
  up_etcd
  up_apiserver
  up_controller_manager
  up_scheduler
  up_kwok
  up_prometheus
  up_registry
  install_gateway_api
  if real_node_enabled; then up_real_node; fi
  log "cluster ready; eval \"\$(hack/cluster.sh env)\" to use it"
}

cmd_down() {
  [ -d "$PIDS" ] || { echo "cluster: nothing running"; return 0; }
  local name pid i all=("${COMPONENTS[@]}" "${ADDONS[@]}")
  # The demo's operator first, then the real node, then the control plane.
  for name in "${ADDONS[@]}"; do stop_one "$name"; done
  down_real_node
  # Reverse start order, so nothing logs errors about what already went.
  for ((i = ${#all[@]} - 1; i >= 0; i--)); do
    name=${all[$i]}
    if running "$name"; then
      pid=$(pid_of "$name")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do running "$name" || break; sleep 0.1; done
      running "$name" && kill -9 "$pid" 2>/dev/null || true
      log "stopped $name ($pid)"
    fi
  done
  rm -rf "$STATE"
}

# Stops and starts one component, as a fault for tests (an API server restart).
cmd_restart() {
  local name=${1:-}
  case $name in
    kube-apiserver) ;;
    *) die "restart supports: kube-apiserver" ;;
  esac
  running "$name" || die "$name is not running"
  local pid; pid=$(pid_of "$name")
  kill "$pid"
  for _ in $(seq 1 100); do running "$name" || break; sleep 0.1; done
  # Not `running && kill -9` under set -e: a process gone in between would end the script.
  if running "$name"; then kill -9 "$pid" 2>/dev/null || true; fi
  up_apiserver
  log "restarted $name"
}

cmd_status() {
  local name all=0
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else
      printf '%-24s stopped\n' "$name"; all=3
    fi
  done
  status_real_node || all=3
  for name in "${ADDONS[@]}"; do
    [ -f "$PIDS/$name.pid" ] || continue
    if running "$name"; then
      printf '%-24s running (pid %s)\n' "$name" "$(pid_of "$name")"
    else
      printf '%-24s stopped\n' "$name"
    fi
  done
  return $all
}

# run NAME CMD...: (re)start CMD as add-on NAME, tracked like the cluster's own processes
# (logs/NAME.log; stopped by `down`).
cmd_run() {
  local name=${1:-}; shift || true
  case " ${ADDONS[*]} " in *" $name "*) ;; *) die "run supports: ${ADDONS[*]}" ;; esac
  [ $# -gt 0 ] || die "run $name: no command"
  if running "$name"; then
    kill "$(pid_of "$name")" 2>/dev/null || true
    for _ in $(seq 1 100); do running "$name" || break; sleep 0.1; done
  fi
  log "starting $name"
  echo "$1" >"$PIDS/$name.exe"
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PIDS/$name.pid"
  # Until the forked shell has exec'd CMD, its cmdline is still ours and `running`
  # would call it dead; wait for the exec (or a real exit) so later checks are exact.
  local _
  for _ in $(seq 1 100); do
    running "$name" && return 0
    alive "$pid" || return 0
    sleep 0.05
  done
}

# alive PID: the process exists and is not a zombie awaiting its reaper.
alive() {
  local state
  state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ]
}

cmd_env() {
  cat <<EOF
export KUBECONFIG=$KUBECONFIG_FILE
export PROMETHEUS_URL=http://127.0.0.1:$PROM_PORT
export REGISTRY=127.0.0.1:$REGISTRY_PORT
export ETCD_ENDPOINT=http://127.0.0.1:$ETCD_PORT
export MLMODEL_CLUSTER_DIR=$STATE
export MLMODEL_AUDIT_LOG=$STATE/audit.log
export PROMETHEUS_TARGETS_DIR=$STATE/prometheus/targets
export PROMETHEUS_RULES_DIR=$STATE/prometheus/rules
export PROMETHEUS_SECURE_DIR=$STATE/prometheus/secure
export GATEWAY_API_CRDS=$GATEWAY_API_DIR/standard-install.yaml
export PATH=$K8S_BIN:$ETCD_BIN:$KWOK_BIN:$HELM_BIN:$KUSTOMIZE_BIN:$CRANE_BIN:\$PATH
EOF
  if real_node_enabled; then
    cat <<EOF
export MLMODEL_REAL_NODE_NAME=$NODE_NAME
export MLMODEL_REAL_NODE_TAINT=$NODE_TAINT
export MLMODEL_REAL_NODE_LABEL=$NODE_LABEL
export MLMODEL_TINY_IMAGE=$TINY_IMAGE
export MLMODEL_POD_CIDR=$POD_CIDR
export MLMODEL_NODE_POD_CIDR=$NODE_POD_CIDR
export MLMODEL_SERVICE_CIDR=$SERVICE_CIDR
export MLMODEL_NFT_TABLE=$NFT_TABLE
# The same registry and Prometheus at the bridge address, which pods reach too (the
# operator's pod resolves digests and queries Prometheus there; the node pulls from it).
export MLMODEL_POD_REGISTRY=$GATEWAY:$REGISTRY_PORT
export MLMODEL_POD_PROMETHEUS_URL=http://$GATEWAY:$PROM_PORT
export CONTAINER_RUNTIME_ENDPOINT=unix://$NODE_DIR/containerd/containerd.sock
export PATH=$K8S_NODE_BIN:$CRICTL_BIN:$CONTAINERD_BIN:\$PATH
EOF
  fi
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  restart) cmd_restart "${2:-}" ;;
  run) shift; cmd_run "$@" ;;
  *) echo "usage: $0 up|down|status|env|restart kube-apiserver|run operator|model-metrics CMD..." >&2; exit 2 ;;
esac
