#!/usr/bin/env bash
# Runs the MLflow client tests (a gtest binary) against real MLflow tracking servers of
# their own (one open, one with MLflow's basic-auth app): hack/mlflow.sh installs it once into a cached virtual environment, starts it
# on a free loopback port with a SQLite store, and it is stopped when the tests end.
# Usage: mlflow.sh PATH-TO-mlmodel_mlflow_tests [gtest flags]
set -euo pipefail
binary=${1:?test binary}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap '"$root/hack/mlflow.sh" stop "$dir/open" || true; "$root/hack/mlflow.sh" stop "$dir/auth" || true; rm -rf "$dir"' EXIT
eval "$("$root/hack/mlflow.sh" start "$dir/open")"
export MLFLOW_URL
# A second server with MLflow's basic-auth app: user admin, this password.
MLFLOW_AUTH_PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
auth_env=$(MLFLOW_ADMIN_PASSWORD=$MLFLOW_AUTH_PASSWORD "$root/hack/mlflow.sh" start "$dir/auth")
MLFLOW_AUTH_URL=$(sed -n 's/^MLFLOW_URL=//p' <<<"$auth_env")
export MLFLOW_AUTH_URL MLFLOW_AUTH_PASSWORD
"$binary" "$@"
