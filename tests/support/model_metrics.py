#!/usr/bin/env python3
"""Plays the metrics endpoints of model servers for tests and the demo.

KWOK runs no containers, so no real model server answers requests; this process exports
what one would, for any number of (model, namespace, version) entries, and the real
Prometheus scrapes it like any target:
  model_requests_total{model,namespace,version,code="200"|"500"}   counter
  model_request_duration_seconds_bucket{...,le}                     histogram
Entries live in a JSON state file that is re-read at every scrape, so a test changes a
version's behaviour by rewriting it (the `set` and `remove` commands do so atomically).
Counters grow with wall time (rps per second, errorRate of them failing) and never go
back, whatever the state file says; a removed entry is no longer exported, and if it
returns its counters continue from where they stopped.

  model_metrics.py serve --port P --state FILE
  model_metrics.py set --state FILE --model M --namespace NS --version V
                       [--rps 20] [--error-rate 0] [--latency 0.05]
  model_metrics.py remove --state FILE --model M --namespace NS --version V
  model_metrics.py register --port P --name NAME     (file-SD target in $PROMETHEUS_TARGETS_DIR)
  model_metrics.py unregister --name NAME
"""
import argparse
import json
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return []


def save(path, entries):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
    with os.fdopen(fd, "w") as f:
        json.dump(entries, f)
    os.replace(tmp, path)


def key_of(e):
    return (e["model"], e["namespace"], e["version"])


class Counters:
    """Monotonic counters per entry, advanced by elapsed time at each scrape."""

    def __init__(self, state):
        self.state = state
        self.lock = threading.Lock()
        self.series = {}  # key -> dict(ok, err, sum, buckets[], last)

    def advance(self):
        now = time.monotonic()
        entries = {key_of(e): e for e in load(self.state)}
        with self.lock:
            for k, e in entries.items():
                s = self.series.get(k)
                if s is None:
                    s = self.series[k] = {"ok": 0.0, "err": 0.0, "sum": 0.0,
                                          "buckets": [0.0] * len(BUCKETS), "last": now,
                                          "hidden": False}
                elif s["hidden"]:
                    # Back after a removal: resume from the old values (no reset), with
                    # no traffic for the time it was gone.
                    s["hidden"] = False
                    s["last"] = now
                n = float(e.get("rps", 20)) * (now - s["last"])
                rate = min(max(float(e.get("errorRate", 0)), 0.0), 1.0)
                latency = float(e.get("latency", 0.05))
                s["err"] += n * rate
                s["ok"] += n * (1 - rate)
                s["sum"] += n * latency
                for i, le in enumerate(BUCKETS):
                    if latency <= le:
                        s["buckets"][i] += n
                s["last"] = now
            # A removed entry stops being exported; its counters are kept (not advanced)
            # so that they continue, never reset, if it returns.
            for k, s in self.series.items():
                if k not in entries:
                    s["hidden"] = True
            return {k: dict(v, buckets=list(v["buckets"]))
                    for k, v in self.series.items() if not v["hidden"]}

    def exposition(self):
        out = ["# HELP model_requests_total Requests served by the model server.",
               "# TYPE model_requests_total counter"]
        snap = self.advance()
        for (m, ns, v), s in sorted(snap.items()):
            lbl = f'model="{m}",namespace="{ns}",version="{v}"'
            out.append(f'model_requests_total{{{lbl},code="200"}} {s["ok"]:.3f}')
            out.append(f'model_requests_total{{{lbl},code="500"}} {s["err"]:.3f}')
        out += ["# HELP model_request_duration_seconds Request latency.",
                "# TYPE model_request_duration_seconds histogram"]
        for (m, ns, v), s in sorted(snap.items()):
            lbl = f'model="{m}",namespace="{ns}",version="{v}"'
            total = s["ok"] + s["err"]
            for le, c in zip(BUCKETS, s["buckets"]):
                out.append(f'model_request_duration_seconds_bucket{{{lbl},le="{le:g}"}} {c:.3f}')
            out.append(f'model_request_duration_seconds_bucket{{{lbl},le="+Inf"}} {total:.3f}')
            out.append(f'model_request_duration_seconds_sum{{{lbl}}} {s["sum"]:.3f}')
            out.append(f'model_request_duration_seconds_count{{{lbl}}} {total:.3f}')
        return "\n".join(out) + "\n"


def serve(args):
    counters = Counters(args.state)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.split("?")[0] != "/metrics":
                self.send_response(404)
                self.end_headers()
                return
            body = counters.exposition().encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.serve_forever()


def set_entry(args):
    entries = [e for e in load(args.state) if key_of(e) != (args.model, args.namespace, args.version)]
    entries.append({"model": args.model, "namespace": args.namespace, "version": args.version,
                    "rps": args.rps, "errorRate": args.error_rate, "latency": args.latency})
    save(args.state, entries)


def remove_entry(args):
    save(args.state, [e for e in load(args.state)
                      if key_of(e) != (args.model, args.namespace, args.version)])


def targets_dir():
    d = os.environ.get("PROMETHEUS_TARGETS_DIR")
    if not d:
        sys.exit("PROMETHEUS_TARGETS_DIR is not set (eval \"$(hack/cluster.sh env)\")")
    return d


def register(args):
    d = targets_dir()
    tmp = os.path.join(d, f".{args.name}.tmp")
    with open(tmp, "w") as f:
        json.dump([{"targets": [f"127.0.0.1:{args.port}"], "labels": {"job": args.name}}], f)
    os.replace(tmp, os.path.join(d, f"{args.name}.json"))


def unregister(args):
    try:
        os.remove(os.path.join(targets_dir(), f"{args.name}.json"))
    except FileNotFoundError:
        pass


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--state", required=True)
    for name in ("set", "remove"):
        e = sub.add_parser(name)
        e.add_argument("--state", required=True)
        e.add_argument("--model", required=True)
        e.add_argument("--namespace", required=True)
        e.add_argument("--version", required=True)
        if name == "set":
            e.add_argument("--rps", type=float, default=20)
            e.add_argument("--error-rate", type=float, default=0)
            e.add_argument("--latency", type=float, default=0.05)
    r = sub.add_parser("register")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--name", required=True)
    u = sub.add_parser("unregister")
    u.add_argument("--name", required=True)
    args = p.parse_args()
    {"serve": serve, "set": set_entry, "remove": remove_entry, "register": register,
     "unregister": unregister}[args.cmd](args)


if __name__ == "__main__":
    main()
