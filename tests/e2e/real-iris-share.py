#!/usr/bin/env python3
"""Which share of a model's requests its canary pods served over a window, for real-iris.sh.

Lists the model's Ready pods (kubectl), reads model_requests_total (all codes) from each
pod's /metrics by pod IP, waits --window seconds, reads again. The counters are the servers'
own, so the figure is exact: no scrape interval, no extrapolation.

  real-iris-share.py --namespace NS --model NAME [--window 8] [--port 8080]

Prints one line: <canary ready pods> <stable ready pods> <canary requests> <all requests>
Exits 1 when the set of Ready pods changed during the window (the figure would mix two
splits), or a pod did not answer.
"""
import argparse
import json
import subprocess
import sys
import time
import urllib.request

MODEL_LABEL = "serving.mlops.dev/model"
TRACK_LABEL = "serving.mlops.dev/track"


def ready_pods(ns, model):
    out = subprocess.run(
        ["kubectl", "-n", ns, "get", "pods", "-l", f"{MODEL_LABEL}={model}", "-o", "json"],
        capture_output=True, text=True, timeout=10, check=True).stdout
    pods = {}
    for p in json.loads(out)["items"]:
        st = p.get("status", {})
        if p["metadata"].get("deletionTimestamp") or not st.get("podIP"):
            continue
        if not any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", [])):
            continue
        pods[p["metadata"]["name"]] = (p["metadata"].get("labels", {}).get(TRACK_LABEL, "-"), st["podIP"])
    return pods


def requests_served(ip, port):
    with urllib.request.urlopen(f"http://{ip}:{port}/metrics", timeout=3) as r:
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("model_requests_total{") or line.startswith("model_requests_total "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--window", type=float, default=8.0)
    ap.add_argument("--port", type=int, default=8080)
    a = ap.parse_args()

    before_pods = ready_pods(a.namespace, a.model)
    before = {name: requests_served(ip, a.port) for name, (_, ip) in before_pods.items()}
    time.sleep(a.window)
    after_pods = ready_pods(a.namespace, a.model)
    if set(after_pods) != set(before_pods):
        sys.exit(f"real-iris-share: the Ready pods changed during the window: "
                 f"{sorted(before_pods)} -> {sorted(after_pods)}")
    canary = total = 0.0
    for name, (track, ip) in after_pods.items():
        served = requests_served(ip, a.port) - before[name]
        total += served
        if track == "canary":
            canary += served
    n_canary = sum(1 for t, _ in after_pods.values() if t == "canary")
    print(f"{n_canary} {len(after_pods) - n_canary} {int(canary)} {int(total)}")


if __name__ == "__main__":
    main()
