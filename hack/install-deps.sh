#!/usr/bin/env bash
# Installs the Debian packages the build, the tests and the demo need.
# Idempotent: when everything is installed it only asks dpkg and returns in well under
# a second. Runs as root, or through sudo when that is available.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config git
  libcpprest-dev libboost-dev libboost-system-dev libyaml-cpp-dev
  libspdlog-dev libfmt-dev prometheus-cpp-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev
  # lint
  clang-format clang-tidy
  # the local cluster and the tests
  prometheus docker-registry apache2-utils curl jq openssl lua5.4 procps bc python3-yaml
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
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
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
  "${SUDO[@]}" chmod +x "$policy"
  added_policy=1
fi
# An EXIT trap's last status becomes the script's: end it with `return 0` (a plain
# `[ ... ] && rm` would turn "policy was already there" into exit 1).
cleanup() {
  if [ "$added_policy" -eq 1 ]; then "${SUDO[@]}" rm -f "$policy"; fi
  return 0
}
trap cleanup EXIT

apt_install() { "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@"; }
if ! apt_install "${missing[@]}"; then
  "${SUDO[@]}" apt-get update -q
  apt_install "${missing[@]}" || true
fi

failed=()
for p in "${missing[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || failed+=("$p")
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "install-deps: could not install: ${failed[*]}" >&2
  exit 1
fi
echo "install-deps: installed ${#missing[@]} packages"
