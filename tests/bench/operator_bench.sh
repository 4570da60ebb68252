#!/usr/bin/env bash
# The operator at scale, next to its floor, on the local Kubernetes of hack/cluster.sh.
#
# Usage: tests/bench/operator_bench.sh [BUILD_DIR]     (default: build-release)
#   BENCH_MODELS="1000 5000"   model counts, run in this order
#   BENCH_CLUSTER=private      (default) every run on a fresh cluster of its own
#                              (hack/cluster.sh on BENCH_PORT_BASE, default 29443, below the
#                              kernel's ephemeral ports so no client connection holds one), torn
#                              down after it: nothing left by another run or another user
#                              (a backlog in the controller-manager's queues, an operator
#                              watching every namespace) is measured, and nothing has to
#                              drain between runs.
#              =shared         the running cluster of hack/cluster.sh (or $KUBECONFIG): a
#                              namespace per run, deleted and waited for before the next
#   BENCH_CLIENT_QPS=300       private clusters: the controller-manager's and scheduler's
#                              client QPS (burst twice that); 0 keeps their default (20 and
#                              50), at which the floor measures the controller-manager's
#                              rate limiter (about 5 Deployments/s) more than anything
#   BENCH_TIMEOUT=SECONDS      per run, until every model is Ready (default 120 + N/4)
#   BENCH_OPERATOR_ARGS="..."  extra operator flags (e.g. --workers 8)
#   BENCH_KEEP_LOGS=1          keep the operator logs and metrics (the path is printed)
#   BENCH_SKIP_FLOOR=1         only the operator's runs (to look into its figures)
#   BENCH_PEER_BINARY=PATH     a peer operator measured beside ours in the same invocation
#                              (e.g. the Go controller-runtime peer of shared/peer, built
#                              with go build): for each N, after ours, the same run with
#                              the peer on a fresh cluster of its own (shared: a namespace of
#                              its own); it is given ours' flags (--namespace,
#                              --insecure-registry, --log-level, --metrics-bind-address,
#                              --health-probe-bind-address) and must serve
#                              rest_client_requests_total{method} on /metrics and /readyz
#   BENCH_PEER_ARGS="..."      extra peer flags (BENCH_OPERATOR_ARGS is ours only)
#   BENCH_APISERVER_PROFILE=S  CPU profiles of the API server (its /debug/pprof), one after
#                              another, S seconds each, from the start of each timed create
#                              until every object is there (the last one ends up to S seconds
#                              later), kept with the logs as apiserver-WHAT-N.K.pprof (read
#                              them together: go tool pprof -top apiserver-floor-1000.*.pprof):
#                              where the cluster's CPU goes, floor against operator
#   BENCH_SETTLED_SECONDS=S    after every model is Ready and the operator has gone quiet,
#                              leave it alone S seconds (a measurement window) and measure
#                              its CPU time, requests and writes in them (default 0: no
#                              window; the goal at 5,000 models is 600: no writes, CPU at
#                              most half the peer's)
#   shared only: BENCH_QUIET_TIMEOUT=120 (waits for the controller-manager's queues to
#   drain before each run, fails after), BENCH_DRAIN_TIMEOUT=600 (for a run's namespace)
#
# For each N: the floor (N Deployments and N Services shaped as the operator renders them,
# created by one kubectl in one go, timed until every Deployment is Available), then the
# operator (Release, started before the create, watching only its namespace; N MLModels
# created by one kubectl in one go, timed until every one is Ready). Extra KWOK nodes hold
# the pods. Readiness is followed by an informer (mlmodel_wait_ready: a list, then every
# change), so it is seen when it happens and costs the cluster little. The operator's peak
# RSS (VmHWM) and CPU time (utime + stime) are read once every model is Ready and the
# operator has gone quiet, before it is stopped; its API requests come from its /metrics
# (rest_client_requests_total; writes are its POST, PUT, PATCH and DELETE), its Events from
# the API.
# With BENCH_SETTLED_SECONDS: then the settled window, after which the operator is stopped:
# its CPU time and its requests and writes in the window (differences of two reads of its
# /metrics), and, as a cross-check, the API server's writes to MLModels, Deployments,
# Services and Events in the window (apiserver_request_total; on a private cluster only the
# controller-manager writes those besides the operator, and it has nothing to do then).
# With BENCH_PEER_BINARY: the peer's run, measured the same way, then the ratios of ours to
# the peer's.
#
# Prints one line per figure: bench: <name> <value> <unit>; details go to stderr. For each N:
#   floor_models_N_ready_seconds
#   operator_models_N_{ready_seconds, ready_ratio_to_floor, peak_rss, cpu_seconds,
#     requests_per_model, writes_per_model, event_writes_per_model,
#     writes_excluding_events_per_model}
#   operator_models_N_settled_Ss_{cpu_seconds, requests, writes, apiserver_writes}
#   operator_models_N_metrics_scrape_cpu_seconds   one /metrics scrape after the window
#   peer_models_N_...          the same figures for the peer
#   operator_to_peer_models_N_{cpu, peak_rss, ready_seconds, requests, writes,
#     settled_Ss_cpu}_ratio     ours over the peer's (none when the peer's is 0)
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$REPO_ROOT/hack/lib.sh"  # free_ports
BUILD_DIR=${1:-$REPO_ROOT/build-release}
OPERATOR=$BUILD_DIR/operator/mlmodel-operator
WAIT_READY=$BUILD_DIR/tests/mlmodel_wait_ready
PEER=${BENCH_PEER_BINARY:-}
SETTLED=${BENCH_SETTLED_SECONDS:-0}
MODELS=${BENCH_MODELS:-1000 5000}
MODE=${BENCH_CLUSTER:-private}
QPS=${BENCH_CLIENT_QPS:-300}
PODS_PER_NODE=500
NODE_PREFIX=opbench-node
IMAGE_REPO=bench/operator-bench
IMAGE_TAG=1.0.0

