#!/usr/bin/env bash
# Builds the local cluster's binaries from source through the Go module proxy, at the
# versions pinned in hack/versions.env, into a cache outside the repo keyed by version:
#   etcd + etcdctl, kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
#   kwok, helm, kustomize, crane, and the Gateway API CRD manifests; with `node` (not part
#   of `all`), the real node's containerd + runc shim, CNI plugins, crictl, kubelet,
#   kube-proxy, CoreDNS and Prometheus (for its pod; runc itself is Debian's).
# A tool already in the cache is skipped, so a second run takes a second.
# Usage: hack/build-tools.sh [all|etcd|kubernetes|kwok|helm|kustomize|crane|gateway-api|node|prometheus]...
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v go >/dev/null || die "go is not installed; the tools are built with the Go toolchain"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
BUILD_ROOT="$CACHE_ROOT/build"
mkdir -p "$TOOLS_ROOT" "$BUILD_ROOT"
# One build at a time per cache: two runs would race on the same staging folders.
exec 9>"$CACHE_ROOT/build.lock"
flock 9

# have DIR BIN...: true when every BIN is already built in DIR.
have() {
  local dir=$1; shift
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

# finish TMPDIR DIR: publish a finished build atomically, so an interrupted build
# never leaves a half-filled cache entry that a later run would trust.
finish() {
  rm -rf "$2"
  mv "$1" "$2"
}

# go_install_one DIR BIN LDFLAGS PACKAGE@VERSION: a tool whose module `go install` builds as
# it is (no replace directives), into DIR, unless BIN is there already.
go_install_one() {
  local dir=$1 bin=$2 ld=$3 pkg=$4
  have "$dir" "$bin" && return 0
  log "building $bin ${pkg##*@}"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  GOBIN="$out" go install -trimpath -ldflags "$ld" "$pkg"
  finish "$out" "$dir"
}

build_etcd() {
  local dir; dir=$ETCD_BIN
  have "$dir" etcd etcdctl && return 0
  log "building etcd $ETCD_VERSION"
  local mod="$BUILD_ROOT/etcd-$ETCD_VERSION" out="$dir.tmp"
  rm -rf "$mod" "$out"; mkdir -p "$mod" "$out"
  (
    cd "$mod"
    go mod init local/etcd-build >/dev/null 2>&1
    go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" "go.etcd.io/etcd/etcdctl/v3@$ETCD_VERSION"
    local ld="-s -w"
    go build -trimpath -ldflags "$ld" -o "$out/etcd" go.etcd.io/etcd/server/v3
    go build -trimpath -ldflags "$ld" -o "$out/etcdctl" go.etcd.io/etcd/etcdctl/v3
  )
  finish "$out" "$dir"
}

# The k8s.io/kubernetes module requires its ~33 staging modules at v0.0.0 and replaces
# them with ./staging paths its module zip lacks. Build from a throwaway module that
# maps each of them to its published v0.Y.Z, derived from the release's own go.mod.
# k8s_module DIR: write that module into DIR (kept if already there: its go.sum is reused).
k8s_module() {
  local mod=$1 v=$KUBERNETES_VERSION
  [ -f "$mod/go.mod" ] && grep -q "^require k8s.io/kubernetes $v\$" "$mod/go.mod" && return 0
  local minor=${v#v1.}; minor=${minor%%.*}
  local patch=${v##*.}
  local staging="v0.$minor.$patch"
  rm -rf "$mod"; mkdir -p "$mod"
  local upstream
  upstream=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
  [ -f "$upstream" ] || die "could not download k8s.io/kubernetes@$v's go.mod"
  {
    echo "module local/kubernetes-build"
    grep -E '^go [0-9]' "$upstream"
    grep -E '^godebug ' "$upstream" || true
    echo "require k8s.io/kubernetes $v"
    # Every "k8s.io/x => ./staging/src/k8s.io/x" becomes "k8s.io/x => k8s.io/x v0.Y.Z".
    sed -n 's#^[[:space:]]*\(k8s\.io/[^ ]*\) => \./staging/src/.*$#replace \1 => \1 '"$staging"'#p' "$upstream"
  } >"$mod/go.mod"
  grep -q '^replace ' "$mod/go.mod" || die "found no staging replaces in $upstream"
  log "  $(grep -c '^replace ' "$mod/go.mod") staging modules mapped to $staging"
}

# k8s_build OUT PKG...: build Kubernetes commands with the version stamped, so /version and
# `kubectl version` are honest.
k8s_build() {
  local out=$1; shift
  local v=$KUBERNETES_VERSION
  local minor=${v#v1.}; minor=${minor%%.*}
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  local ld="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $pkg.gitVersion=$v -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ld="$ld -X $pkg.gitTreeState=clean -X $pkg.buildDate=$date"
  done
  (
    cd "$BUILD_ROOT/kubernetes-$KUBERNETES_VERSION"
    go build -mod=mod -trimpath -ldflags "$ld" -o "$out/" "$@"
  )
}

build_kubernetes() {
  local dir=$K8S_BIN
  have "$dir" kube-apiserver kube-controller-manager kube-scheduler kubectl && return 0
  log "building kubernetes $KUBERNETES_VERSION (cold: tens of minutes on 2 cores)"
  local out="$dir.tmp"
  rm -rf "$out"; mkdir -p "$out"
  k8s_module "$BUILD_ROOT/kubernetes-$KUBERNETES_VERSION"
  k8s_build "$out" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler \
    k8s.io/kubernetes/cmd/kubectl
  finish "$out" "$dir"
}

# ---- the real node (MLMODEL_REAL_NODE=1) ----------------------------------------------
# kubelet and kube-proxy: same module and ldflags as the control plane, own folder.
build_kubernetes_node() {
  local dir=$K8S_NODE_BIN
  have "$dir" kubelet kube-proxy && return 0
  log "building kubelet and kube-proxy $KUBERNETES_VERSION"
  local out="$dir.tmp"
  rm -rf "$out"; mkdir -p "$out"
  k8s_module "$BUILD_ROOT/kubernetes-$KUBERNETES_VERSION"
  k8s_build "$out" k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
  finish "$out" "$dir"
}

# containerd 2.x and its runc shim, static. Tags leave out btrfs (cgo) and the CLI docs
# generator; the shim also leaves out gRPC (it speaks ttrpc).
build_containerd() {
  local dir=$CONTAINERD_BIN
  have "$dir" containerd containerd-shim-runc-v2 ctr && return 0
  log "building containerd $CONTAINERD_VERSION"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  local m=github.com/containerd/containerd/v2
  local ld="-s -w -X $m/version.Version=$CONTAINERD_VERSION -X $m/version.Revision=release"
  GOBIN="$out" go install -trimpath -tags "no_btrfs urfave_cli_no_docs" -ldflags "$ld" \
    "$m/cmd/containerd@$CONTAINERD_VERSION" "$m/cmd/ctr@$CONTAINERD_VERSION"
  GOBIN="$out" go install -trimpath -tags "no_btrfs urfave_cli_no_docs no_grpc" -ldflags "$ld" \
    "$m/cmd/containerd-shim-runc-v2@$CONTAINERD_VERSION"
  finish "$out" "$dir"
}

# The CNI plugins a single-node bridge network needs.
build_cni_plugins() {
  local dir=$CNI_BIN
  have "$dir" bridge host-local loopback portmap && return 0
  log "building CNI plugins $CNI_PLUGINS_VERSION"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  local m=github.com/containernetworking/plugins
  local ld="-s -w -X github.com/containernetworking/plugins/pkg/utils/buildversion.BuildVersion=$CNI_PLUGINS_VERSION"
  GOBIN="$out" go install -trimpath -ldflags "$ld" \
    "$m/plugins/main/bridge@$CNI_PLUGINS_VERSION" "$m/plugins/ipam/host-local@$CNI_PLUGINS_VERSION" \
    "$m/plugins/main/loopback@$CNI_PLUGINS_VERSION" "$m/plugins/meta/portmap@$CNI_PLUGINS_VERSION"
  finish "$out" "$dir"
}

# CoreDNS for the real node's pods, from a small main importing only the plugins the
# cluster's Corefile uses (the upstream main links every cloud provider's SDK).
build_coredns() {
  local dir=$COREDNS_BIN
  have "$dir" coredns && return 0
  log "building coredns $COREDNS_VERSION"
  local mod="$BUILD_ROOT/coredns-$COREDNS_VERSION" out="$dir.tmp"
  rm -rf "$mod" "$out"; mkdir -p "$mod" "$out"
  cat >"$mod/main.go" <<'EOF'
// CoreDNS with the plugins of the local cluster's Corefile only.
package main

import (
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"

	"github.com/coredns/coredns/coremain"
)

func main() { coremain.Run() }
EOF
  (
    cd "$mod"
    go mod init local/coredns-build >/dev/null 2>&1
    go get "github.com/coredns/coredns@$COREDNS_VERSION"
    go mod tidy
    go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=$COREDNS_VERSION" -o "$out/coredns" .
  )
  finish "$out" "$dir"
}

# crictl, to look at the real node's pods and containers when debugging.
build_cri_tools() {
  go_install_one "$CRICTL_BIN" crictl "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=$CRI_TOOLS_VERSION" \
    "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION"
}

# Prometheus for the real node's in-cluster pod (examples/iris/prometheus): static, with
# kubernetes_sd_configs (and file/http) but none of the cloud discoveries (their SDKs are most
# of the binary), and without the web UI assets (the API is all the tests and the operator use).
build_prometheus() {
  local dir=$PROMETHEUS_TOOL_BIN
  have "$dir" prometheus && return 0
  log "building prometheus $PROMETHEUS_VERSION"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  # The module is v0.MAJORMINOR.PATCH for Prometheus MAJOR.MINOR.PATCH (v0.316.0 = 3.16.0).
  local mm=${PROMETHEUS_VERSION#v0.}; mm=${mm%%.*}
  local release="${mm:0:1}.${mm:1}.${PROMETHEUS_VERSION##*.}"
  local v=github.com/prometheus/common/version
  local ld="-s -w -X $v.Version=$release -X $v.Revision=$PROMETHEUS_VERSION -X $v.Branch=release"
  ld="$ld -X $v.BuildUser=mlmodel-operator -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  GOBIN="$out" go install -trimpath -tags "remove_all_sd enable_kubernetes_sd" -ldflags "$ld" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION"
  finish "$out" "$dir"
}

build_kwok() {
  local dir=$KWOK_BIN
  have "$dir" kwok && [ -f "$dir/stages.yaml" ] && return 0
  log "building kwok $KWOK_VERSION"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  # KWOK does nothing without stages: take the upstream "fast" set (nodes turn Ready and
  # renew leases, pods turn Running and Ready at once) from the module zip.
  local src
  src=$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  for f in "$src"/kustomize/stage/node/fast/*.yaml "$src"/kustomize/stage/node/heartbeat-with-lease/*.yaml \
    "$src"/kustomize/stage/pod/fast/*.yaml; do
    case $(basename "$f") in kustomization.yaml) continue ;; esac
    cat "$f"; echo "---"
  done >"$out/stages.yaml"
  grep -q '^kind: Stage' "$out/stages.yaml" || die "no KWOK stages found in $src"
  local ld="-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOK_VERSION"
  ld="$ld -X sigs.k8s.io/kwok/pkg/consts.KubeVersion=$KUBERNETES_VERSION"
  GOBIN="$out" go install -trimpath -ldflags "$ld" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  finish "$out" "$dir"
}

build_helm() {
  local dir=$HELM_BIN
  have "$dir" helm && return 0
  log "building helm $HELM_VERSION"
  local out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  local major=${HELM_VERSION%%.*}
  local ld="-s -w -X helm.sh/helm/$major/internal/version.version=$HELM_VERSION"
  ld="$ld -X helm.sh/helm/$major/internal/version.gitTreeState=clean"
  GOBIN="$out" go install -trimpath -ldflags "$ld" "helm.sh/helm/$major/cmd/helm@$HELM_VERSION"
  finish "$out" "$dir"
}

# kustomize/v5's go.mod has no replace directives; `kustomize version` reads the module
# version from the build info, so no ldflags are needed for it to be honest.
build_kustomize() {
  go_install_one "$KUSTOMIZE_BIN" kustomize "-s -w" "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
}

# crane builds images from local files (append layers, set the config) and pushes them to the
# local registry: there is no Docker daemon, and no base image can be pulled.
build_crane() {
  go_install_one "$CRANE_BIN" crane "-s -w" "github.com/google/go-containerregistry/cmd/crane@$CRANE_VERSION"
}

# The Gateway API CRDs ship inside the module zip; copy the standard channel.
build_gateway_api() {
  local dir=$GATEWAY_API_DIR
  [ -f "$dir/standard-install.yaml" ] && return 0
  log "fetching gateway-api $GATEWAY_API_VERSION CRDs"
  local src out="$dir.tmp"; rm -rf "$out"; mkdir -p "$out"
  src=$(go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  [ -d "$src/config/crd/standard" ] || die "no config/crd/standard in gateway-api $GATEWAY_API_VERSION"
  for f in "$src"/config/crd/standard/*.yaml; do
    case $(basename "$f") in kustomization.yaml) continue ;; esac
    cat "$f"; echo "---"
  done >"$out/standard-install.yaml"
  finish "$out" "$dir"
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(all)
for t in "${targets[@]}"; do
  case $t in
    all) build_etcd; build_kwok; build_helm; build_kustomize; build_crane; build_gateway_api; build_kubernetes ;;
    etcd) build_etcd ;;
    kubernetes) build_kubernetes ;;
    kwok) build_kwok ;;
    helm) build_helm ;;
    kustomize) build_kustomize ;;
    crane) build_crane ;;
    gateway-api) build_gateway_api ;;
    node) build_containerd; build_cni_plugins; build_cri_tools; build_kubernetes_node; build_coredns; build_prometheus ;;
    prometheus) build_prometheus ;;
    coredns) build_coredns ;;
    containerd) build_containerd ;;
    cni-plugins) build_cni_plugins ;;
    cri-tools) build_cri_tools ;;
    kubernetes-node) build_kubernetes_node ;;
    *) die "unknown tool '$t' (all, etcd, kubernetes, kwok, helm, kustomize, crane, gateway-api, node, containerd, cni-plugins, cri-tools, kubernetes-node, coredns, prometheus)" ;;
  esac
done
log "tools ready under $TOOLS_ROOT"
