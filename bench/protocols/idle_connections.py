#!/usr/bin/python3
"""Holds N idle MQTT 3.1.1 connections to a broker and reports its resident memory: issue 5's
"10 000 idle connections with plexusd under 200 MiB", measured side by side with Mosquitto
when it is installed.

Usage: idle_connections.py [--connections N] [--build-dir DIR] [--plexus-only]

Each broker is started privately (brokers.py: free loopback ports, data in a temporary
directory). The connections are raw sockets on one thread: CONNECT with a clean session and a
keep-alive of 600 s, then nothing; every CONNACK must arrive and accept, or the run fails.
VmRSS and VmHWM of the broker process are read from /proc before the first connection, once
all are established, and after a 5 s settle. The client needs N file descriptors and the
broker as many: raise `ulimit -n` first (the script says so when it can't open them).
"""

import argparse
import json
import os
import resource
import selectors
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brokers  # noqa: E402


def rss_kib(pid):
    """(VmRSS, VmHWM) of `pid` in KiB."""
    values = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]


def connect_packet(client_id):
    body = b"\x00\x04MQTT\x04\x02" + struct.pack(">H", 600) + struct.pack(">H", len(client_id)) + client_id
    return b"\x10" + bytes([len(body)]) + body


def hold(port, count, deadline_s=120):
    """Opens `count` MQTT connections to `port` and waits for each CONNACK; returns the sockets."""
    sel = selectors.DefaultSelector()
    socks = []
    pending = {}
    until = time.monotonic() + deadline_s
    for i in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(connect_packet(f"idle-{i}".encode()))
        s.setblocking(False)
        socks.append(s)
        pending[s.fileno()] = b""
        sel.register(s, selectors.EVENT_READ)
        if len(pending) > 500:  # keep the accept backlog bounded
            drain(sel, pending, until)
    while pending:
        drain(sel, pending, until)
    sel.close()
    return socks


def drain(sel, pending, until):
    if time.monotonic() > until:
        raise RuntimeError(f"{len(pending)} connections got no CONNACK in time")
    for key, _ in sel.select(timeout=1):
        s = key.fileobj
        data = pending[s.fileno()] + s.recv(16)
        if not data:
            raise RuntimeError("the broker closed a connection before its CONNACK")
        if len(data) < 4:
            pending[s.fileno()] = data
            continue
        if data[0] != 0x20 or data[3] != 0:
            raise RuntimeError(f"CONNACK refused: {data!r}")
        del pending[s.fileno()]
        sel.unregister(s)


def measure(broker, count):
    broker.start()
    try:
        pid = broker.pid()
        time.sleep(1)
        before, _ = rss_kib(pid)
        started = time.monotonic()
        socks = hold(broker.port("mqtt"), count)
        took = time.monotonic() - started
        held, _ = rss_kib(pid)
        time.sleep(5)
        settled, peak = rss_kib(pid)
        for s in socks:
            s.close()
        return {"broker": broker.title, "connections": count, "rss_before_kib": before, "rss_held_kib": held,
                "rss_settled_kib": settled, "rss_peak_kib": peak, "connect_seconds": round(took, 2),
                "bytes_per_connection": int((settled - before) * 1024 / count)}
    finally:
        broker.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--connections", type=int, default=10000)
    ap.add_argument("--build-dir", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "..", "..", "build", "release"))
    ap.add_argument("--plexus-only", action="store_true")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections + 100
    if soft < need:
        if hard < need:
            sys.exit(f"need {need} file descriptors, the hard limit is {hard}: raise ulimit -n")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))  # brokers inherit it
    results = []
    with tempfile.TemporaryDirectory(prefix="plexus-idle-") as work:
        candidates = [brokers.plexus_broker(args.build_dir, work, ["mqtt"])]
        if not args.plexus_only and brokers.mosquitto_broker.available() is None:
            candidates.append(brokers.mosquitto_broker(work))
        for b in candidates:
            results.append(measure(b, args.connections))
    print("| broker | connections | RSS before | RSS held (after 5 s) | peak | per connection | connect time |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        print(f"| {r['broker']} | {r['connections']} | {r['rss_before_kib'] / 1024:.1f} MiB | "
              f"{r['rss_settled_kib'] / 1024:.1f} MiB | {r['rss_peak_kib'] / 1024:.1f} MiB | "
              f"{r['bytes_per_connection']} B | {r['connect_seconds']} s |")
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
