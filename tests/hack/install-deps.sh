#!/usr/bin/env bash
# hack/install-deps.sh as a user meets it, without touching the machine: the real script
# runs with a scratch policy-rc.d path and fake dpkg-query / apt-get (INSTALL_DEPS_*), so
# packages can be "missing", "installed" or refuse to install. It must exit 0 after a
# full install whether a policy-rc.d was there before (left in place, unchanged) or not
# (the one it adds is there during the install and gone afterwards), exit 0 when nothing
# is missing, and exit non-zero with a message on stderr when a package cannot be installed.
set -euo pipefail
script="$(cd "$(dirname "$0")/../.." && pwd)/hack/install-deps.sh"
fail() { echo "FAIL: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
real_policy=/usr/sbin/policy-rc.d
real_before=$(stat -c '%i %s %Y' "$real_policy" 2>/dev/null || echo absent)

# The fakes keep their state in $FAKE_STATE: installed/<pkg> marks a package installed,
# broken/<pkg> makes apt-get refuse it; apt-get logs its arguments and what running the
# policy file answered (101: service starts refused).
cat >"$tmp/dpkg-query" <<'SH'
#!/bin/sh
# dpkg-query -W -f=FORMAT PKG
pkg=$3
if [ -e "$FAKE_STATE/installed/$pkg" ]; then printf 'install ok installed'; exit 0; fi
echo "dpkg-query: no packages found matching $pkg" >&2
exit 1
SH
cat >"$tmp/apt-get" <<'SH'
#!/bin/sh
echo "$*" >>"$FAKE_STATE/apt.log"
[ "$1" = install ] || exit 0
if [ -x "$FAKE_POLICY" ]; then "$FAKE_POLICY"; echo "policy $?" >>"$FAKE_STATE/apt.log"
else echo "policy none" >>"$FAKE_STATE/apt.log"; fi
shift
rc=0
for p in "$@"; do
  case $p in -*) continue ;; esac
  if [ -e "$FAKE_STATE/broken/$p" ]; then echo "E: Unable to locate package $p" >&2; rc=100
  else : >"$FAKE_STATE/installed/$p"; fi
done
exit $rc
SH
chmod +x "$tmp/dpkg-query" "$tmp/apt-get"

# run CASE [installed PKG...] [-- broken PKG...]: a fresh fake system with packages a b c,
# then the real script; sets rc, out (stdout), err (stderr), log (apt-get's).
run() {
  local case=$1; shift
  export FAKE_STATE="$tmp/$case" FAKE_POLICY="$tmp/$case/policy-rc.d"
  mkdir -p "$FAKE_STATE/installed" "$FAKE_STATE/broken"
  : >"$FAKE_STATE/apt.log"
  local dir=installed p
  for p in "$@"; do
    if [ "$p" = -- ]; then dir=broken; continue; fi
    : >"$FAKE_STATE/$dir/$p"
  done
  rc=0
  INSTALL_DEPS_PACKAGES="a b c" INSTALL_DEPS_POLICY="$FAKE_POLICY" INSTALL_DEPS_SUDO="" \
    INSTALL_DEPS_DPKG_QUERY="$tmp/dpkg-query" INSTALL_DEPS_APT_GET="$tmp/apt-get" \
    bash "$script" >"$FAKE_STATE/out" 2>"$FAKE_STATE/err" </dev/null || rc=$?
  out=$(<"$FAKE_STATE/out") err=$(<"$FAKE_STATE/err") log=$(<"$FAKE_STATE/apt.log")
}
show() { echo "exit $rc; stdout: $out; stderr: $err; apt-get: $log"; }

echo "-- no policy-rc.d before: one is added for the install and removed afterwards"
run absent c
[ "$rc" = 0 ] || fail "exit $rc after a full install: $(show)"
[ "$out" = "install-deps: installing a b
install-deps: installed 2 packages" ] || fail "stdout: $(show)"
[ -z "$err" ] || fail "stderr after a good install: $(show)"
grep -x 'install -y -q --no-install-recommends a b' <<<"$log" >/dev/null || fail "apt-get was not asked for a b: $(show)"
grep -x 'policy 101' <<<"$log" >/dev/null || fail "no policy refusing service starts during the install: $(show)"
[ ! -e "$FAKE_POLICY" ] || fail "the policy-rc.d the script added is still there: $(cat "$FAKE_POLICY")"

echo "-- a policy-rc.d already there: used, left in place unchanged, exit 0"
mkdir -p "$tmp/present"
printf '#!/bin/sh\n# the image'"'"'s own\nexit 101\n' >"$tmp/present/policy-rc.d"
chmod +x "$tmp/present/policy-rc.d"
cp -p "$tmp/present/policy-rc.d" "$tmp/present-policy.orig"
run present
[ "$rc" = 0 ] || fail "exit $rc after a full install with a policy-rc.d already there: $(show)"
[ "$out" = "install-deps: installing a b c
install-deps: installed 3 packages" ] || fail "stdout: $(show)"
[ -z "$err" ] || fail "stderr after a good install: $(show)"
[ -e "$FAKE_POLICY" ] || fail "the policy-rc.d that was there before was removed"
cmp -s "$FAKE_POLICY" "$tmp/present-policy.orig" || fail "the policy-rc.d that was there before was changed"

echo "-- everything installed: nothing to do, exit 0"
run complete a b c
[ "$rc" = 0 ] || fail "exit $rc with every package present: $(show)"
[ "$out" = "install-deps: all 3 packages present" ] || fail "stdout: $(show)"
[ -z "$log" ] || fail "apt-get ran with nothing missing: $(show)"
[ ! -e "$FAKE_POLICY" ] || fail "a policy-rc.d was written with nothing to install"

for before in absent present; do
  echo "-- a package that cannot be installed (policy-rc.d $before before): non-zero exit, stderr names it"
  case=failed-$before
  if [ "$before" = present ]; then
    mkdir -p "$tmp/$case" && cp -p "$tmp/present-policy.orig" "$tmp/$case/policy-rc.d"
  fi
  run "$case" a -- b
  [ "$rc" != 0 ] || fail "exit 0 although b could not be installed: $(show)"
  grep -x 'install-deps: could not install: b' <<<"$err" >/dev/null || fail "stderr does not name b: $(show)"
  grep -x 'update -q' <<<"$log" >/dev/null || fail "no apt-get update before the second try: $(show)"
  if [ "$before" = present ]; then
    cmp -s "$FAKE_POLICY" "$tmp/present-policy.orig" || fail "the policy-rc.d that was there before was changed or removed"
  else
    [ ! -e "$FAKE_POLICY" ] || fail "the policy-rc.d the script added outlived a failed install"
  fi
done

real_after=$(stat -c '%i %s %Y' "$real_policy" 2>/dev/null || echo absent)
[ "$real_after" = "$real_before" ] || fail "$real_policy changed: the test touched the machine"
echo "ok: install-deps exit status and policy-rc.d handling"
