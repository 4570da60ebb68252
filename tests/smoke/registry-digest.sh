#!/usr/bin/env bash
# An image pushed to the registry over the distribution HTTP API resolves, by tag, to
# the digest of its manifest: what the operator's digest pinning relies on.
. "$(dirname "$0")/lib.sh"
reg="http://$REGISTRY"
repo="smoke/model-$RANDOM"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# push_blob FILE: monolithic upload (POST then PUT with the digest); prints the digest.
push_blob() {
  local digest loc
  digest="sha256:$(sha256sum "$1" | cut -d' ' -f1)"
  loc=$(curl -sf -X POST -D - -o /dev/null "$reg/v2/$repo/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$loc" ] || fail "registry gave no upload location"
  case $loc in http*) ;; *) loc="$reg$loc" ;; esac
  case $loc in *\?*) loc="$loc&digest=$digest" ;; *) loc="$loc?digest=$digest" ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$1" "$loc" >/dev/null ||
    fail "blob upload of $1 failed"
  echo "$digest"
}

printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$tmp/config"
printf 'model weights %s' "$RANDOM" | gzip >"$tmp/layer"
cfg=$(push_blob "$tmp/config")
layer=$(push_blob "$tmp/layer")
cat >"$tmp/manifest" <<JSON
{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"$cfg","size":$(stat -c %s "$tmp/config")},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"$layer","size":$(stat -c %s "$tmp/layer")}]}
JSON
want="sha256:$(sha256sum "$tmp/manifest" | cut -d' ' -f1)"
curl -sf -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  --data-binary "@$tmp/manifest" "$reg/v2/$repo/manifests/1.0.0" >/dev/null || fail "manifest push failed"

got=$(curl -sf -I -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  "$reg/v2/$repo/manifests/1.0.0" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')
[ "$got" = "$want" ] || fail "tag 1.0.0 resolved to '$got', want $want"
# And the digest itself addresses the same manifest.
curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "$reg/v2/$repo/manifests/$want" || fail "manifest not retrievable by digest $want"
echo "ok: $repo:1.0.0 resolves to $want"
