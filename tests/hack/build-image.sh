#!/usr/bin/env bash
# hack/build-image.sh without a registry: the layer and the OCI layout it writes for
# /usr/bin/openssl (a dynamic binary every machine here has). Reproducible bytes, sorted
# entries, one mtime, numeric owners, the ldd closure at the host's paths with its
# symlinks, the user's passwd/group/home, --file trees, digests that verify, and the
# errors it must give.
set -euo pipefail
REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B="$REPO_ROOT/hack/build-image.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
bin=/usr/bin/openssl
[ -x "$bin" ] || fail "$bin is missing (Debian package openssl)"

mkdir -p "$tmp/tree/sub"
echo hello >"$tmp/tree/sub/a.txt"
ln -s sub/a.txt "$tmp/tree/link"
build() { # build NAME [ARGS...]: a layer and a layout in $tmp/NAME.*
  local name=$1; shift
  "$B" --binary "$bin" --file "$tmp/tree:/srv/data" --mtime 1700000000 --entrypoint /usr/local/bin/openssl \
    --cmd version --port 8443 --env A=b,c --label 'org.example/x=1,2=3' \
    --layer-out "$tmp/$name.tar" --oci-layout "$tmp/$name.layout" "$@" 2>"$tmp/$name.log" >"$tmp/$name.digest" ||
    fail "build $name: $(cat "$tmp/$name.log")"
}

echo "-- the same inputs, the same bytes"
build one
build two
cmp -s "$tmp/one.tar" "$tmp/two.tar" || fail "two layers differ"
[ "$(cat "$tmp/one.digest")" = "$(cat "$tmp/two.digest")" ] || fail "two manifests differ"
[[ $(cat "$tmp/one.digest") =~ ^sha256:[0-9a-f]{64}$ ]] || fail "printed $(cat "$tmp/one.digest")"

echo "-- entries: sorted, one mtime, numeric owners"
tar -tf "$tmp/one.tar" >"$tmp/names"
LC_ALL=C sort -c "$tmp/names" 2>/dev/null || fail "entries are not sorted"
tar -tvf "$tmp/one.tar" --numeric-owner --full-time >"$tmp/list"
[ "$(awk '{print $4, $5}' "$tmp/list" | sort -u)" = "2023-11-14 22:13:20" ] ||
  fail "mtimes: $(awk '{print $4, $5}' "$tmp/list" | sort -u | tr '\n' ' ')"
[ "$(awk '{print $2}' "$tmp/list" | sort -u | tr '\n' ' ')" = "0/0 65532/65532 " ] ||
  fail "owners: $(awk '{print $2}' "$tmp/list" | sort -u | tr '\n' ' ')"
python3 - "$tmp/one.tar" <<'EOF' || fail "user or group names in the tar headers"
import sys, tarfile
bad = [m.name for m in tarfile.open(sys.argv[1]) if m.uname or m.gname]
sys.exit(1 if bad else 0)
EOF

echo "-- files: the binary, the ldd closure at the host's paths, the user, the tree"
has() { grep -qxF "$1" "$tmp/names" || grep -qxF "$1/" "$tmp/names" || fail "no $1 in the layer"; }
has usr/local/bin/openssl
ldd "$bin" | sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p' >"$tmp/libs"
while read -r lib; do
  has "$(realpath "$lib" | sed 's:^/::')"
  # every symlink on the host's path is the same symlink in the layer
  p=""
  for part in $(tr / ' ' <<<"${lib#/}"); do
    p="$p/$part"
    if [ -L "$p" ]; then
      grep -qE " ${p#/} -> $(readlink "$p")\$" "$tmp/list" || fail "$p -> $(readlink "$p") is not in the layer"
      break
    fi
  done
