#!/usr/bin/env python3
"""Hostile HTTP servers on 127.0.0.1 for tests/e2e/hostile-endpoints.sh.

Each kind listens on a port of its own (chosen by the kernel); the map kind -> port is
written as JSON to --ports once every listener is bound. Kinds:
  endless-body    200 with a JSON start and no length, then filler until the client leaves
  endless-header  a status line, then header fields that never end
  drip            a valid Prometheus reply, one byte a second
  big-json        a valid 100 MB JSON reply with its Content-Length
  tls-stall       reads the ClientHello and never answers (use it as https://)
  mid-chunk       a chunked reply that stops in the middle of a chunk and closes
  registry-token  a registry answering 401 with a Bearer realm on the endless-body server

Everything is bounded: a connection ends after --conn-seconds or --conn-bytes sent, or
when the client closes; the whole process exits after --lifetime seconds.
"""
import argparse
import json
import os
import socket
import threading
import time

REPLY = b'{"status":"success","data":{"resultType":"vector","result":[]}}'
BIG = 100 * 1000 * 1000


class Conn:
    def __init__(self, sock, args):
        self.sock = sock
        self.end = time.monotonic() + args.conn_seconds
        self.budget = args.conn_bytes
        sock.settimeout(1.0)

    def alive(self):
        return time.monotonic() < self.end and self.budget > 0

    def send(self, data):
        """False once the client has gone or a bound is reached."""
        if not self.alive():
            return False
        data = data[: self.budget]
        try:
            while data and time.monotonic() < self.end:
                try:
                    n = self.sock.send(data)
                except socket.timeout:
                    continue
                self.budget -= n
                data = data[n:]
        except OSError:
            return False
        return not data and self.alive()

    def read_request(self):
        """The request's head (bounded), or None when the client left first."""
        got = b""
        while b"\r\n\r\n" not in got and len(got) < 65536 and self.alive():
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            got += chunk
        return got

    def wait_close(self):
        """Reads and drops until the client closes or time is up."""
        while self.alive():
            try:
                if not self.sock.recv(4096):
                    return
            except socket.timeout:
                continue
            except OSError:
                return


def endless_body(c, ports):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    if c.send(head + b'{"status":"success","data":{"resultType":"vector","result":["'):
        filler = b"x" * 65536
        while c.send(filler):
            pass


def endless_header(c, ports):
    if c.send(b"HTTP/1.1 200 OK\r\n"):
        i = 0
        while c.send(b"X-Filler-%d: %s\r\n" % (i, b"a" * 1000)):
            i += 1


def drip(c, ports):
    reply = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(REPLY), REPLY)
    )
    for i in range(len(reply)):
        if not c.send(reply[i : i + 1]):
            return
        time.sleep(1)


def big_json(c, ports):
    # {"status":"success","data":{"resultType":"vector","result":[{"metric":{"pad":"x…x"},"value":[0,"0"]}]}}
    start = b'{"status":"success","data":{"resultType":"vector","result":[{"metric":{"pad":"'
    end = b'"},"value":[0,"0"]}]}}'
    pad = BIG - len(start) - len(end)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % BIG
    if not c.send(head + start):
        return
    filler = b"x" * 65536
    while pad > 0:
        if not c.send(filler[:pad]):
            return
        pad -= min(pad, len(filler))
    c.send(end)


def tls_stall(c, ports):
    c.wait_close()  # the ClientHello is read and never answered


def mid_chunk(c, ports):
    c.send(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"1000\r\n" + REPLY[:40]
    )


def registry_token(c, ports):
    realm = "http://127.0.0.1:%d/token" % ports["endless-body"]
    body = b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}'
    c.send(
        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
        b'WWW-Authenticate: Bearer realm="%s",service="hostile"\r\n'
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (realm.encode(), len(body), body)
    )


KINDS = {
    "endless-body": endless_body,
    "endless-header": endless_header,
    "drip": drip,
    "big-json": big_json,
    "tls-stall": tls_stall,
    "mid-chunk": mid_chunk,
    "registry-token": registry_token,
}


def serve(kind, listener, ports, args):
    while True:
        sock, _ = listener.accept()
        threading.Thread(target=handle, args=(kind, sock, ports, args), daemon=True).start()


def handle(kind, sock, ports, args):
    c = Conn(sock, args)
    try:
        if kind == "tls-stall" or c.read_request() is not None:
            KINDS[kind](c, ports)
    finally:
        sock.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ports", required=True, help="file to write the kind -> port map to")
    p.add_argument("--lifetime", type=float, default=600)
    p.add_argument("--conn-seconds", type=float, default=60)
    p.add_argument("--conn-bytes", type=int, default=BIG + 4096)
    args = p.parse_args()
    listeners, ports = {}, {}
    for kind in KINDS:
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        listeners[kind], ports[kind] = s, s.getsockname()[1]
    for kind, s in listeners.items():
        threading.Thread(target=serve, args=(kind, s, ports, args), daemon=True).start()
    with open(args.ports + ".tmp", "w") as f:
        json.dump(ports, f)
    # Renamed into place so a reader never sees half a file.
    os.rename(args.ports + ".tmp", args.ports)
    time.sleep(args.lifetime)


if __name__ == "__main__":
    main()