say() { printf 'operator_bench: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
now() { date +%s.%N; }
fmt() { awk -v v="$1" 'BEGIN { printf "%.2f", v }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b == 0 ? 0 : a / b) }'; }

[ -x "$OPERATOR" ] || fail "no operator binary at $OPERATOR (cmake --build $BUILD_DIR --target mlmodel-operator)"
[ -x "$WAIT_READY" ] || fail "no $WAIT_READY (cmake --build $BUILD_DIR --target mlmodel_wait_ready)"
case $MODE in shared | private) ;; *) fail "BENCH_CLUSTER: private or shared, not '$MODE'" ;; esac
for n in $MODELS; do [[ $n =~ ^[1-9][0-9]*$ ]] || fail "BENCH_MODELS: '$n' is not a positive count"; done
[ -z "$PEER" ] || [ -x "$PEER" ] || fail "BENCH_PEER_BINARY: no executable at '$PEER'"
[ -z "${BENCH_APISERVER_PROFILE:-}" ] || [[ $BENCH_APISERVER_PROFILE =~ ^[1-9][0-9]*$ ]] ||
  fail "BENCH_APISERVER_PROFILE: '$BENCH_APISERVER_PROFILE' is not a count of seconds"
[ -z "${BENCH_APISERVER_PROFILE:-}" ] || BENCH_KEEP_LOGS=1
[[ $SETTLED =~ ^[0-9]+$ ]] || fail "BENCH_SETTLED_SECONDS: '$SETTLED' is not a count of seconds"
SETTLED=$((10#$SETTLED))

tmp=$(mktemp -d /tmp/operator_bench.XXXXXX)
private=""     # the state directory of the private cluster while one runs
namespaces=()  # namespaces made on the shared cluster
nodes=0        # extra nodes made on the shared cluster
op=""          # the operator's pid while it runs
op_who=""      # and which it is: operator (ours) or peer
watcher=""     # mlmodel_wait_ready's pid while it runs
digest=""      # the pushed image, on the shared cluster's registry
status=0

if [ "$MODE" = shared ]; then
  if [ -z "${KUBECONFIG:-}" ] || [ -z "${REGISTRY:-}" ] || ! command -v kubectl >/dev/null; then
    eval "$("$REPO_ROOT/hack/cluster.sh" env)"
  fi
  kubectl get --raw /readyz >/dev/null 2>&1 || fail "no cluster answers (make cluster-up)"
else
  eval "$("$REPO_ROOT/hack/cluster.sh" env | grep -E '^export PATH=')"  # kubectl
fi

stop_operator() {
  [ -n "$op" ] || return 0
  kill -TERM "$op" 2>/dev/null || true
  for _ in $(seq 1 150); do kill -0 "$op" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$op" 2>/dev/null || true
  wait "$op" 2>/dev/null || true
  op=""
}
stop_watcher() {
  [ -n "$watcher" ] || return 0
  kill "$watcher" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  watcher=""
}
delete_nodes() {
  local i
  for ((i = 1; i <= nodes; i++)); do kubectl delete node "$NODE_PREFIX-$i" --wait=false >/dev/null 2>&1 || true; done
  nodes=0
}
private_down() {
  [ -n "$private" ] || return 0
  MLMODEL_CLUSTER_DIR=$private MLMODEL_PORT_BASE=$MLMODEL_PORT_BASE \
    "$REPO_ROOT/hack/cluster.sh" down >/dev/null 2>&1 || true
  private=""
}
cleanup() {
  set +e
  stop_watcher
  stop_operator
  if [ -n "$private" ]; then
    private_down
  else
    local ns
    for ns in "${namespaces[@]}"; do kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1; done
    delete_nodes
    [ -z "$digest" ] || curl -sf -X DELETE "http://$REGISTRY/v2/$IMAGE_REPO/manifests/$digest" >/dev/null 2>&1
  fi
  if [ -n "${BENCH_KEEP_LOGS:-}" ]; then say "logs and metrics kept in $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- clusters ------------------------------------------------------------------------------
# The controller-manager's metrics (hack/cluster.sh puts it at the API server's port + 3).
cm_port() {
  local server
  server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
  echo $((${server##*:} + 3))
}

# Restarts a component of the private cluster with a higher client QPS: the same command
# line plus the flags, recorded where `hack/cluster.sh down` finds it.
raise_qps() {  # raise_qps NAME HEALTH-PORT
  local name=$1 pid args
  pid=$(cat "$private/pids/$name.pid")
  mapfile -d '' args <"/proc/$pid/cmdline"
  case " ${args[*]} " in *" --kube-api-qps "*) return 0 ;; esac
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  setsid "${args[@]}" --kube-api-qps "$QPS" --kube-api-burst "$((QPS * 2))" \
    >>"$private/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$private/pids/$name.pid"
  local end=$((SECONDS + 60))
  until curl -skf --max-time 2 "https://127.0.0.1:$2/healthz" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "$name did not come back: $(tail -n 5 "$private/logs/$name.log")"
    sleep 0.3
  done
}

# Backlog of the controller-manager's queues, which every namespace shares.
cm_backlog() {
  curl -sk --max-time 5 "https://127.0.0.1:$(cm_port)/metrics" 2>/dev/null | awk '
    /^workqueue_depth\{name="(deployment|replicaset|garbage_collector_attempt_to_delete)"\}/ { s += $NF; seen = 1 }
    END { if (seen) printf "%d", s; else print "unknown" }'
}
wait_quiet() {  # wait_quiet WHAT
  local end=$((SECONDS + ${BENCH_QUIET_TIMEOUT:-120})) b
  while b=$(cm_backlog); [ "$b" != unknown ] && [ "$b" -gt 20 ]; do
    [ $SECONDS -lt $end ] || fail "$1: the controller-manager still has $b objects queued" \
      "(another user's load?); retry later, or run with BENCH_CLUSTER=private"
    sleep 2
  done
  [ "$b" != unknown ] || say "cannot read the controller-manager's metrics; not checking the cluster is quiet"
}

# cluster_for WHAT N: a cluster ready for a run of N pods: the CRD, enough nodes, the image.
cluster_for() {
  local what=$1 n=$2
  if [ "$MODE" = private ]; then
    export MLMODEL_PORT_BASE=${BENCH_PORT_BASE:-29443}
    export MLMODEL_CLUSTER_DIR=$tmp/cluster
    private=$MLMODEL_CLUSTER_DIR
    # KWOK only: one real node per machine, and it belongs to the main cluster.
    MLMODEL_REAL_NODE=0 "$REPO_ROOT/hack/cluster.sh" up >"$tmp/cluster-up.log" 2>&1 ||
      fail "private cluster: $(tail -n 5 "$tmp/cluster-up.log")"
    eval "$("$REPO_ROOT/hack/cluster.sh" env)"
    if [ "$QPS" != 0 ]; then
      raise_qps kube-controller-manager $((MLMODEL_PORT_BASE + 3))
      raise_qps kube-scheduler $((MLMODEL_PORT_BASE + 4))
    fi
  else
    wait_quiet "$what"
  fi
  if ! kubectl get crd mlmodels.serving.mlops.dev >/dev/null 2>&1; then
    [ "$MODE" = private ] || say "installing the MLModel CRD (it stays)"
    kubectl apply -f "$REPO_ROOT/crds/serving.mlops.dev_mlmodels.yaml" >/dev/null
    kubectl wait --for=condition=Established crd/mlmodels.serving.mlops.dev --timeout=60s >/dev/null
  fi
  # KWOK's two default nodes hold 110 pods each.
  local want=$(((n + n / 10 + PODS_PER_NODE - 1) / PODS_PER_NODE)) i
  for ((i = nodes + 1; i <= want; i++)); do
    cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE_PREFIX-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: $NODE_PREFIX-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64, mlmodel-bench: operator}
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "$PODS_PER_NODE"}
  capacity: {cpu: "64", memory: 512Gi, pods: "$PODS_PER_NODE"}
---
EOF
  done >"$tmp/nodes.yaml"
  if [ -s "$tmp/nodes.yaml" ]; then
    kubectl create -f "$tmp/nodes.yaml" >/dev/null
    nodes=$want
  fi
  kubectl wait --for=condition=Ready node -l mlmodel-bench=operator --timeout=120s >/dev/null ||
    fail "the benchmark's KWOK nodes did not turn Ready"
  # On the shared cluster, an operator that watches every namespace would reconcile these
  # models too.
  local p cmd
  [ "$MODE" = private ] || for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
    case ${cmd%% *} in */mlmodel-operator | mlmodel-operator) ;; *) continue ;; esac
    case $cmd in *--namespace*) continue ;; esac
    say "WARNING: pid ${p#/proc/} ($cmd) watches every namespace: it will reconcile the models too"
  done
  digest=$("$REPO_ROOT/hack/push-image.sh" "$IMAGE_REPO" "$IMAGE_TAG")
  IMAGE="$REGISTRY/$IMAGE_REPO:$IMAGE_TAG"
  PINNED="$REGISTRY/$IMAGE_REPO@$digest"
}

