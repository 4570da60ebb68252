#!/usr/bin/env bash
# Runs an image from a registry without a node and without a Docker daemon: crane exports
# its filesystem, runc (Debian's) runs its entrypoint in it as the image's user, with a
# read-only root, no capabilities and the image's Env and WorkingDir. Proves an image's
# files are complete (libraries, loader) and that it runs as its non-root user.
#
#   hack/run-image.sh [options] IMAGE [ARG...]   ARGs replace the image's Cmd
#
#   --insecure        the registry speaks plain HTTP
#   --host-network    share the host's network (to reach the local cluster on loopback);
#                     default: a network namespace of its own (loopback only)
#   --mount SRC:DST   bind-mount a host file or directory read-only; repeatable
#   --env KEY=VALUE   added to the image's Env; repeatable
#   --timeout SECONDS kill the container after that long (default 60)
#
# Exits with the container's exit status. Needs root (runc as root; rootless runc cannot
# map a second user such as 65532).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

insecure=() host_net=0 mounts=() envs=() timeout=60
while [ $# -gt 0 ]; do
  case $1 in
    --insecure) insecure=(--insecure); shift ;;
    --host-network) host_net=1; shift ;;
    --mount) mounts+=("$2"); shift 2 ;;
    --env) envs+=("$2"); shift 2 ;;
    --timeout) timeout=$2; shift 2 ;;
    --) shift; break ;;
    -*) die "run-image: unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || die "usage: hack/run-image.sh [--insecure] [--host-network] [--mount SRC:DST] IMAGE [ARG...]"
image=$1; shift
command -v runc >/dev/null || die "run-image: runc is missing (apt-get install runc)"
command -v crane >/dev/null || PATH="$CRANE_BIN:$PATH"
[ "$(id -u)" = 0 ] || die "run-image: needs root (runc runs the container as the image's user)"

tmp=$(mktemp -d)
id="run-image-$$"
cleanup() {
  runc --root "$tmp/state" delete -f "$id" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$tmp/bundle/rootfs"
crane config "${insecure[@]}" "$image" >"$tmp/config.json"
crane export "${insecure[@]}" "$image" - | tar -x -C "$tmp/bundle/rootfs" --numeric-owner -p
given="[]"
for a in "$@"; do given=$(jq -c --arg a "$a" '. + [$a]' <<<"$given"); done
args_json=$(jq -c --argjson given "$given" '(.config.Entrypoint // []) +
  (if ($given | length) > 0 then $given else (.config.Cmd // []) end)' "$tmp/config.json")
[ "$args_json" != "[]" ] || die "run-image: $image has no Entrypoint or Cmd and no ARG was given"
user=$(jq -r '.config.User // ""' "$tmp/config.json")
uid=${user%%:*}; gid=${user#*:}
[ "$gid" != "$user" ] || gid=$uid
# A user name (not uid:gid) would need the image's passwd; ours are numeric.
[[ ${uid:-0} =~ ^[0-9]+$ && ${gid:-0} =~ ^[0-9]+$ ]] || die "run-image: image user \"$user\" is not numeric"

mounts_json="[]"
for m in "${mounts[@]}"; do
  mounts_json=$(jq -c --arg s "${m%%:*}" --arg d "${m#*:}" \
    '. + [{destination: $d, type: "bind", source: $s, options: ["rbind", "ro"]}]' <<<"$mounts_json")
done
env_json="[]"
for e in "${envs[@]}"; do env_json=$(jq -c --arg e "$e" '. + [$e]' <<<"$env_json"); done
(cd "$tmp/bundle" && runc spec)
jq --argjson args "$args_json" --argjson uid "${uid:-0}" --argjson gid "${gid:-0}" \
   --argjson mounts "$mounts_json" --argjson hostnet "$host_net" --argjson env "$env_json" --slurpfile img "$tmp/config.json" '
  .root.readonly = true
  | .process.terminal = false
  | .process.args = $args
  | .process.user = {uid: $uid, gid: $gid}
  | .process.cwd = (($img[0].config.WorkingDir // "") | if . == "" then "/" else . end)
  | .process.env = ($img[0].config.Env // []) + $env
  | .process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}
  | .process.noNewPrivileges = true
  | .mounts += $mounts
  | if $hostnet == 1 then .linux.namespaces |= map(select(.type != "network")) else . end
' "$tmp/bundle/config.json" >"$tmp/config.new"
mv "$tmp/config.new" "$tmp/bundle/config.json"
# runc state of our own, so nothing meets other users' containers.
set +e
timeout --kill-after=5 "$timeout" runc --root "$tmp/state" run --bundle "$tmp/bundle" "$id" </dev/null
rc=$?
set -e
exit "$rc"
