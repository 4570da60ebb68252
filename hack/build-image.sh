#!/usr/bin/env bash
# Builds a small OCI image from files on this machine and pushes it, without a Docker
# daemon and without a base image (in the spirit of distroless and ko): one layer holding
# the binaries, their shared-library closure (ldd, with the dynamic loader), extra files,
# CA certificates and passwd/group lines for a non-root user (hack/image-layer.py), its
# config and manifest (hack/image-layout.py, an OCI image layout), pushed by crane
# (hack/versions.env). Prints the manifest digest on stdout (progress goes to stderr).
#
#   hack/build-image.sh --image REGISTRY/NAME:TAG --binary build/app [options]
#
#   --image REF             where to push (required unless --oci-layout or --dry-run)
#   --binary SRC[:DST]      an executable (DST defaults to /usr/local/bin/<name>), with
#                           every library ldd lists and the dynamic loader; repeatable
#   --strip                 strip the binaries' symbols (a stripped copy goes in the image)
#   --lib PATH              a library the program dlopen()s (ldd cannot see those), with
#                           its own closure; repeatable
#   --file SRC:DST          a file or directory copied as it is; repeatable
#   --user NAME:UID[:GID]   the user the image runs as (default nonroot:65532:65532, as
#                           distroless); /etc/passwd and /etc/group name it, its home
#                           /home/NAME is its own. root:0 runs as root
#   --entrypoint ARG        one element of the entrypoint; repeat for more
#   --cmd ARG               one element of the default arguments; repeat for more
#   --port PORT[/PROTO]     an exposed port (tcp unless said); repeatable
#   --env KEY=VALUE         repeatable; PATH is set to the usual one unless given
#   --label KEY=VALUE       a config label, also set as a manifest annotation; repeatable
#   --workdir DIR           the working directory
#   --no-ca-certs           leave out /etc/ssl/certs/ca-certificates.crt
#   --platform OS/ARCH      default: this machine's (linux/amd64 here)
#   --mtime SECONDS         every file's mtime and the config's created time (default
#                           $SOURCE_DATE_EPOCH, else 0)
#   --insecure              the registry speaks plain HTTP (the local cluster's does)
#   --layer-out FILE        keep the layer tarball (uncompressed) there
#   --oci-layout DIR        keep the OCI image layout there (without --image: only that)
#   --dry-run               build the layer and print its entries; push nothing
#
# The same inputs give the same bytes, so the same digest. The tag moves once, to the
# finished image.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

image="" user="nonroot:65532:65532" workdir="" platform="" insecure=0 ca=1 dry=0 layer_out="" strip=0
layout_out=""
mtime=${SOURCE_DATE_EPOCH:-0}
binaries=() libs=() files=() entrypoint=() cmd=() ports=() envs=() labels=()
while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    --no-ca-certs) ca=0; shift; continue ;;
    --insecure) insecure=1; shift; continue ;;
    --dry-run) dry=1; shift; continue ;;
    --strip) strip=1; shift; continue ;;
    -h|--help) usage ;;
    --*=*) val=${opt#*=}; opt=${opt%%=*}; shift ;;
    --*) [ $# -ge 2 ] || die "build-image: $opt needs a value"; val=$2; shift 2 ;;
    *) die "build-image: unexpected argument \"$opt\" (see --help)" ;;
  esac
  case $opt in
    --image) image=$val ;;
    --binary) binaries+=("$val") ;;
    --lib) libs+=("$val") ;;
    --file) files+=("$val") ;;
    --user) user=$val ;;
    --entrypoint) entrypoint+=("$val") ;;
    --cmd) cmd+=("$val") ;;
    --port) ports+=("$val") ;;
    --env) envs+=("$val") ;;
    --label) labels+=("$val") ;;
    --workdir) workdir=$val ;;
    --platform) platform=$val ;;
    --mtime) mtime=$val ;;
    --layer-out) layer_out=$val ;;
    --oci-layout) layout_out=$val ;;
    *) die "build-image: unknown option $opt (see --help)" ;;
  esac
done
[ -n "$image" ] || [ -n "$layout_out" ] || [ "$dry" = 1 ] ||
  die "build-image: --image (or --oci-layout) is required (see --help)"
