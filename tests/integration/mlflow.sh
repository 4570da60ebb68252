#!/usr/bin/env bash
# Runs the MLflow client tests (a gtest binary) against a real MLflow tracking server of
# their own: hack/mlflow.sh installs it once into a cached virtual environment, starts it
# on a free loopback port with a SQLite store, and it is stopped when the tests end.
# Usage: mlflow.sh PATH-TO-mlmodel_mlflow_tests [gtest flags]
set -euo pipefail
binary=${1:?test binary}
shift
root=$(cd "$(dirname "$0")/../.." && pwd)
dir=$(mktemp -d)
trap '"$root/hack/mlflow.sh" stop "$dir" || true; rm -rf "$dir"' EXIT
eval "$("$root/hack/mlflow.sh" start "$dir")"
export MLFLOW_URL
"$binary" "$@"
