#!/usr/bin/env bash
# The iris example's images (examples/iris), one per profile, for pods that really run
# (the real node of the local cluster): tags 1.0.0, 2.0.0, 3.0.0, 4.0.0 run IRIS_PROFILE
# v1, v2, v3 and v4 of the same server and trained file. hack/build-image.sh does the work:
# iris-server (stripped) with its shared libraries, iris_models.json, non-root (65532),
# port 8080, IRIS_DRAIN_MS=2000 (a deleted pod answers 2 s more while its endpoint goes),
# OCI labels. Tag `loadgen` is the load generator's image instead (iris-loadgen,
# the same trained file for its samples), pushed as REPO-loadgen:1.0.0. Prints one line per
# tag on stdout: "TAG DIGEST".
#
#   hack/iris-images.sh [--build-dir DIR] [--repo REGISTRY/NAME] [TAG...]
#
#   --build-dir DIR   the CMake build holding iris-server and the trained file (default
#                     build); installed from there with `cmake --install --component iris`
#   --repo REF        where to push (default $REGISTRY/mlmodel/iris); plain HTTP when it
#                     is the local cluster's $REGISTRY or IMAGE_INSECURE=1
#   TAG...            a subset of 1.0.0 2.0.0 3.0.0 4.0.0 loadgen (default all five)
#
# The same build gives the same digests (file mtimes are HEAD's commit time).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build_dir=build repo="" tags=()
while [ $# -gt 0 ]; do
  case $1 in
    --build-dir) build_dir=${2:?--build-dir needs a value}; shift 2 ;;
    --repo) repo=${2:?--repo needs a value}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    -*) die "iris-images: unknown option $1 (see --help)" ;;
    *) tags+=("$1"); shift ;;
  esac
done
[ ${#tags[@]} -gt 0 ] || tags=(1.0.0 2.0.0 3.0.0 4.0.0 loadgen)
if [ -z "$repo" ]; then
  [ -n "${REGISTRY:-}" ] || die 'iris-images: REGISTRY is unset: eval "$(hack/cluster.sh env)", or --repo host:port/name'
  repo="$REGISTRY/mlmodel/iris"
fi
insecure=()
if [ "${IMAGE_INSECURE:-0}" = 1 ] || { [ -n "${REGISTRY:-}" ] && [[ $repo == "$REGISTRY"/* ]]; }; then
  insecure=(--insecure)
fi
case $build_dir in /*) ;; *) build_dir="$REPO_ROOT/$build_dir" ;; esac
[ -x "$build_dir/examples/iris/iris-server" ] ||
  die "iris-images: $build_dir/examples/iris/iris-server is not built (cmake --build $build_dir --target iris-server)"

prefix=$(mktemp -d); trap 'rm -rf "$prefix"' EXIT
cmake --install "$build_dir" --component iris --prefix "$prefix" >/dev/null ||
  die "iris-images: cmake --install $build_dir --component iris failed"
server=$prefix/bin/iris-server
loadgen=$prefix/bin/iris-loadgen
models=$prefix/share/mlmodel-iris/iris_models.json
[ -x "$server" ] && [ -x "$loadgen" ] && [ -f "$models" ] ||
  die "iris-images: the iris component lacks iris-server, iris-loadgen or iris_models.json"

cd "$REPO_ROOT"
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
source=${IMAGE_SOURCE:-$(git remote get-url origin 2>/dev/null || echo unknown)}
MODEL_FILE=/usr/local/share/mlmodel-iris/iris_models.json

common_labels=(--label "org.opencontainers.image.source=$source"
  --label "org.opencontainers.image.revision=$revision" --label "org.opencontainers.image.created=$created")

for tag in "${tags[@]}"; do
  if [ "$tag" = loadgen ]; then
    digest=$("$HACK_DIR/build-image.sh" --image "$repo-loadgen:1.0.0" "${insecure[@]}" \
      --binary "$loadgen:/usr/local/bin/iris-loadgen" --strip --file "$models:$MODEL_FILE" \
      --user nonroot:65532:65532 --entrypoint /usr/local/bin/iris-loadgen \
      --no-ca-certs --mtime "$epoch" \
      --label "org.opencontainers.image.title=mlmodel-iris-loadgen" \
      --label "org.opencontainers.image.description=steady, bounded KServe V2 load on the iris model, tallied by model_version and code" \
      --label "org.opencontainers.image.version=1.0.0" "${common_labels[@]}")
    echo "$tag $digest"
    continue
  fi
  case $tag in
    1.0.0) profile=v1 what="logistic regression (good)" ;;
    2.0.0) profile=v2 what="decision tree (good)" ;;
    3.0.0) profile=v3 what="v1 behind a broken runtime: ~30% of requests answered 500" ;;
    4.0.0) profile=v4 what="v1 behind a broken feature pipeline: always one class" ;;
    *) die "iris-images: unknown tag $tag (1.0.0 2.0.0 3.0.0 4.0.0 loadgen)" ;;
  esac
  digest=$("$HACK_DIR/build-image.sh" --image "$repo:$tag" "${insecure[@]}" \
    --binary "$server:/usr/local/bin/iris-server" --strip --file "$models:$MODEL_FILE" \
    --user nonroot:65532:65532 --entrypoint /usr/local/bin/iris-server --port 8080 \
    --env "IRIS_PROFILE=$profile" --env "IRIS_MODEL_FILE=$MODEL_FILE" --env PORT=8080 \
    --env IRIS_DRAIN_MS=2000 \
    --no-ca-certs --mtime "$epoch" \
    --label "org.opencontainers.image.title=mlmodel-iris" \
    --label "org.opencontainers.image.description=iris classifier $profile: $what (KServe V2 REST)" \
    --label "org.opencontainers.image.source=$source" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.version=$tag" \
    --label "org.opencontainers.image.created=$created")
  echo "$tag $digest"
done
