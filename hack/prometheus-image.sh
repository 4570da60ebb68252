#!/usr/bin/env bash
# The Prometheus image the real node runs (examples/iris/prometheus): the static prometheus
# that hack/build-tools.sh prometheus builds (kubernetes_sd_configs, no cloud discoveries, no
# web UI assets), non-root (nobody, 65534), by hack/build-image.sh. Prints its digest.
#
#   hack/prometheus-image.sh [--image REF]
#
# REF defaults to $REGISTRY/mlmodel/prometheus:<Prometheus version> (3.16.0 for the pin
# v0.316.0); plain HTTP when it is the local cluster's $REGISTRY or IMAGE_INSECURE=1.
# The configuration is the pod's (a ConfigMap at /etc/prometheus), the data an emptyDir at
# /prometheus.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

image=""
case ${1:-} in
  --image) image=${2:?--image needs a value} ;;
  --image=*) image=${1#--image=} ;;
  "") ;;
  *) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
"$HACK_DIR/build-tools.sh" prometheus crane >&2
bin=$PROMETHEUS_TOOL_BIN/prometheus
release=$("$bin" --version | awk 'NR == 1 {print $3}')
[ -n "$release" ] || die "prometheus-image: $bin --version printed no version"
if [ -z "$image" ]; then
  [ -n "${REGISTRY:-}" ] || die 'prometheus-image: REGISTRY is unset: eval "$(hack/cluster.sh env)", or --image REF'
  image="$REGISTRY/mlmodel/prometheus:$release"
fi
insecure=()
if [ "${IMAGE_INSECURE:-0}" = 1 ] || { [ -n "${REGISTRY:-}" ] && [[ $image == "$REGISTRY"/* ]]; }; then
  insecure=(--insecure)
fi
# The binary's mtime is when it was built: pin the files' times to the version's, so the
# same pin gives the same digest on every machine with the same build.
exec "$HACK_DIR/build-image.sh" --image "$image" "${insecure[@]}" \
  --binary "$bin:/bin/prometheus" --user nobody:65534:65534 --no-ca-certs \
  --entrypoint /bin/prometheus --cmd=--config.file=/etc/prometheus/prometheus.yml \
  --cmd=--storage.tsdb.path=/prometheus --workdir /prometheus --port 9090 --mtime 0 \
  --label "org.opencontainers.image.title=prometheus" \
  --label "org.opencontainers.image.description=Prometheus $release (module $PROMETHEUS_VERSION), kubernetes_sd_configs, no cloud discoveries, no web UI assets" \
  --label "org.opencontainers.image.source=https://github.com/prometheus/prometheus" \
  --label "org.opencontainers.image.version=$release"
