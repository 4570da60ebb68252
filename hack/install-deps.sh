#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need.
# Idempotent: when everything is installed it only asks dpkg and returns in well under
# a second. Runs as root, or through sudo when that is available.
#
# For tests (tests/hack/install-deps.sh), each thing it touches can be replaced:
#   INSTALL_DEPS_PACKAGES    space-separated package list instead of the one below
#   INSTALL_DEPS_POLICY      the policy-rc.d path (default /usr/sbin/policy-rc.d)
#   INSTALL_DEPS_DPKG_QUERY  the dpkg-query command (default dpkg-query)
#   INSTALL_DEPS_APT_GET     the apt-get command (default apt-get)
#   INSTALL_DEPS_SUDO        the privilege prefix; set to empty to never use sudo
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  libcpprest-dev libboost-dev libboost-system-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev prometheus-cpp-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev
  # the operator's allocator (MLMODEL_MIMALLOC)
  libmimalloc-dev
  # lint
  clang-format clang-tidy
  # the fuzz targets (libFuzzer) and the ThreadSanitizer build: clang and its runtimes
  clang-14 libclang-rt-14-dev
  # examples/iris trains its models at build time with scikit-learn (its iris data set
  # ships inside the package)
  python3-sklearn
  # the local cluster and the tests
  prometheus docker-registry apache2-utils curl jq openssl lua5.4 procps bc python3-yaml
  # images: run one without a node (hack/run-image.sh), ss for the image test
  runc iproute2
)
# The real node (MLMODEL_REAL_NODE=1): Debian's runc, and iptables/nftables for kube-proxy
# and the node's network rules.
if [ "${MLMODEL_REAL_NODE:-0}" = 1 ]; then
  PACKAGES+=(runc iptables nftables)
fi
if [ -n "${INSTALL_DEPS_PACKAGES:-}" ]; then
  read -r -a PACKAGES <<<"$INSTALL_DEPS_PACKAGES"
fi
read -r -a DPKG_QUERY <<<"${INSTALL_DEPS_DPKG_QUERY:-dpkg-query}"
read -r -a APT_GET <<<"${INSTALL_DEPS_APT_GET:-apt-get}"

missing=()
for p in "${PACKAGES[@]}"; do
  status=$("${DPKG_QUERY[@]}" -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ -n "${INSTALL_DEPS_SUDO+set}" ]; then
  read -r -a SUDO <<<"$INSTALL_DEPS_SUDO"
elif [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || {
    echo "install-deps: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
  }
  SUDO=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The packaged prometheus and docker-registry services must not start on install: the
# local cluster runs its own instances on its own ports. A policy-rc.d that refuses
# service starts is the Debian way to say so; it is removed again afterwards.
policy="${INSTALL_DEPS_POLICY:-/usr/sbin/policy-rc.d}"
added_policy=0
# Under `set -e` a failing command in an EXIT trap ends the trap and becomes the script's
# exit status: nothing in it may fail, and it ends with `return 0` (a plain
# `[ ... ] && rm` would turn "policy was already there" into exit 1).
cleanup() {
  if [ "$added_policy" -eq 1 ]; then
    "${SUDO[@]}" rm -f "$policy" || echo "install-deps: could not remove $policy; remove it by hand" >&2
  fi
  return 0
}
# Set before the policy is written, so a failure halfway through still removes it.
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  added_policy=1
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod +x "$policy"
fi

apt_install() { "${SUDO[@]}" "${APT_GET[@]}" install -y -q --no-install-recommends "$@"; }
if ! apt_install "${missing[@]}"; then
  "${SUDO[@]}" "${APT_GET[@]}" update -q ||
    echo "install-deps: apt-get update failed; trying the install once more anyway" >&2
  apt_install "${missing[@]}" || true
fi

failed=()
for p in "${missing[@]}"; do
  status=$("${DPKG_QUERY[@]}" -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || failed+=("$p")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "install-deps: could not install: ${failed[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${#missing[@]} packages"
