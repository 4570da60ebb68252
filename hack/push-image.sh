#!/usr/bin/env bash
# hack/push-image.sh REPO TAG: pushes a small OCI image (one layer, a config) to the
# registry at $REGISTRY over the distribution HTTP API and prints its manifest digest.
# KWOK runs no containers, so the image only has to exist and resolve.
set -euo pipefail
reg="http://$REGISTRY"; repo=$1; tag=$2
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# push_blob FILE: prints the blob's digest. Runs in $(...), where set -e does not hold:
# every failure is checked and said here.
push_blob() {
  local digest loc
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  loc=$(curl -sS -f -X POST -D - -o /dev/null "$reg/v2/$repo/blobs/uploads/" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p') ||
    { echo "push-image: starting a blob upload to $reg/v2/$repo failed" >&2; return 1; }
  [ -n "$loc" ] || { echo "push-image: $reg/v2/$repo/blobs/uploads/ gave no Location" >&2; return 1; }
  case $loc in http*) ;; *) loc="$reg$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
  curl -sS -f -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$loc" >/dev/null ||
    { echo "push-image: uploading a blob to $reg/v2/$repo failed" >&2; return 1; }
  echo "$digest"
}
printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"model":"%s","version":"%s"}},"rootfs":{"type":"layers","diff_ids":[]}}' "$repo" "$tag" >"$tmp/config"
printf 'model %s %s' "$repo" "$tag" | gzip >"$tmp/layer"
cfg=$(push_blob "$tmp/config"); layer=$(push_blob "$tmp/layer")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' "$cfg" "$(stat -c %s "$tmp/config")" "$layer" "$(stat -c %s "$tmp/layer")" >"$tmp/manifest"
curl -sS -f -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "@$tmp/manifest" "$reg/v2/$repo/manifests/$tag" >/dev/null ||
  { echo "push-image: pushing the manifest of $repo:$tag to $reg failed" >&2; exit 1; }
echo "sha256:$(sha256sum "$tmp/manifest" | cut -d' ' -f1)"
