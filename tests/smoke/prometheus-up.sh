#!/usr/bin/env bash
# Prometheus scrapes and answers `up`, and a target added at run time through file
# service discovery is scraped within seconds (how tests add their own targets).
. "$(dirname "$0")/lib.sh"
[ -n "${PROMETHEUS_TARGETS_DIR:-}" ] || fail "PROMETHEUS_TARGETS_DIR is not set"

query() {
  curl -sf --get --data-urlencode "query=$1" "$PROMETHEUS_URL/api/v1/query" |
    jq -r '.data.result[0].value[1] // empty'
}
is_up() { [ "$(query "$1")" = 1 ]; }

poll 30 is_up 'up{job="prometheus"}' || fail "up{job=\"prometheus\"} never became 1"
host=${PROMETHEUS_URL#http://}
file="$PROMETHEUS_TARGETS_DIR/smoke-$$.json"
trap 'rm -f "$file"' EXIT
printf '[{"targets":["%s"],"labels":{"job":"smoke-sd-%s"}}]\n' "$host" "$$" >"$file.tmp"
mv "$file.tmp" "$file"
poll 60 is_up "up{job=\"smoke-sd-$$\"}" || fail "a target added through file SD was not scraped"
echo "ok: Prometheus answers up, and file SD targets are scraped"
