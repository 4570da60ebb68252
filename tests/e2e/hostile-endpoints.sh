#!/usr/bin/env bash
# End to end: the operator binary against hostile servers of the test's own on 127.0.0.1
# (tests/e2e/hostile_servers.py). Six models' canaries are judged by a "Prometheus" that
# sends an endless body, an endless header, a byte a second, 100 MB of JSON, a TLS
# handshake that never finishes, or a reply cut mid-chunk; two models' images sit on a
# hostile registry (a reply dripped, a token server with an endless body). What a user
# sees: none of them promotes, each says why in status and Events; meanwhile the operator
# keeps its PID, its probes answer, a model applied during the attack turns Ready within
# seconds, a canary judged by the cluster's real Prometheus is promoted, and the
# operator's peak memory (VmHWM) stays under HWM_LIMIT_KIB.
# Usage: hostile-endpoints.sh PATH-TO-mlmodel-operator
. "$(dirname "$0")/../smoke/lib.sh"
OPERATOR=${1:?operator binary}
. "$(dirname "$0")/lib.sh"

# Measured 39-58 MiB on a Debug build (17 MiB after start; printed below): about 2x, and under
# the 100 MB reply, which must never be held whole.
HWM_LIMIT_KIB=${HWM_LIMIT_KIB:-$((96 * 1024))}
# A model applied during the attack must be Ready within this many seconds.
READY_WITHIN=${READY_WITHIN:-10}

install_crd
e2e_namespace hostile
repo="e2e/hostile-$RANDOM"
push_images "$repo" 1.0.0 2.0.0
mm_start "$E2E_TMP/metrics.json"
cleanups+=("mm_stop")
for m in good healthy; do
  for v in 1.0.0 2.0.0; do mm_set --model "$m" --namespace "$ns" --version "$v" --error-rate 0; done
done

echo "-- hostile servers on 127.0.0.1"
python3 "$REPO_ROOT/tests/e2e/hostile_servers.py" --ports "$E2E_TMP/ports.json" --lifetime 600 &
hostile=$!
cleanups+=("kill $hostile 2>/dev/null; wait $hostile 2>/dev/null")
poll 10 test -s "$E2E_TMP/ports.json" || fail "hostile servers did not start"
declare -A PORT
while read -r kind port; do PORT[$kind]=$port; done < <(python3 -c '
import json, sys
for k, p in json.load(open(sys.argv[1])).items(): print(k, p)' "$E2E_TMP/ports.json")

OPERATOR_ARGS="--insecure-registry 127.0.0.1:${PORT[drip]} --insecure-registry 127.0.0.1:${PORT[registry-token]}"
start_operator
pid=$op
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"; }
echo "   operator PID $pid, VmHWM $(hwm) KiB after start"

# The probes sampled every second through the whole attack: status and seconds taken.
( end=$((SECONDS + 300))
  while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
    curl -s -o /dev/null -m 5 -w 'healthz %{http_code} %{time_total}\n' "127.0.0.1:$hport/healthz"
    curl -s -o /dev/null -m 5 -w 'metrics %{http_code} %{time_total}\n' "127.0.0.1:$opport/metrics"
    sleep 1
  done ) >"$E2E_TMP/probes.log" 2>&1 &
sampler=$!
cleanups+=("kill $sampler 2>/dev/null; wait $sampler 2>/dev/null")

# Each hostile kind, the address the model's analysis uses and what its rollback must say.
declare -A ADDR=(
  [endless-body]="http://127.0.0.1:${PORT[endless-body]}"
  [endless-header]="http://127.0.0.1:${PORT[endless-header]}"
  [drip]="http://127.0.0.1:${PORT[drip]}"
  [big-json]="http://127.0.0.1:${PORT[big-json]}"
  [tls-stall]="https://127.0.0.1:${PORT[tls-stall]}"
  [mid-chunk]="http://127.0.0.1:${PORT[mid-chunk]}"
)
declare -A SAYS=(
  [endless-body]="body is larger than its limit of 8 MiB"
  [endless-header]="header is larger than its limit of 64 KiB"
  [drip]="no reply within the deadline of 10000 ms"
  [big-json]="body is larger than its limit of 8 MiB"
  [tls-stall]="no TLS handshake within the deadline"
  [mid-chunk]="partial message"
)
kinds="endless-body endless-header drip big-json tls-stall mid-chunk"

echo "-- v1 of every model (no analysis yet); r-token's image is on a hostile registry"
for k in $kinds; do
  PROM_FOR_MODEL=${ADDR[$k]} model_yaml "h-$k" 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
done
model_yaml good 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
model_yaml r-drip 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
model_yaml r-token 1.0.0 | sed "s#image: .*#image: \"127.0.0.1:${PORT[registry-token]}/hostile/model:1.0.0\"#" |
  kubectl -n "$ns" apply -f - >/dev/null
for m in $(printf 'h-%s ' $kinds) good r-drip; do
  kubectl -n "$ns" wait --for=condition=Ready "mlmodel/$m" --timeout=60s >/dev/null || fail_with "$m v1 not Ready"
done

echo "-- v2 everywhere: six canaries judged by hostile servers, one by the real Prometheus"
for m in $(printf 'h-%s ' $kinds) good; do set_image "$m" 2.0.0; done
# r-drip's next version sits on a registry that drips its reply.
kubectl -n "$ns" patch mlmodel r-drip --type merge \
  -p "{\"spec\":{\"image\":\"127.0.0.1:${PORT[drip]}/hostile/model:2.0.0\"}}" >/dev/null

echo "-- a model applied while the slow queries hold workers turns Ready promptly"
conns_to() { ss -Htn state established "( dport = :$1 )" | wc -l; }
# A connection to either server is a query in flight (neither ever finishes a reply).
slow_in_flight() { [ "$(conns_to "${PORT[drip]}")" -ge 1 ] && [ "$(conns_to "${PORT[tls-stall]}")" -ge 1 ]; }
poll 90 slow_in_flight || fail_with "the analyses never reached the dripping and the stalling server"
echo "   in flight: $(conns_to "${PORT[drip]}") to the dripping server, $(conns_to "${PORT[tls-stall]}") to the stalling one"
t0=$(date +%s.%N)
model_yaml healthy 1.0.0 | kubectl -n "$ns" apply -f - >/dev/null
kubectl -n "$ns" wait --for=condition=Ready mlmodel/healthy --timeout="${READY_WITHIN}s" >/dev/null ||
  fail_with "healthy not Ready within ${READY_WITHIN}s during the attack"
ready_s=$(python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$t0")
echo "   healthy Ready after ${ready_s}s"

echo "-- the canary judged by the real Prometheus is promoted"
poll 120 ready_at good 2.0.0 || fail_with "good v2 not promoted during the attack"

echo "-- no hostile canary promotes; each rollback names its error"
for k in $kinds; do
  rolled() { [ "$(cond "h-$k" Stalled reason)" = AnalysisErrors ] && no_canary "h-$k"; }
  poll 120 rolled || fail_with "h-$k not rolled back on its hostile Prometheus"
  stable_version_is "h-$k" 1.0.0 || fail_with "h-$k promoted without evidence"
  stable_image_is "h-$k" 1.0.0 || fail_with "h-$k stable Deployment changed"
  last_outcome_is "h-$k" RolledBack || fail_with "h-$k rollback not in history"
  msg=$(cond "h-$k" Stalled message)
  case $msg in *"${ADDR[$k]}"*"${SAYS[$k]}"*) ;; *) fail_with "h-$k Stalled message lacks \"${SAYS[$k]}\": $msg" ;; esac
  has_event "h-$k" AnalysisError "${SAYS[$k]}" || fail_with "h-$k: no AnalysisError Event saying ${SAYS[$k]}"
  echo "   h-$k: $(sed 's/?query=[^ ]*: /?query=...: /' <<<"$msg" | cut -c1-300)"