# done_with NS: the run is measured; its objects go.
done_with() {
  if [ "$MODE" = private ]; then
    private_down
    nodes=0
    return
  fi
  local t0
  t0=$(now)
  kubectl delete namespace "$1" --wait=false >/dev/null 2>&1 || true
  if kubectl wait --for=delete "namespace/$1" --timeout="${BENCH_DRAIN_TIMEOUT:-600}s" >/dev/null 2>&1; then
    say "namespace $1 gone after $(fmt "$(awk -v a="$t0" -v b="$(now)" 'BEGIN { print b - a }')") s"
  else
    say "namespace $1 still going after ${BENCH_DRAIN_TIMEOUT:-600} s; continuing"
  fi
}

new_namespace() {  # new_namespace PREFIX: sets $ns; waits for its default ServiceAccount
  ns="opbench-$1-$RANDOM"
  kubectl create namespace "$ns" >/dev/null
  [ "$MODE" = private ] || namespaces+=("$ns")
  local end=$((SECONDS + 60))
  until kubectl -n "$ns" get serviceaccount default >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || fail "namespace $ns got no default ServiceAccount"
    sleep 0.2
  done
}

# ---- what is created -----------------------------------------------------------------------
names() { awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++) printf "model-%05d\n", i }'; }

render_models() {  # N
  names "$1" | awk -v image="$IMAGE" '{
    printf "apiVersion: serving.mlops.dev/v1alpha1\nkind: MLModel\nmetadata: {name: %s}\n", $1
    printf "spec: {image: \"%s\", replicas: 1}\n---\n", image }'
}