done <"$tmp/libs"
has etc/ssl/certs/ca-certificates.crt
grep -qE '^l.* usr/lib/ssl/cert.pem -> /etc/ssl/certs/ca-certificates.crt$' "$tmp/list" || fail "no OpenSSL cert.pem link"
tar -xOf "$tmp/one.tar" etc/passwd | grep -qx 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' || fail "passwd"
tar -xOf "$tmp/one.tar" etc/group | grep -qx 'nonroot:x:65532:' || fail "group"
grep -qE '^drwx------ 65532/65532 .* home/nonroot/$' "$tmp/list" || fail "home: $(grep home/ "$tmp/list")"
grep -qE '^drwxrwxrwt 0/0 .* tmp/$' "$tmp/list" || fail "no sticky /tmp"
[ "$(tar -xOf "$tmp/one.tar" srv/data/sub/a.txt)" = hello ] || fail "--file tree content"
grep -qE ' srv/data/link -> sub/a.txt$' "$tmp/list" || fail "--file tree symlink"

echo "-- the layout: digests verify, the config says what was asked"
L="$tmp/one.layout"
blob() { echo "$L/blobs/sha256/${1#sha256:}"; }
for f in "$L"/blobs/sha256/*; do
  [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$(basename "$f")" ] || fail "blob $(basename "$f") does not match its digest"
done
m=$(jq -r '.manifests[0].digest' "$L/index.json")
[ "$m" = "$(cat "$tmp/one.digest")" ] || fail "index names $m, printed $(cat "$tmp/one.digest")"
c=$(jq -r .config.digest "$(blob "$m")")
[ "$(jq -r '.rootfs.diff_ids[0]' "$(blob "$c")")" = "sha256:$(sha256sum "$tmp/one.tar" | cut -d' ' -f1)" ] ||
  fail "diff_id is not the layer's"
l=$(jq -r '.layers[0].digest' "$(blob "$m")")
cmp -s <(gzip -dc "$(blob "$l")") "$tmp/one.tar" || fail "the gzip'd layer is not the layer"
want='{"Cmd":["version"],"Entrypoint":["/usr/local/bin/openssl"],"Env":["A=b,c","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"ExposedPorts":{"8443/tcp":{}},"Labels":{"org.example/x":"1,2=3"},"User":"65532:65532"}'
[ "$(jq -cS .config "$(blob "$c")")" = "$want" ] || fail "config: $(jq -cS .config "$(blob "$c")")"
[ "$(jq -r .created "$(blob "$c")")" = 2023-11-14T22:13:20Z ] || fail "created: $(jq -r .created "$(blob "$c")")"
[ "$(jq -c .annotations "$(blob "$m")")" = '{"org.example/x":"1,2=3"}' ] || fail "annotations"

echo "-- root, and the errors"
build root --user root:0 --no-ca-certs
rm=$(cat "$tmp/root.digest")
rc=$(jq -r .config.digest "$tmp/root.layout/blobs/sha256/${rm#sha256:}")
[ "$(jq -r .config.User "$tmp/root.layout/blobs/sha256/${rc#sha256:}")" = 0:0 ] || fail "root's User"
tar -tf "$tmp/root.tar" >"$tmp/root.names"
! grep -q '^home/' "$tmp/root.names" || fail "root has a /home"
! grep -q 'ca-certificates.crt' "$tmp/root.names" || fail "--no-ca-certs kept the bundle"
grep -qx 'root:x:0:0:root:/root:/sbin/nologin' <(tar -xOf "$tmp/root.tar" etc/passwd) || fail "root's passwd"
expect_error() { # expect_error PATTERN ARGS...
  local pattern=$1; shift
  if "$B" "$@" >/dev/null 2>"$tmp/err"; then fail "accepted: $*"; fi
  grep -q -- "$pattern" "$tmp/err" || fail "for $*: $(cat "$tmp/err")"
}
expect_error "is not an executable file" --dry-run --binary /nonexistent
expect_error "wants SRC:DST" --dry-run --file "$tmp/tree"
expect_error "given twice, differently" --dry-run --binary "$bin" --file "/etc/hostname:/usr/local/bin/openssl"
expect_error "wants NAME:UID" --dry-run --user nonroot
expect_error "--image (or --oci-layout) is required" --binary "$bin"
expect_error "unknown option --bogus" --dry-run --bogus x
echo "PASS"
