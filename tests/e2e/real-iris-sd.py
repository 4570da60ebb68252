#!/usr/bin/env python3
"""Kubernetes pod discovery for a Prometheus without kubernetes_sd_configs (Debian's
prometheus 2.42+ds is built without it): lists the pods of one model in one namespace from
the real API server (kubectl) every second and writes them as a file_sd target file, with
the labels kubernetes_sd_configs (role: pod) would give and the test relabels on.

  real-iris-sd.py --namespace NS --model NAME --out FILE.json [--port 8080] [--duration 600]

Every pod with an IP is a target at IP:PORT (as role: pod, readiness is not asked). The file
is replaced atomically. Stops at --duration seconds or SIGTERM.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

MODEL_LABEL = "serving.mlops.dev/model"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--namespace", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--duration", type=float, default=600.0)
    a = ap.parse_args()
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    deadline = time.monotonic() + a.duration
    last = None
    while not stop and time.monotonic() < deadline:
        try:
            out = subprocess.run(
                ["kubectl", "-n", a.namespace, "get", "pods", "-l", f"{MODEL_LABEL}={a.model}", "-o", "json"],
                capture_output=True, text=True, timeout=5, check=True).stdout
            groups = []
            for p in json.loads(out)["items"]:
                ip = p.get("status", {}).get("podIP")
                if not ip:
                    continue
                md = p["metadata"]
                labels = {"__meta_kubernetes_namespace": md["namespace"],
                          "__meta_kubernetes_pod_name": md["name"],
                          "__meta_kubernetes_pod_ip": ip,
                          "__meta_kubernetes_pod_node_name": p["spec"].get("nodeName", "")}
                for k, v in md.get("labels", {}).items():
                    labels["__meta_kubernetes_pod_label_" + "".join(c if c.isalnum() else "_" for c in k)] = v
                groups.append({"targets": [f"{ip}:{a.port}"], "labels": labels})
            text = json.dumps(sorted(groups, key=lambda g: g["targets"][0]), indent=1)
            if text != last:
                tmp = a.out + ".tmp"
                with open(tmp, "w") as f:
                    f.write(text)
                os.replace(tmp, a.out)
                last = text
        except (subprocess.SubprocessError, OSError, ValueError, KeyError) as e:
            print(f"real-iris-sd: {e}", file=sys.stderr)
        time.sleep(1)


if __name__ == "__main__":
    main()
