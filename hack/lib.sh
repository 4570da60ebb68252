# Shared helpers for the hack/ scripts. Source it; it defines no side effects.
HACK_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$HACK_DIR/.." && pwd)"
# shellcheck source=versions.env
. "$HACK_DIR/versions.env"

CACHE_ROOT="${MLMODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mlmodel-operator}"
TOOLS_ROOT="$CACHE_ROOT/tools"

log() { printf '%s %s\n' "[$(date +%H:%M:%S)]" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
# free_ports [N]: N (default 1) distinct loopback ports the kernel says are free now, on
# one line (a random guess may hit one the cluster holds). Read several at once:
#   read -r port hport <<<"$(free_ports 2)"
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "${1:-1}"
}

# tool_dir NAME VERSION: where one tool version's binaries live.
tool_dir() { printf '%s/%s-%s' "$TOOLS_ROOT" "$1" "$2"; }

# Paths of every binary the cluster and tests use, at the pinned versions.
K8S_BIN="$(tool_dir kubernetes "$KUBERNETES_VERSION")"
ETCD_BIN="$(tool_dir etcd "$ETCD_VERSION")"
KWOK_BIN="$(tool_dir kwok "$KWOK_VERSION")"
HELM_BIN="$(tool_dir helm "$HELM_VERSION")"
KUSTOMIZE_BIN="$(tool_dir kustomize "$KUSTOMIZE_VERSION")"
CRANE_BIN="$(tool_dir crane "$CRANE_VERSION")"
GATEWAY_API_DIR="$(tool_dir gateway-api "$GATEWAY_API_VERSION")"
# The real node's tools (built by `hack/build-tools.sh node`). kubelet and kube-proxy sit in
# their own folder so adding them never rebuilds the cached control-plane binaries.
K8S_NODE_BIN="$(tool_dir kubernetes-node "$KUBERNETES_VERSION")"
CONTAINERD_BIN="$(tool_dir containerd "$CONTAINERD_VERSION")"
CNI_BIN="$(tool_dir cni-plugins "$CNI_PLUGINS_VERSION")"
CRICTL_BIN="$(tool_dir cri-tools "$CRI_TOOLS_VERSION")"
COREDNS_BIN="$(tool_dir coredns "$COREDNS_VERSION")"
PROMETHEUS_TOOL_BIN="$(tool_dir prometheus "$PROMETHEUS_VERSION")"
