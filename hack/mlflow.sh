#!/usr/bin/env bash
# A real MLflow tracking server for the tests and the demo that need one.
#   hack/mlflow.sh install        the pinned mlflow in a virtual environment cached
#                                 outside the repo (large: installed once, then reused)
#   hack/mlflow.sh start DIR [PORT]
#                                 start a server on loopback (a free port, or PORT: a restart
#                                 keeps its address) with a SQLite store in DIR; prints
#                                 MLFLOW_URL=... and MLFLOW_PID=...
#   hack/mlflow.sh stop DIR       stop the server started in DIR
# MLFLOW_HOST (default 127.0.0.1) is the address it listens on: the demo uses the real
# node's bridge address, where the operator's pod reaches it. MLFLOW_ADMIN_PASSWORD set:
# MLflow's basic-auth app, user `admin` with that password (every request needs
# credentials; new users read by default).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

VENV="$CACHE_ROOT/mlflow-$MLFLOW_VERSION"
# [auth]: the basic-auth app (Flask-WTF), for the tests of credentials.
REQUIREMENT="mlflow[auth]==$MLFLOW_VERSION"

install() {
  if [ -x "$VENV/bin/mlflow" ] && [ "$(cat "$VENV/.installed" 2>/dev/null)" = "$REQUIREMENT" ]; then
    return 0
  fi
  log "installing $REQUIREMENT into $VENV (once; later runs reuse it)"
  mkdir -p "$CACHE_ROOT"
  [ -x "$VENV/bin/pip" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "$REQUIREMENT"
  echo "$REQUIREMENT" >"$VENV/.installed"
}

start() {
  local dir=${1:?usage: hack/mlflow.sh start DIR}
  install
  mkdir -p "$dir"
  local port=${2:-} host=${MLFLOW_HOST:-127.0.0.1}
  [ -n "$port" ] || port=$(free_ports 1)
  local app=()
  if [ -n "${MLFLOW_ADMIN_PASSWORD:-}" ]; then
    app=(--app-name basic-auth)
    printf '[mlflow]\ndefault_permission = READ\ndatabase_uri = sqlite:///%s/auth.db\nadmin_username = admin\nadmin_password = %s\nauthorization_function = mlflow.server.auth:authenticate_request_basic_auth\n' \
      "$dir" "$MLFLOW_ADMIN_PASSWORD" >"$dir/basic_auth.ini"
    export MLFLOW_AUTH_CONFIG_PATH="$dir/basic_auth.ini"
    # Its CSRF protection wants a fixed key; a random one per server is enough here.
    MLFLOW_FLASK_SERVER_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
    export MLFLOW_FLASK_SERVER_SECRET_KEY
  fi
  # --workers 1 and no telemetry: a small server that sends nothing off this machine.
  MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true \
    setsid "$VENV/bin/mlflow" server "${app[@]}" --host "$host" --port "$port" --workers 1 \
    --backend-store-uri "sqlite:///$dir/mlflow.db" \
    --default-artifact-root "$dir/artifacts" >"$dir/mlflow.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$dir/mlflow.pid"
  local url="http://$host:$port"
  local deadline=$((SECONDS + 120))
  until curl -fsS "$url/health" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$dir/mlflow.log" >&2
      die "mlflow server exited; log above"
    fi
    [ $SECONDS -lt $deadline ] || die "mlflow server not healthy after 120 s; see $dir/mlflow.log"
    sleep 0.5
  done
  echo "MLFLOW_URL=$url"
  echo "MLFLOW_PID=$pid"
}

stop() {
  local dir=${1:?usage: hack/mlflow.sh stop DIR}
  [ -f "$dir/mlflow.pid" ] || return 0
  local pid
  pid=$(cat "$dir/mlflow.pid")
  # setsid made the server its own process group: end the workers with it.
  kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  rm -f "$dir/mlflow.pid"
}

case "${1:-}" in
  install) install ;;
  start) start "${2:-}" "${3:-}" ;;
  stop) stop "${2:-}" ;;
  *) die "usage: hack/mlflow.sh install | start DIR | stop DIR" ;;
esac
