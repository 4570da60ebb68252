#!/usr/bin/env bash
# The operator's image (hack/operator-image.sh, what `make image` runs): its size in the
# registry (layer and config, compressed), unpacked, its layer count, and how long building
# and pushing it takes. Needs the cluster env ($REGISTRY, crane on PATH).
# Usage: image_bench.sh BUILD_DIR     Figures: bench: <name> <value> <unit>
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
operator="${1:?build dir}/operator/mlmodel-operator"
image="$REGISTRY/bench/mlmodel-operator:bench-$$"
t0=$(date +%s.%N)
IMAGE=$image "$REPO_ROOT/hack/operator-image.sh" "$operator" >/dev/null 2>&1
t1=$(date +%s.%N)
manifest=$(crane manifest --insecure "$image")
compressed=$(jq '[.layers[].size, .config.size] | add' <<<"$manifest")
unpacked=$(crane export --insecure "$image" - | wc -c)
mib() { echo "$1 / 1048576" | bc -l | xargs printf '%.2f'; }
echo "bench: operator_image_compressed_mib $(mib "$compressed") MiB"
echo "bench: operator_image_unpacked_mib $(mib "$unpacked") MiB"
echo "bench: operator_image_layers $(jq '.layers | length' <<<"$manifest") layers"
echo "bench: operator_image_build_push_seconds $(echo "$t1 - $t0" | bc -l | xargs printf '%.2f') s"
