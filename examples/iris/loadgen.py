#!/usr/bin/env python3
"""Steady inference load for the iris example (Python standard library only).

Sends iris samples (with their true labels) to a KServe V2 endpoint at a fixed rate, over
one keep-alive connection per worker, and stops at whichever comes first: --count requests
or --duration seconds. Prints one summary line (and, with --json, a JSON object):

  loadgen: sent=200 ok=200 correct=191 incorrect=9 errors=0 accuracy=0.955 rps=19.9 p50_ms=1.1 p99_ms=3.2

  loadgen.py --url http://127.0.0.1:8080 --model iris --samples iris_models.json
             [--rate 20] [--count 1000] [--duration 60] [--workers 1] [--batch 1]
             [--split test|train|all] [--timeout 5] [--json] [--min-accuracy A] [--max-error-rate E]

--samples is the file train.py writes (its held-out split by default). With --min-accuracy or
--max-error-rate the exit status is 1 when the run falls short, so a test or a demo step can
judge a version by what it really answered.
"""
import argparse
import http.client
import json
import sys
import threading
import time
import urllib.parse

MAX_COUNT = 1_000_000
MAX_DURATION = 3600.0


def load_samples(path, split):
    with open(path) as f:
        ds = json.load(f)["dataset"]
    parts = ["train", "test"] if split == "all" else [split]
    xs, ys = [], []
    for p in parts:
        xs += ds[p]["x"]
        ys += ds[p]["y"]
    return xs, ys


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.sent = self.ok = self.correct = self.incorrect = self.errors = 0
        self.codes = {}
        self.latencies = []

    def add(self, code, latency, right, wrong):
        with self.lock:
            self.sent += 1
            self.codes[code] = self.codes.get(code, 0) + 1
            self.latencies.append(latency)
            if code == 200:
                self.ok += 1
                self.correct += right
                self.incorrect += wrong
            else:
                self.errors += 1


class Ticket:
    """Hands out request numbers at a fixed rate until the count or the deadline is reached."""

    def __init__(self, rate, count, deadline):
        self.lock = threading.Lock()
        self.interval = 1.0 / rate
        self.count = count
        self.deadline = deadline
        self.next_at = time.monotonic()
        self.issued = 0

    def take(self):
        with self.lock:
            if self.issued >= self.count:
                return None
            at = self.next_at
            self.next_at += self.interval
            self.issued += 1
            n = self.issued - 1
        if at >= self.deadline:
            return None
        delay = at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        return n


def worker(url, model, xs, ys, batch, timeout, ticket, stats):
    u = urllib.parse.urlsplit(url)
    path = f"{u.path.rstrip('/')}/v2/models/{model}/infer"
    conn = None
    while (n := ticket.take()) is not None:
        idx = [(n * batch + i) % len(xs) for i in range(batch)]
        body = json.dumps({"id": str(n), "inputs": [{
            "name": "input-0", "shape": [batch, 4], "datatype": "FP32",
            "data": [v for i in idx for v in xs[i]]}]})
        start = time.monotonic()
        code, right, wrong = 0, 0, 0
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=timeout)
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            data = resp.read()
            code = resp.status
            if code == 200:
                out = {o["name"]: o for o in json.loads(data)["outputs"]}
                for i, p in zip(idx, out["predict"]["data"]):
                    if int(p) == ys[i]:
                        right += 1
                    else:
                        wrong += 1
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException, ValueError, KeyError):
            code = 0  # no answer: a connection error or a timeout
            if conn is not None:
                conn.close()
            conn = None
        stats.add(code, time.monotonic() - start, right, wrong)
    if conn is not None:
        conn.close()


def percentile(sorted_values, q):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--model", default="iris")
    p.add_argument("--samples", required=True)
    p.add_argument("--split", choices=["test", "train", "all"], default="test")
    p.add_argument("--rate", type=float, default=20.0, help="requests per second, all workers")
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--min-accuracy", type=float)
    p.add_argument("--max-error-rate", type=float)
    a = p.parse_args()
    if not (0 < a.rate <= 100000 and 0 < a.count <= MAX_COUNT and 0 < a.duration <= MAX_DURATION
            and 1 <= a.workers <= 64 and 1 <= a.batch <= 256):
        sys.exit("loadgen: rate, count, duration, workers and batch must be positive and bounded")

    xs, ys = load_samples(a.samples, a.split)
    stats = Stats()
    start = time.monotonic()
    ticket = Ticket(a.rate, a.count, start + a.duration)
    threads = [threading.Thread(target=worker, daemon=True,
                                args=(a.url, a.model, xs, ys, a.batch, a.timeout, ticket, stats))
               for _ in range(a.workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(a.duration + a.timeout + 5)
    elapsed = time.monotonic() - start

    with stats.lock:
        lat = sorted(stats.latencies)
        predicted = stats.correct + stats.incorrect
        result = {
            "sent": stats.sent, "ok": stats.ok, "correct": stats.correct,
            "incorrect": stats.incorrect, "errors": stats.errors,
            "codes": {str(k): v for k, v in sorted(stats.codes.items())},
            "accuracy": round(stats.correct / predicted, 4) if predicted else 0.0,
            "error_rate": round(stats.errors / stats.sent, 4) if stats.sent else 0.0,
            "rps": round(stats.sent / elapsed, 1) if elapsed > 0 else 0.0,
            "p50_ms": round(percentile(lat, 0.5) * 1000, 2),
            "p99_ms": round(percentile(lat, 0.99) * 1000, 2),
        }
    print("loadgen: " + " ".join(f"{k}={v}" for k, v in result.items() if k != "codes")
          + " codes=" + ",".join(f"{k}:{v}" for k, v in result["codes"].items()))
    if a.json:
        print(json.dumps(result))
    bad = []
    if a.min_accuracy is not None and result["accuracy"] < a.min_accuracy:
        bad.append(f"accuracy {result['accuracy']} < {a.min_accuracy}")
    if a.max_error_rate is not None and result["error_rate"] > a.max_error_rate:
        bad.append(f"error rate {result['error_rate']} > {a.max_error_rate}")
    if bad:
        print("loadgen: FAIL: " + "; ".join(bad), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
