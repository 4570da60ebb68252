#!/usr/bin/env python3
"""Steady, bounded inference load on a model's pods, for tests/e2e/real-iris.sh.

Spreads requests over the model's Ready pods by pod IP, round-robin, re-listing the pods
every second (kubectl). That is what the model's Service does with the replica-ratio canary
split (traffic: {replicas: {}}: a canary's share is its share of Ready pods), done here
because a host process of the local cluster cannot reach ClusterIPs (the pod and Service
ranges are blackholed on the host; see hack/cluster-node.sh). Pods being deleted are left
out, as the endpoints controller would.

  real-iris-load.py --namespace NS --model NAME --samples iris_models.json --out LOG
                    [--rate 20] [--count 3000] [--duration 150]

One line per request in LOG, flushed at once:
  <unix time> <pod> <track> <http code, 0 when no answer> <model_version answered or -> <1 correct, 0 wrong, - no prediction>
Stops at --count requests, --duration seconds or SIGTERM, and prints a summary line.
"""
import argparse
import http.client
import json
import signal
import subprocess
import sys
import time

MODEL_LABEL = "serving.mlops.dev/model"
TRACK_LABEL = "serving.mlops.dev/track"


def ready_pods(ns, model):
    try:
        out = subprocess.run(
            ["kubectl", "-n", ns, "get", "pods", "-l", f"{MODEL_LABEL}={model}", "-o", "json"],
            capture_output=True, text=True, timeout=5, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return None  # keep the last list
    pods = []
    for p in json.loads(out)["items"]:
        st = p.get("status", {})
        if p["metadata"].get("deletionTimestamp") or not st.get("podIP"):
            continue
        if not any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", [])):
            continue
        pods.append((p["metadata"]["name"], p["metadata"].get("labels", {}).get(TRACK_LABEL, "-"),
                     st["podIP"]))
    return sorted(pods)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--samples", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rate", type=float, default=20.0)
    ap.add_argument("--count", type=int, default=3000)
    ap.add_argument("--duration", type=float, default=150.0)
    a = ap.parse_args()
    if not (0 < a.rate <= 200 and 0 < a.count <= 100000 and 0 < a.duration <= 900):
        sys.exit("real-iris-load: rate, count and duration must be positive and bounded")

    with open(a.samples) as f:
        ds = json.load(f)["dataset"]
    xs = ds["train"]["x"] + ds["test"]["x"]
    ys = ds["train"]["y"] + ds["test"]["y"]

    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    path = f"/v2/models/{a.model}/infer"
    start = time.monotonic()
    deadline = start + a.duration
    interval = 1.0 / a.rate
    pods, listed_at, rr = [], 0.0, 0
    sent = codes_ok = 0
    with open(a.out, "a", buffering=1) as log:
        for n in range(a.count):
            if stop:
                break
            at = start + n * interval
            if at >= deadline:
                break
            now = time.monotonic()
            if at > now:
                time.sleep(at - now)
            if time.monotonic() - listed_at >= 1.0:
                fresh = ready_pods(a.namespace, a.model)
                if fresh is not None:
                    pods = fresh
                listed_at = time.monotonic()
            if not pods:
                continue
            name, track, ip = pods[rr % len(pods)]
            rr += 1
            i = n % len(xs)
            body = json.dumps({"id": str(n), "inputs": [
                {"name": "input-0", "shape": [1, 4], "datatype": "FP32", "data": xs[i]}]})
            code, version, correct = 0, "-", "-"
            try:
                conn = http.client.HTTPConnection(ip, 8080, timeout=2)
                conn.request("POST", path, body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                code = resp.status
                conn.close()
                if code == 200:
                    out = json.loads(data)
                    version = out.get("model_version", "-")
                    pred = {o["name"]: o for o in out["outputs"]}["predict"]["data"][0]
                    correct = "1" if int(pred) == ys[i] else "0"
            except (OSError, http.client.HTTPException, ValueError, KeyError):
                code = 0
            sent += 1
            codes_ok += code == 200
            log.write(f"{time.time():.3f} {name} {track} {code} {version} {correct}\n")
    print(f"real-iris-load: sent={sent} ok={codes_ok} in {time.monotonic() - start:.1f}s")


if __name__ == "__main__":
    main()
