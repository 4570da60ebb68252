#!/usr/bin/env bash
# The model-metrics helper is scraped by the real Prometheus: a healthy and a failing
# version give the error rates the tests rely on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/../support/model_metrics.sh"
state=$(mktemp)
trap 'mm_stop; rm -f "$state"' EXIT
mm_start "$state"
mm_set --model m --namespace smoke --version v1 --error-rate 0
mm_set --model m --namespace smoke --version v2 --error-rate 0.5 --latency 0.3
rate() { echo "sum(rate(model_requests_total{namespace=\"smoke\",version=\"$1\",code=\"500\"}[5s])) / sum(rate(model_requests_total{namespace=\"smoke\",version=\"$1\"}[5s]))"; }
mm_wait_query "$(rate v2)" 'abs(v - 0.5) < 0.05' 30 || fail "v2 error rate: $(mm_value "$(rate v2)")"
mm_wait_query "$(rate v1)" 'v == 0' 30 || fail "v1 error rate: $(mm_value "$(rate v1)")"
p50='histogram_quantile(0.5, sum by (le) (rate(model_request_duration_seconds_bucket{namespace="smoke",version="v2"}[5s])))'
mm_wait_query "$p50" '0.25 < v <= 0.5' 30 || fail "v2 median latency: $(mm_value "$p50")"
echo "ok: model metrics scraped"