# What operator/controller/desired.cpp renders for such a model (CRD defaults applied),
# minus the ownerReference to an MLModel that does not exist here.
render_floor() {  # N
  names "$1" | awk -v image="$PINNED" -v version="$IMAGE_TAG" '{
    l = sprintf("app.kubernetes.io/name: %s, app.kubernetes.io/instance: %s, " \
                "app.kubernetes.io/version: \"%s\", app.kubernetes.io/component: model-server, " \
                "app.kubernetes.io/managed-by: mlmodel-operator, serving.mlops.dev/model: %s",
                $1, $1, version, $1)
    probe = "periodSeconds: 10, timeoutSeconds: 1, failureThreshold: 3}"
    printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  labels: {%s}\n", $1, l
    printf "spec:\n  replicas: 1\n"
    printf "  selector: {matchLabels: {serving.mlops.dev/model: %s, serving.mlops.dev/track: stable}}\n", $1
    printf "  template:\n    metadata:\n      labels: {%s, serving.mlops.dev/track: stable}\n", l
    printf "    spec:\n      containers:\n      - name: model-server\n        image: \"%s\"\n", image
    printf "        env: [{name: MODEL_NAME, value: %s}, {name: MODEL_VERSION, value: \"%s\"}]\n", $1, version
    printf "        ports: [{name: http, containerPort: 8080, protocol: TCP}]\n"
    printf "        readinessProbe: {httpGet: {path: /v2/health/ready, port: http}, %s\n", probe
    printf "        livenessProbe: {httpGet: {path: /v2/health/live, port: http}, %s\n", probe
    printf "        securityContext: {allowPrivilegeEscalation: false, runAsNonRoot: true, " \
           "capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}}\n---\n"
    printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  labels: {%s}\n", $1, l
    printf "spec:\n  type: ClusterIP\n  selector: {serving.mlops.dev/model: %s}\n", $1
    printf "  ports: [{name: http, port: 80, targetPort: http, protocol: TCP}]\n---\n" }'
}

