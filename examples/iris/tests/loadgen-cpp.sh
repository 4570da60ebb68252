#!/usr/bin/env bash
# iris-loadgen (the in-cluster load generator) against the real iris-server on 127.0.0.1: the
# per-second lines add up to the summary, by code and model_version; v1 answers all and
# mostly right, v3 a share with 500s; a port nobody listens on gives "no answer", not a
# crash; SIGTERM stops it with its summary; bad flags exit 2. No cluster.
#   loadgen-cpp.sh SERVER_BINARY LOADGEN_BINARY MODEL_JSON
set -euo pipefail
server=$1 loadgen=$2 models=$3
. "$(dirname "$0")/lib.sh"

start() { start_server "$1" --profile "$1" --version "$2"; }  # start PROFILE VERSION
stop() { stop_server; }
ticks() { awk -v c="$1" -v v="$2" 'NF == 5 && $1 ~ /^[0-9]+$/ && $2 == c && $3 == v {n += $4; r += $5} END {print n+0, r+0}' "$work/load"; }

start v1 1.0.0
"$loadgen" --url "http://127.0.0.1:$port" --model-file "$models" --rate 300 --count 150 --duration 20 >"$work/load"
read -r n right <<<"$(ticks 200 1.0.0)"
[ "$n" = 150 ] || fail "v1: $n of 150 answered 200 by 1.0.0: $(cat "$work/load")"
[ "$right" -ge 135 ] || fail "v1: only $right of 150 right"
grep -q '^iris-loadgen: sent=150 ok=150 errors=0 no_answer=0 correct='"$right"' .*by_version_code=1.0.0/200:150$' "$work/load" ||
  fail "v1 summary: $(tail -1 "$work/load")"
echo "v1: 150 answered, $right right"
stop

start v3 3.0.0
"$loadgen" --url "http://127.0.0.1:$port/" --model-file "$models" --rate 300 --count 300 --duration 20 >"$work/load"
read -r e _ <<<"$(ticks 500 -)"
read -r ok _ <<<"$(ticks 200 3.0.0)"
[ $((e + ok)) = 300 ] || fail "v3: $e errors + $ok answers != 300: $(cat "$work/load")"
[ "$e" -ge 45 ] && [ "$e" -le 135 ] || fail "v3: $e of 300 answered 500 (expected ~30%)"
echo "v3: $e of 300 answered 500"

# SIGTERM mid-run: it stops at once with its summary.
"$loadgen" --url "http://127.0.0.1:$port" --model-file "$models" --rate 50 --duration 60 >"$work/load" &
lp=$!
sleep 1
kill -TERM "$lp"
wait "$lp" || fail "iris-loadgen exited $? on SIGTERM"
grep -q '^iris-loadgen: sent=' "$work/load" || fail "no summary after SIGTERM: $(cat "$work/load")"
stop

# Nobody listens on that port any more: every request is "no answer", the run still ends.
"$loadgen" --url "http://127.0.0.1:$port" --model-file "$models" --rate 50 --count 20 --timeout-ms 500 >"$work/load"
read -r none _ <<<"$(ticks 0 -)"
[ "$none" = 20 ] || fail "dead port: $none of 20 counted as no answer: $(cat "$work/load")"

for bad in "" "--url ftp://x" "--url http://x/path" "--url http://x --rate 0" "--url http://x --count 0" "--url http://x --bogus 1"; do
  rc=0
  # shellcheck disable=SC2086
  "$loadgen" $bad >/dev/null 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "iris-loadgen $bad exited $rc, not 2"
done
echo "ok: iris-loadgen"
