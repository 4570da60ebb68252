# Shared by the iris shell tests: a scratch folder ($work), iris-servers on 127.0.0.1 with
# kernel-chosen ports, and a cleanup on exit that stops every process recorded in $pids.
# Source with $server (the iris-server binary) and $models (the trained file) set.
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
  return 0
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# start_server NAME [ARGS...]: iris-server with ARGS, its output in $work/NAME.out; sets pid
# and port once it listens.
start_server() {
  local name=$1 _
  shift
  "$server" --address 127.0.0.1 --port 0 --model-file "$models" "$@" >"$work/$name.out" 2>&1 &
  pid=$!
  pids+=("$pid")
  port=""
  for _ in $(seq 100); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$name.out")
    [ -n "$port" ] && return 0
    sleep 0.1
  done
  fail "iris-server $name did not start: $(cat "$work/$name.out")"
}

# stop_server: stops the server start_server started last, and forgets it (so cleanup never
# signals a PID the system may have given to another process since).
stop_server() {
  kill "$pid"
  wait "$pid" || true
  local p kept=()
  for p in "${pids[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  pids=("${kept[@]}")
}
