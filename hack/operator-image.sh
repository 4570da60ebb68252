#!/usr/bin/env bash
# The operator's image, as `make image` pushes it and as the Dockerfile's build stage lays
# out its files: one place says what is in it (hack/build-image.sh does the work).
#
#   hack/operator-image.sh BINARY            build and push; prints the manifest digest
#   hack/operator-image.sh --rootfs BINARY DIR
#                                            only unpack the image's files into DIR (the
#                                            Dockerfile's build stage; no crane, no git)
#
# Push target: $IMAGE, default $REGISTRY/mlmodel-operator:<the binary's --version>. Plain
# HTTP (crane --insecure) when the target is the local cluster's $REGISTRY or
# IMAGE_INSECURE=1. Labels: org.opencontainers.image.{title,description,source,revision,
# version,created}; source is $IMAGE_SOURCE, else the git remote "origin"; revision and
# created are HEAD's commit and commit time (also every file's mtime), so an unchanged
# commit gives the same digest.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# What the Dockerfile declares too (tests/image/dockerfile-consistency.sh compares them).
ENTRYPOINT=/usr/local/bin/mlmodel-operator
USER_SPEC=nonroot:65532:65532
PORTS=(8080 8081)   # --metrics-bind-address, --health-probe-bind-address defaults
TITLE=mlmodel-operator
DESCRIPTION="Kubernetes operator deploying machine-learning models with metric-judged canary rollouts"

if [ "${1:-}" = --rootfs ]; then
  [ $# -eq 3 ] || die "usage: hack/operator-image.sh --rootfs BINARY DIR"
  mkdir -p "$3"
  tarball=$(mktemp)
  trap 'rm -f "$tarball"' EXIT
  "$HACK_DIR/build-image.sh" --dry-run --binary "$2:$ENTRYPOINT" --strip --user "$USER_SPEC" \
    --mtime "${SOURCE_DATE_EPOCH:-0}" --layer-out "$tarball" >/dev/null
  tar -x -p --numeric-owner -f "$tarball" -C "$3"
  exit 0
fi

[ $# -eq 1 ] || die "usage: hack/operator-image.sh BINARY | --rootfs BINARY DIR"
binary=$1
[ -x "$binary" ] || die "operator-image: $binary is not built"
version=$("$binary" --version | awk '{print $NF}')
[ -n "$version" ] || die "operator-image: $binary --version printed no version"
if [ -z "${IMAGE:-}" ]; then
  [ -n "${REGISTRY:-}" ] || die 'operator-image: REGISTRY is unset: start the local cluster (make cluster-up) and eval "$(hack/cluster.sh env)", or set IMAGE=host:port/name:tag'
  IMAGE="$REGISTRY/mlmodel-operator:$version"
fi
insecure=()
if [ "${IMAGE_INSECURE:-0}" = 1 ] || { [ -n "${REGISTRY:-}" ] && [[ $IMAGE == "$REGISTRY"/* ]]; }; then
  insecure=(--insecure)
fi

cd "$REPO_ROOT"
revision=$(git rev-parse HEAD)
git diff --quiet HEAD -- 2>/dev/null ||
  log "operator-image: the work tree has uncommitted changes; the revision label says $revision"
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
source=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || true)}
if [ -z "$source" ]; then
  source="unknown"
  log "operator-image: no IMAGE_SOURCE and no git remote origin: the source label says \"unknown\""
fi

ports=()
for p in "${PORTS[@]}"; do ports+=(--port "$p"); done
exec "$HACK_DIR/build-image.sh" --image "$IMAGE" "${insecure[@]}" \
  --binary "$binary:$ENTRYPOINT" --strip --user "$USER_SPEC" --entrypoint "$ENTRYPOINT" \
  "${ports[@]}" --mtime "$epoch" \
  --label "org.opencontainers.image.title=$TITLE" \
  --label "org.opencontainers.image.description=$DESCRIPTION" \
  --label "org.opencontainers.image.source=$source" \
  --label "org.opencontainers.image.revision=$revision" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.created=$created"