done

echo "-- hostile registries: no deployment of their images, the reason in ImageResolved"
resolve_failed() { [ "$(cond "$1" ImageResolved status)" = False ]; }
for m in r-token r-drip; do
  poll 60 resolve_failed "$m" || fail_with "$m: ImageResolved not False"
done
[ "$(cond r-token ImageResolved reason)" = RegistryUnavailable ] || fail_with "r-token reason $(cond r-token ImageResolved reason)"
case $(cond r-token ImageResolved message) in
  *"token server http://127.0.0.1:${PORT[endless-body]} is unreachable"*"larger than its limit"*) ;;
  *) fail_with "r-token message: $(cond r-token ImageResolved message)" ;;
esac
[ "$(cond r-token Ready status)" = False ] || fail_with "r-token Ready without an image"
! deploy_exists r-token || fail_with "r-token deployed an unresolved image"
[ "$(cond r-drip ImageResolved reason)" = RegistryUnavailable ] || fail_with "r-drip reason $(cond r-drip ImageResolved reason)"
case $(cond r-drip ImageResolved message) in
  *"registry 127.0.0.1:${PORT[drip]} is unreachable"*"no reply within the deadline"*) ;;
  *) fail_with "r-drip message: $(cond r-drip ImageResolved message)" ;;
esac
stable_image_is r-drip 1.0.0 || fail_with "r-drip's running version changed"
no_canary r-drip || fail_with "r-drip started a canary of an unresolved image"
has_event r-token ImageResolutionFailed || fail_with "no ImageResolutionFailed Event for r-token"
has_event r-drip ImageResolutionFailed || fail_with "no ImageResolutionFailed Event for r-drip"
echo "   r-token: $(cond r-token ImageResolved message)"
echo "   r-drip: $(cond r-drip ImageResolved message)"

echo "-- no connection to a hostile Prometheus is kept once its canary is gone"
# (drip and endless-body also serve the registries, which are retried: not counted.)
hostile_conns() {
  local k n=0
  for k in endless-header big-json tls-stall mid-chunk; do
    n=$((n + $(ss -Htn state established "( dport = :${PORT[$k]} )" | wc -l)))
  done
  echo "$n"
}
poll 15 test "$(hostile_conns)" = 0 || fail_with "$(hostile_conns) connections to hostile servers still open"

echo "-- the operator: same process, probes answered, peak memory bounded"
[ "$op" = "$pid" ] && kill -0 "$pid" 2>/dev/null || fail "the operator (PID $pid) is gone: $(tail -30 "$oplog")"
kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
python3 - "$E2E_TMP/probes.log" <<'EOF' || fail "probes failed during the attack: $(grep -v ' 200 ' "$E2E_TMP/probes.log" | head)"
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
bad = [r for r in rows if len(r) != 3 or r[1] != "200" or float(r[2]) >= 1.0]
for path in ("healthz", "metrics"):
    t = sorted(float(r[2]) for r in rows if r[0] == path and len(r) == 3)
    print(f"   /{path}: {len(t)} probes, max {t[-1] * 1000:.1f} ms, median {t[len(t) // 2] * 1000:.1f} ms")
sys.exit(1 if bad or len(rows) < 20 else 0)
EOF
peak=$(hwm)
echo "   VmHWM ${peak} KiB (limit ${HWM_LIMIT_KIB} KiB), VmRSS $(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status") KiB"
[ "$peak" -lt "$HWM_LIMIT_KIB" ] || fail "operator peak memory ${peak} KiB over ${HWM_LIMIT_KIB} KiB"
echo "ok: hostile endpoints e2e"