# ---- measuring -----------------------------------------------------------------------------
# cpu_ticks PID: the process's CPU time so far (utime + stime), in clock ticks.
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# cpu_sample: "NAME SECONDS" of CPU time so far for the private cluster's components, the
# operator (named operator or peer) and the whole machine (what the floor and the operator
# cost, and where).
cpu_sample() {
  local f pid hz
  hz=$(getconf CLK_TCK)
  {
    if [ -n "$private" ]; then
      for f in "$private"/pids/*.pid; do
        pid=$(cat "$f")
        [ -r "/proc/$pid/stat" ] && echo "$(basename "$f" .pid) $(cpu_ticks "$pid")"
      done
    fi
    [ -z "$op" ] || echo "$op_who $(cpu_ticks "$op")"
    awk '/^cpu / { print "machine-busy", $2 + $3 + $4 + $7 + $8 }' /proc/stat
  } | awk -v hz="$hz" '{ print $1, $2 / hz }'
}

# timed_create NS FILE N RESOURCE CONDITION LIMIT WHAT: creates FILE with one kubectl while
# mlmodel_wait_ready follows RESOURCE (an informer: a list, then every change, relisting or
# reconnecting when the server ends a watch) until N of them have CONDITION True. Sets
# $elapsed (seconds from the start of the create) and $reached (1 when all got there).
# Readiness is seen when it happens and costs the cluster one watch. (A `kubectl get
# --watch` did this before; twice at 1,000 objects it stopped reporting changes, without an
# error, while every object had turned Ready.)
timed_create() {
  local ns=$1 file=$2 n=$3 resource=$4 condition=$5 limit=$6 what=$7
  local t0 creator line out="$tmp/wait.out"
  reached_count=""
  : >"$out"
  "$WAIT_READY" "$ns" "$resource" "$condition" "$n" "$limit" >"$out" 2>>"$tmp/wait.err" &
  watcher=$!
  local end=$((SECONDS + 60))
  until grep -qx synced "$out"; do
    kill -0 "$watcher" 2>/dev/null || fail "mlmodel_wait_ready exited: $(cat "$tmp/wait.err")"
    [ $SECONDS -lt $end ] || fail "mlmodel_wait_ready did not sync within 60 s"
    sleep 0.05
  done
  cpu_sample >"$tmp/cpu-before"
  t0=$(now)
  kubectl -n "$ns" create -f "$file" >/dev/null 2>"$tmp/create.err" &
  creator=$!
  local profiler=""
  if [ -n "${BENCH_APISERVER_PROFILE:-}" ]; then
    rm -f "$tmp/profile.stop"
    (
      k=0
      until [ -e "$tmp/profile.stop" ]; do
        k=$((k + 1))
        kubectl get --raw "/debug/pprof/profile?seconds=$BENCH_APISERVER_PROFILE" \
          >"$tmp/apiserver-$what-$n.$k.pprof" 2>>"$tmp/wait.err" || exit 1
      done
    ) &
    profiler=$!
  fi
  wait "$watcher" || true
  watcher=""
  cpu_sample >"$tmp/cpu-after"
  say "$what, N=$n: CPU seconds until $condition, by process: $(awk '
    NR == FNR { b[$1] = $2; next }
    { printf "%s %.1f; ", $1, $2 - b[$1] }' "$tmp/cpu-before" "$tmp/cpu-after")"
  line=$(tail -n 1 "$out")
  reached=0
  local t1
  t1=$(now)
  case $line in
    reached\ *) reached=1; t1=${line#reached } ;;
    timeout\ *) reached_count=${line#timeout } ;;
    *) say "mlmodel_wait_ready ended without a verdict: $(tail -n 3 "$tmp/wait.err")" ;;
  esac
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  if [ -n "$profiler" ]; then
    touch "$tmp/profile.stop"
    wait "$profiler" || say "an API server profile failed: $(tail -n 1 "$tmp/wait.err")"
  fi
  if ! wait "$creator"; then
    say "kubectl create failed: $(tail -n 3 "$tmp/create.err")"
    return 1
  fi
  [ "$reached" = 1 ]
}

metric_sum() {  # metric_sum FILE REGEX: the sum of the samples whose line matches REGEX
  awk -v re="$2" '$0 ~ re && !/^#/ { s += $NF } END { printf "%.0f", s + 0 }' "$1"
}

# The API server's write counters by resource and verb, to tell the operator's writes
# apart (on the shared cluster other clients add to them).
apiserver_writes() {
  kubectl get --raw /metrics 2>/dev/null | awk '
    /^apiserver_request_total\{/ && /verb="(POST|PUT|PATCH|DELETE|APPLY)"/ {
      match($0, /resource="[^"]*"/); r = substr($0, RSTART + 10, RLENGTH - 11)
      match($0, /subresource="[^"]*"/); s = RLENGTH > 0 ? "/" substr($0, RSTART + 13, RLENGTH - 14) : ""
      match($0, /verb="[^"]*"/); v = substr($0, RSTART + 6, RLENGTH - 7)
      if (r ~ /^(mlmodels|deployments|services|events)$/) n[r s " " v] += $NF }
    END { for (k in n) print k, n[k] }' | sort
}

run_floor() {  # N LIMIT
  local n=$1 limit=$2
  cluster_for "floor, N=$n" "$n"
  new_namespace "floor-$n"
  render_floor "$n" >"$tmp/floor.yaml"
  say "floor, N=$n: creating $n Deployments and $n Services in $ns"
  if timed_create "$ns" "$tmp/floor.yaml" "$n" deployments Available "$limit" floor; then
    floor_seconds=$elapsed
    echo "bench: floor_models_${n}_ready_seconds $(fmt "$elapsed") s"
  else
    say "FAIL: floor, N=$n: ${reached_count:-?} of $n Deployments Available after $(fmt "$elapsed") s"
    status=1
  fi
  done_with "$ns"
}

# requests_by_method FILE: "POST PUT PATCH DELETE GET WATCH TOTAL" of rest_client_requests_total
# in a /metrics reply. Both operators label it {code, host, method}; client-go (the peer's
# client) labels a watch GET, so its WATCH is 0 and its watches count among the GETs.
requests_by_method() {
  local v out=""
  for v in POST PUT PATCH DELETE GET WATCH; do
    out+="$(metric_sum "$1" "^rest_client_requests_total[{].*method=\"$v\"") "
  done
  echo "$out$(metric_sum "$1" '^rest_client_requests_total[{]')"
}

# delta_sum BEFORE AFTER: the sum of the increases between two apiserver_writes outputs.
delta_sum() {
  awk 'NR == FNR { b[$1 " " $2] = $3; next } { d = $3 - b[$1 " " $2]; if (d > 0) s += d }
    END { printf "%d", s }' "$1" "$2"
}
# delta_list BEFORE AFTER: the same, by resource and verb.
delta_list() {
  awk 'NR == FNR { b[$1 " " $2] = $3; next }
    { d = $3 - b[$1 " " $2]; if (d > 0) printf "%s %s %d; ", $1, $2, d }' "$1" "$2"
}

# figure WHO N NAME VALUE UNIT: prints bench: WHO_models_N_NAME VALUE UNIT (VALUE with two
# decimals) and keeps the unrounded VALUE for the ratios between the two operators.
declare -A figures=()
figure() {
  figures[$1:$2:$3]=$4
  echo "bench: ${1}_models_${2}_${3} $(fmt "$4") $5"
}

# run_operator WHO BINARY ARGS N LIMIT: one operator's run. WHO is the figures' prefix
# ("operator" for ours, "peer" for BENCH_PEER_BINARY); ARGS, extra flags (word-split).
run_operator() {
  local who=$1 binary=$2 extra=$3 n=$4 limit=$5 port hport log m
  cluster_for "$who, N=$n" "$n"
  new_namespace "$([ "$who" = operator ] && echo op || echo "$who")-$n"
  read -r port hport <<<"$(free_ports 2)"
  log="$tmp/$who-$n.log"
  m="$tmp/$who-metrics-$n"
  # shellcheck disable=SC2086
  "$binary" --namespace "$ns" --insecure-registry "$REGISTRY" --log-level warn \
    --metrics-bind-address "127.0.0.1:$port" --health-probe-bind-address "127.0.0.1:$hport" \
    $extra >"$log" 2>&1 &
  op=$!
  op_who=$who
  local end=$((SECONDS + 30))
  until curl -sf "127.0.0.1:$hport/readyz" >/dev/null 2>&1; do
    kill -0 "$op" 2>/dev/null || fail "the $who exited: $(tail -n 5 "$log")"
    [ $SECONDS -lt $end ] || fail "the $who was not ready within 30 s: $(tail -n 5 "$log")"
    sleep 0.2
  done
  render_models "$n" >"$tmp/models.yaml"
  apiserver_writes >"$tmp/apiserver-before"
  say "$who, N=$n: creating $n MLModels in $ns ($who $binary, pid $op)"
  local ok=1
  timed_create "$ns" "$tmp/models.yaml" "$n" mlmodels Ready "$limit" "$who" || ok=0

  # Let the work queue and the Event sender drain (bounded), then read the figures while
  # the operator still runs.
  local prev=-1 cur quiet=0
  for _ in $(seq 1 20); do
    curl -sf "127.0.0.1:$port/metrics" >"$m" || break
    cur=$(metric_sum "$m" '^rest_client_requests_total[{]')
    if [ "$cur" = "$prev" ]; then quiet=1; break; fi
    prev=$cur
    sleep 1
  done
  [ $quiet = 1 ] || say "$who, N=$n: still sending requests 20 s after the last model turned Ready"
  local hwm ticks cpu events
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$op/status")
  ticks=$(cpu_ticks "$op")
  cpu=$(awk -v t="$ticks" -v c="$(getconf CLK_TCK)" 'BEGIN { print t / c }')
  apiserver_writes >"$tmp/apiserver-after"
  events=$(kubectl -n "$ns" get events.v1.events.k8s.io --field-selector regarding.kind=MLModel \
    -o jsonpath='{range .items[*]}{.series.count}{"\n"}{end}' 2>/dev/null |
    awk '{ e++; if ($1 != "") s++ } END { printf "%d %d", e, s }')

  # Settled: every model Ready and the operator quiet, then left alone for S seconds (a
  # measurement window, nothing waited for): its CPU time and its requests in the window
  # (the difference of two reads of its /metrics), and the API server's writes to MLModels,
  # Deployments, Services and Events in the window, a cross-check of the operator's count:
  # on a private cluster the only other writer of those is the controller-manager, which
  # has nothing left to do once every Deployment is Available.
  local settled=$SETTLED s_ok=0 s_cpu s_req s_writes s_api s_scrape
  if [ "$settled" != 0 ] && [ $ok = 1 ]; then
    local w0 w1 t0 t1 ms0="$tmp/$who-metrics-$n-settled-start" ms1="$tmp/$who-metrics-$n-settled-end"
    say "$who, N=$n: settled window: leaving the $who alone for $settled s"
    apiserver_writes >"$tmp/apiserver-settled-start"
    cpu_sample >"$tmp/cpu-settled-start"
    if curl -sf "127.0.0.1:$port/metrics" >"$ms0"; then
      t0=$(cpu_ticks "$op")
      sleep "$settled"
      # The window ends before the last scrape: one /metrics scrape (its cost grows with the
      # models an operator reports on) is measured apart, as metrics_scrape_cpu_seconds.
      t1=$(cpu_ticks "$op" 2>/dev/null || echo 0)
      if kill -0 "$op" 2>/dev/null && curl -sf "127.0.0.1:$port/metrics" >"$ms1"; then
        s_scrape=$(awk -v a="$t1" -v b="$(cpu_ticks "$op")" -v c="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / c }')
        cpu_sample >"$tmp/cpu-settled-end"
        apiserver_writes >"$tmp/apiserver-settled-end"
        read -r -a w0 <<<"$(requests_by_method "$ms0")"
        read -r -a w1 <<<"$(requests_by_method "$ms1")"
        s_cpu=$(awk -v a="$t0" -v b="$t1" -v c="$(getconf CLK_TCK)" 'BEGIN { print (b - a) / c }')
        s_req=$((w1[6] - w0[6]))
        s_writes=$((w1[0] + w1[1] + w1[2] + w1[3] - w0[0] - w0[1] - w0[2] - w0[3]))
        s_api=$(delta_sum "$tmp/apiserver-settled-start" "$tmp/apiserver-settled-end")
        s_ok=1
        say "$who, N=$n settled ${settled}s: requests by method: POST $((w1[0] - w0[0]))" \
          "PUT $((w1[1] - w0[1])) PATCH $((w1[2] - w0[2])) DELETE $((w1[3] - w0[3]))" \
          "GET $((w1[4] - w0[4])) WATCH $((w1[5] - w0[5])) (total $s_req)"
        say "$who, N=$n settled ${settled}s: API server writes to mlmodels, deployments," \
          "services, events: $s_api ($(delta_list "$tmp/apiserver-settled-start" "$tmp/apiserver-settled-end"))"
        say "$who, N=$n settled ${settled}s: CPU seconds by process: $(awk '
          NR == FNR { b[$1] = $2; next } { printf "%s %.2f; ", $1, $2 - b[$1] }' \
          "$tmp/cpu-settled-start" "$tmp/cpu-settled-end")"
        if [ "$s_api" -gt "$s_writes" ]; then
          say "$who, N=$n settled ${settled}s: the API server saw $s_api writes to those" \
            "resources, the $who sent $s_writes writes in all: another client wrote too"
        fi
      else
        say "FAIL: $who, N=$n: the $who's /metrics did not answer after the settled window" \
          "(exited? $(tail -n 3 "$log"))"
        status=1
      fi
    else
      say "FAIL: $who, N=$n: the $who's /metrics did not answer before the settled window"
      status=1
    fi
  elif [ "$settled" != 0 ]; then
    say "$who, N=$n: no settled window (not every model turned Ready)"
  fi
  stop_operator

  if [ $ok = 1 ]; then
    figure "$who" "$n" ready_seconds "$elapsed" s
    if [ -n "${floor_seconds:-}" ]; then
      echo "bench: ${who}_models_${n}_ready_ratio_to_floor $(div "$elapsed" "$floor_seconds") x"
    fi
  else
    say "FAIL: $who, N=$n: ${reached_count:-?} of $n models Ready after $(fmt "$elapsed") s; last log lines:"
    tail -n 20 "$log" >&2
    status=1
  fi
  figure "$who" "$n" peak_rss "$(awk -v k="$hwm" 'BEGIN { print k / 1024 }')" MiB
  figure "$who" "$n" cpu_seconds "$cpu" s
  local r posts puts patches deletes gets watches total writes
  read -r -a r <<<"$(requests_by_method "$m")"
  posts=${r[0]} puts=${r[1]} patches=${r[2]} deletes=${r[3]} gets=${r[4]} watches=${r[5]} total=${r[6]}
  writes=$((posts + puts + patches + deletes))
  if [ "$((writes + gets + watches))" != "$total" ]; then
    say "WARNING: $who, N=$n: of $total requests in rest_client_requests_total only" \
      "$((writes + gets + watches)) have a method label of GET, WATCH, POST, PUT, PATCH or" \
      "DELETE: the writes figures may be short (see the API server's writes below)"
  fi
  figure "$who" "$n" requests_per_model "$(awk -v a="$total" -v b="$n" 'BEGIN { print a / b }')" req/model
  figure "$who" "$n" writes_per_model "$(awk -v a="$writes" -v b="$n" 'BEGIN { print a / b }')" writes/model
  # Events are counted from the API (an Event with a series was PATCHed at least once after
  # its create). Ours writes nothing else with POST (apply and status are PATCHes); the
  # peer's status writes are PUTs and its applies PATCHes (see its README).
  local ev_created ev_series ev_writes
  read -r ev_created ev_series <<<"$events"
  ev_writes=$((ev_created + ev_series))
  echo "bench: ${who}_models_${n}_event_writes_per_model $(div "$ev_writes" "$n") writes/model"
  echo "bench: ${who}_models_${n}_writes_excluding_events_per_model $(div "$((writes - ev_writes))" "$n") writes/model"
  if [ $s_ok = 1 ]; then
    figure "$who" "$n" "settled_${settled}s_cpu_seconds" "$s_cpu" s
    echo "bench: ${who}_models_${n}_settled_${settled}s_requests $s_req requests"
    echo "bench: ${who}_models_${n}_settled_${settled}s_writes $s_writes writes"
    echo "bench: ${who}_models_${n}_settled_${settled}s_apiserver_writes $s_api writes"
    figure "$who" "$n" "metrics_scrape_cpu_seconds" "$s_scrape" s
  fi

  say "$who, N=$n requests by method: GET $gets WATCH $watches POST $posts PUT $puts PATCH $patches DELETE $deletes (total $total)"
  [ "$watches" != 0 ] || say "$who, N=$n: no WATCH counted: its client counts watches as GETs"
  say "$who, N=$n Events about MLModels: $ev_created created, $ev_series with a series"
  say "$who, N=$n reconciles: $(awk '/^controller_runtime_reconcile_total/ {
      match($0, /result="[^"]*"/); printf "%s=%s ", substr($0, RSTART + 8, RLENGTH - 9), $NF }' "$m")"
  local latency
  latency="PATCH $(div "$(metric_sum "$m" '^rest_client_request_duration_seconds_sum.*verb="PATCH"')" "$patches") s,"
  latency+=" POST $(div "$(metric_sum "$m" '^rest_client_request_duration_seconds_sum.*verb="POST"')" "$posts") s"
  grep -q '^rest_client_request_duration_seconds_sum' "$m" || latency="requests not measured (no rest_client_request_duration_seconds)"
  say "$who, N=$n mean latency: reconcile $(div "$(metric_sum "$m" '^controller_runtime_reconcile_time_seconds_sum')" \
    "$(metric_sum "$m" '^controller_runtime_reconcile_time_seconds_count')") s, $latency;" \
    "queue wait $(div "$(metric_sum "$m" '^workqueue_queue_duration_seconds_sum')" \
    "$(metric_sum "$m" '^workqueue_queue_duration_seconds_count')") s"
  say "$who, N=$n API server writes during the run: $(delta_list "$tmp/apiserver-before" "$tmp/apiserver-after")"
  local dropped
  dropped=$(grep -c 'events: the queue is full' "$log" || true)
  [ "$dropped" = 0 ] || say "$who, N=$n the $who's Event queue overflowed $dropped times: Events were dropped"
  grep -v 'events: the queue is full' "$log" | tail -n 5 | sed "s/^/operator_bench: $who log: /" >&2 || true
  done_with "$ns"
}

# ratio N FIGURE NAME: operator_to_peer_models_N_NAME_ratio, ours over the peer's, when
# both measured FIGURE and the peer's is not zero.
ratio() {
  local a=${figures[operator:$1:$2]:-} b=${figures[peer:$1:$2]:-}
  if [ -z "$a" ] || [ -z "$b" ]; then
    say "N=$1: no ratio for $2 (not measured for $([ -z "$a" ] && echo ours || echo the peer))"
  elif awk -v b="$b" 'BEGIN { exit !(b == 0) }'; then
    say "N=$1: no ratio for $2 (the peer's is 0; ours is $(fmt "$a"))"
  else
    echo "bench: operator_to_peer_models_${1}_${3}_ratio $(div "$a" "$b") x"
    case $2 in *cpu_seconds)
      # CPU time is counted in clock ticks (1/CLK_TCK s, usually 10 ms).
      if awk -v a="$a" -v b="$b" 'BEGIN { exit !(a < 0.1 || b < 0.1) }'; then
        say "N=$1: $2: ours $(fmt "$a") s, the peer's $(fmt "$b") s: a few clock ticks" \
          "($(awk -v c="$(getconf CLK_TCK)" 'BEGIN { print 1000 / c }') ms each), the ratio is coarse"
      fi ;;
    esac
  fi
}

if [ "$MODE" = private ]; then
  say "a fresh private cluster per run (ports ${BENCH_PORT_BASE:-29443}..;" \
    "controller-manager and scheduler client QPS: $([ "$QPS" = 0 ] && echo default || echo "$QPS"))"
fi
[ -z "$PEER" ] || say "the peer: $PEER ${BENCH_PEER_ARGS:-}"
for n in $MODELS; do
  limit=${BENCH_TIMEOUT:-$((120 + n / 4))}
  floor_seconds=""
  [ -n "${BENCH_SKIP_FLOOR:-}" ] || run_floor "$n" "$limit"
  run_operator operator "$OPERATOR" "${BENCH_OPERATOR_ARGS:-}" "$n" "$limit"
  [ -n "$PEER" ] || continue
  run_operator peer "$PEER" "${BENCH_PEER_ARGS:-}" "$n" "$limit"
  ratio "$n" cpu_seconds cpu
  ratio "$n" peak_rss peak_rss
  ratio "$n" ready_seconds ready_seconds
  ratio "$n" requests_per_model requests
  ratio "$n" writes_per_model writes
  [ "$SETTLED" = 0 ] || ratio "$n" "settled_${SETTLED}s_cpu_seconds" "settled_${SETTLED}s_cpu"
done
exit $status
