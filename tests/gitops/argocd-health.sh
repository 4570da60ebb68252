#!/usr/bin/env bash
# The Argo CD health check (manifests/argocd/.../MLModel/health.lua) run by a real Lua
# interpreter over its test cases (health_test.yaml, Argo CD's own format): each input
# object must give the expected status and message.
set -euo pipefail
dir="$(cd "$(dirname "$0")/../.." && pwd)/manifests/argocd/resource_customizations/serving.mlops.dev/MLModel"
lua=$(command -v lua5.4 || command -v lua || true)
[ -n "$lua" ] || { echo "FAIL: no Lua interpreter (lua5.4; hack/install-deps.sh)" >&2; exit 1; }
# Debian's python3 with python3-yaml (hack/install-deps.sh), whatever python3 is first on PATH.
/usr/bin/python3 - "$dir" "$lua" <<'PY'
import json, subprocess, sys, yaml
d, lua = sys.argv[1], sys.argv[2]

def to_lua(v):
    if isinstance(v, dict):
        return "{" + ",".join(f"[{json.dumps(k)}]={to_lua(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "{" + ",".join(to_lua(x) for x in v) + "}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "nil"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))

tests = yaml.safe_load(open(f"{d}/health_test.yaml"))["tests"]
failed = 0
for t in tests:
    obj = yaml.safe_load(open(f"{d}/{t['inputPath']}"))
    prog = f"obj = {to_lua(obj)}\nlocal hs = dofile({json.dumps(d + '/health.lua')})\nio.write(hs.status, '\\n', hs.message or '')"
    out = subprocess.run([lua, "-e", prog], capture_output=True, text=True)
    if out.returncode != 0:
        print(f"FAIL {t['inputPath']}: lua error: {out.stderr.strip()}")
        failed += 1
        continue
    status, _, message = out.stdout.partition("\n")
    want = t["healthStatus"]
    if status != want["status"] or message != want.get("message", message):
        print(f"FAIL {t['inputPath']}: got {status} {message!r}, want {want['status']} {want.get('message')!r}")
        failed += 1
    else:
        print(f"ok   {t['inputPath']}: {status}")
sys.exit(1 if failed else 0)
PY