[[ $mtime =~ ^[0-9]+$ ]] || die "build-image: --mtime wants seconds since the epoch, got \"$mtime\""
IFS=: read -r user_name uid gid <<<"$user"
gid=${gid:-$uid}
[[ -n $user_name && $uid =~ ^[0-9]+$ && $gid =~ ^[0-9]+$ ]] ||
  die "build-image: --user wants NAME:UID[:GID], got \"$user\""
if [ -z "$platform" ]; then
  case $(uname -m) in
    x86_64) platform=linux/amd64 ;;
    aarch64) platform=linux/arm64 ;;
    *) platform="linux/$(uname -m)" ;;
  esac
fi

tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
spec=$tmp/spec
: >"$spec"

# closure FILE: the shared libraries FILE needs and the dynamic loader, one path a line.
# ldd runs the loader on FILE: only for binaries we built or trust.
closure() {
  local out
  out=$(ldd "$1" 2>&1) || {
    case $out in
      *"not a dynamic executable"*|*"statically linked"*) return 0 ;;
      *) die "build-image: ldd $1 failed: $out" ;;
    esac
  }
  case $out in *"statically linked"*) return 0 ;; esac
  if grep -q '=> not found' <<<"$out"; then
    die "build-image: $1 needs libraries this machine lacks: $(grep '=> not found' <<<"$out" | tr -s ' \t' ' ')"
  fi
  # "libx.so.1 => /path (0x...)" and the loader's "/lib64/ld-linux-x86-64.so.2 (0x...)".
  sed -n -e 's/^.*=> \(\/[^ ]*\) (0x.*$/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*$/\1/p' <<<"$out"
}

for b in "${binaries[@]}"; do
  src=${b%%:*}; dst=${b#*:}
  [ "$dst" != "$b" ] || dst="/usr/local/bin/$(basename "$src")"
  [ -f "$src" ] && [ -x "$src" ] || die "build-image: --binary $src is not an executable file"
  closure "$src" >>"$tmp/libs"
  if [ "$strip" = 1 ]; then
    mkdir -p "$tmp/stripped"
    stripped="$tmp/stripped/$(printf '%s' "$dst" | tr / _)"
    strip --strip-unneeded -o "$stripped" "$src" || die "build-image: strip $src failed"
    src=$stripped
  fi
  printf 'copy\t%s\t%s\t755\n' "$src" "$dst" >>"$tmp/bins"
done
for l in "${libs[@]}"; do
  [ -f "$l" ] || die "build-image: --lib $l does not exist"
  echo "$l" >>"$tmp/libs"
  closure "$l" >>"$tmp/libs"
done
# Libraries and the loader first, at the host's paths (so /lib -> usr/lib stays a link).
# The image has no /etc/ld.so.cache: the loader finds libraries in its default folders
# (/lib/<triplet>, /usr/lib/<triplet>, /lib, /usr/lib), or through a binary's RUNPATH.
if [ -s "$tmp/libs" ]; then
  sort -u "$tmp/libs" | while read -r l; do
    printf 'host\t%s\n' "$l"
    [[ $(dirname "$l") =~ ^/(usr/)?lib(32|64)?(/[a-z0-9_]+-linux-[a-z0-9_]+)?$ ]] ||
      log "build-image: warning: $l is outside the loader's default folders; without a RUNPATH it will not be found in the image"
  done >>"$spec"
  log "build-image: $(sort -u "$tmp/libs" | wc -l) libraries and loader from ldd"
fi
[ ! -s "$tmp/bins" ] || cat "$tmp/bins" >>"$spec"

if [ "$ca" = 1 ]; then
  bundle=/etc/ssl/certs/ca-certificates.crt
  [ -f "$bundle" ] || die "build-image: $bundle is missing (apt-get install ca-certificates, or --no-ca-certs)"
  printf 'copy\t%s\t%s\t644\n' "$bundle" "$bundle" >>"$spec"
  # OpenSSL's default verify paths (OPENSSLDIR /usr/lib/ssl on Debian), which
  # SSL_CTX_set_default_verify_paths and so cpprestsdk read: as in Debian's openssl package.
  printf 'symlink\t/usr/lib/ssl/cert.pem\t%s\nsymlink\t/usr/lib/ssl/certs\t/etc/ssl/certs\n' "$bundle" >>"$spec"
fi

# The user: passwd and group as distroless writes them, a home of its own, a /tmp.
home=/root
[ "$uid" = 0 ] || home="/home/$user_name"
{
  echo "root:x:0:0:root:/root:/sbin/nologin"
  [ "$uid" = 0 ] || [ "$uid" = 65534 ] || echo "$user_name:x:$uid:$gid:$user_name:$home:/sbin/nologin"
  echo "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin"
} >"$tmp/passwd"
{
  echo "root:x:0:"
  [ "$gid" = 0 ] || [ "$gid" = 65534 ] || echo "$user_name:x:$gid:"
  echo "nogroup:x:65534:"
} >"$tmp/group"
printf 'passwd:         files\ngroup:          files\nhosts:          files dns\n' >"$tmp/nsswitch.conf"
{
  printf 'text\t%s\t/etc/passwd\t644\n' "$tmp/passwd"
  printf 'text\t%s\t/etc/group\t644\n' "$tmp/group"
  printf 'text\t%s\t/etc/nsswitch.conf\t644\n' "$tmp/nsswitch.conf"
  printf 'dir\t/tmp\t1777\t0\t0\n'
  printf 'dir\t/root\t700\t0\t0\n'
  [ "$uid" = 0 ] || printf 'dir\t%s\t700\t%s\t%s\n' "$home" "$uid" "$gid"
} >>"$spec"

for f in "${files[@]}"; do
  src=${f%%:*}; dst=${f#*:}
  [ "$dst" != "$f" ] && [ -n "$dst" ] || die "build-image: --file wants SRC:DST, got \"$f\""
  [ -e "$src" ] || die "build-image: --file $src does not exist"
  printf 'copy\t%s\t%s\n' "$src" "$dst" >>"$spec"
done

layer=${layer_out:-$tmp/layer.tar}
PYTHON=${PYTHON:-python3}
list_flag=()
[ "$dry" = 0 ] || list_flag=(--list)
"$PYTHON" "$HACK_DIR/image-layer.py" --out "$layer" --mtime "$mtime" "${list_flag[@]}" <"$spec"
log "build-image: layer $(du -h "$layer" | cut -f1) uncompressed, $(tar -tf "$layer" | wc -l) entries"
[ "$dry" = 0 ] || exit 0

# The config and manifest around the layer, as an OCI image layout.
layout=${layout_out:-$tmp/layout}
cfg=(--user "$uid:$gid" --platform "$platform" --created "$mtime")
for a in "${entrypoint[@]}"; do cfg+=("--entrypoint=$a"); done
for a in "${cmd[@]}"; do cfg+=("--cmd=$a"); done
for p in "${ports[@]}"; do
  [[ $p == */* ]] || p="$p/tcp"
  cfg+=("--port=$p")
done
have_path=0
for e in "${envs[@]}"; do
  [[ $e == *=* ]] || die "build-image: --env wants KEY=VALUE, got \"$e\""
  [[ $e != PATH=* ]] || have_path=1
  cfg+=("--env=$e")
done
[ "$have_path" = 1 ] || cfg+=("--env=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
for l in "${labels[@]}"; do
  [[ $l == *=* ]] || die "build-image: --label wants KEY=VALUE, got \"$l\""
  cfg+=("--label=$l")
done
[ -z "$workdir" ] || cfg+=("--workdir=$workdir")
digest=$("$PYTHON" "$HACK_DIR/image-layout.py" --layer "$layer" --out "$layout" "${cfg[@]}")
if [ -z "$image" ]; then
  log "build-image: OCI layout in $layout"
  echo "$digest"
  exit 0
fi

command -v crane >/dev/null || PATH="$CRANE_BIN:$PATH"
command -v crane >/dev/null || die "build-image: crane is not built (hack/build-tools.sh crane)"
crane_flags=()
[ "$insecure" = 0 ] || crane_flags+=(--insecure)
log "build-image: pushing $image"
crane push "${crane_flags[@]}" "$layout" "$image" >/dev/null
pushed=$(crane digest "${crane_flags[@]}" "$image")
[ "$pushed" = "$digest" ] || die "build-image: the registry says $image is $pushed, we pushed $digest"
log "build-image: $image@$digest"
echo "$digest"
