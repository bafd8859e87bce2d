"""The machine's own limits, measured in the same run as the brokers so that a figure can be
read against what the loopback, the disk and fdatasync allow right then."""

import os
import shutil
import socket
import statistics
import subprocess
import threading
import time
import json

from brokers import free_port


def loopback_tcp_gbit(seconds=3.0):
    """Bulk TCP throughput over 127.0.0.1 in Gbit/s: iperf3 when installed, else one Python
    sender and receiver (slower than iperf3: a lower bound)."""
    if shutil.which("iperf3"):
        port = free_port()
        server = subprocess.Popen(["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            # The client fails fast while the server is not listening yet; a bare probe
            # connection would be taken by `-1` as its one client.
            for _ in range(50):
                out = subprocess.run(["iperf3", "-c", "127.0.0.1", "-p", str(port), "-t", str(max(1, round(seconds))), "-J"],
                                     capture_output=True, text=True, timeout=seconds + 30)
                try:
                    data = json.loads(out.stdout)
                    return data["end"]["sum_received"]["bits_per_second"] / 1e9, "iperf3"
                except (ValueError, KeyError):
                    time.sleep(0.1)
        except subprocess.TimeoutExpired:
            pass
        finally:
            if server.poll() is None:
                server.terminate()
            server.wait()
    return _python_bulk(seconds), "python sockets"


def _python_bulk(seconds):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    received = [0]

    def receive():
        conn, _ = listener.accept()
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            n = conn.recv_into(view)
            if n == 0:
                break
            received[0] += n
        conn.close()

    t = threading.Thread(target=receive)
    t.start()
    s = socket.create_connection(("127.0.0.1", port))
    chunk = b"\0" * (1 << 20)
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        s.sendall(chunk)
    s.close()
    t.join()
    elapsed = time.monotonic() - start
    listener.close()
    return received[0] * 8 / elapsed / 1e9


def loopback_round_trip_us(seconds=1.0, size=100):
    """Median round trip of a 100-byte message over loopback TCP (TCP_NODELAY), echoed by a
    thread; Python on both ends, so it is an upper bound on the network's share of a latency."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def echo():
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(size)
            if not data:
                break
            conn.sendall(data)
        conn.close()

    t = threading.Thread(target=echo)
    t.start()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    msg = b"x" * size
    samples = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t0 = time.perf_counter_ns()
        s.sendall(msg)
        got = 0
        while got < size:
            got += len(s.recv(size - got))
        samples.append((time.perf_counter_ns() - t0) / 1e3)
    s.close()
    t.join()
    listener.close()
    return statistics.median(samples)


def fdatasync_per_s(directory, seconds=2.0):
    """One writer appending 100 bytes and calling fdatasync, as fast as it can."""
    path = os.path.join(directory, "fdatasync.bin")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        n = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            os.write(fd, b"x" * 100)
            os.fdatasync(fd)
            n += 1
        return n / (time.monotonic() - start)
    finally:
        os.close(fd)
        os.unlink(path)


def dd_mb_per_s(directory, mib=256, flag="oflag=direct"):
    """dd's sequential write bandwidth in MB/s (10^6), or None when the filesystem refuses
    the flag (tmpfs has no O_DIRECT)."""
    path = os.path.join(directory, "dd.bin")
    try:
        out = subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}", flag],
                             capture_output=True, text=True, timeout=300, env={"LC_ALL": "C", "PATH": os.environ["PATH"]})
    finally:
        if os.path.exists(path):
            os.unlink(path)
    last = out.stderr.strip().splitlines()[-1] if out.stderr.strip() else ""
    if out.returncode != 0 or "copied" not in last:
        return None
    nbytes = int(last.split()[0])
    secs = float(last.split("copied, ")[1].split()[0].rstrip(","))
    return nbytes / secs / 1e6


def relay_latency_us(bench, seconds=3, runs=3, fanout=0):
    """p50 and p99 (medians of `runs`) of 100-byte messages at a fixed 1 000 msg/s through
    plexus-bench's zero-work relay, 1 -> 1 or (with `fanout`) 1 -> N: the floor no broker's
    fixed-rate latency of that shape can go below on this machine right now (loopback TCP
    hops and thread wake-ups, the same pacing and histogram as the broker runs). None without
    a plexus-bench that has the relay."""
    if not bench or not os.access(bench, os.X_OK):
        return None
    p50s, p99s = [], []
    shape = ["--fanout", str(fanout)] if fanout else []
    for _ in range(runs):
        out = subprocess.run([bench, "--driver", "relay", "--rate", "1000", "--duration", str(seconds),
                              "--size", "100", "--progress", "never"] + shape,
                             capture_output=True, text=True, timeout=seconds * 3 + 30)
        if out.returncode != 0:
            return None
        lat = json.loads(out.stdout.strip().splitlines()[-1])["latency_us"]
        p50s.append(lat["p50"])
        p99s.append(lat["p99"])
    return {"p50": statistics.median(p50s), "p99": statistics.median(p99s)}


def measure(directory, quick=False, bench=None):
    """Every limit once; `quick` shortens each (figures then are rough)."""
    t = 1 if quick else 3
    gbit, how = loopback_tcp_gbit(t)
    relay = relay_latency_us(bench, 1 if quick else 3, 1 if quick else 3)
    relay4 = relay_latency_us(bench, 1 if quick else 3, 1 if quick else 3, fanout=4)
    return {
        "relay_p50_us": relay["p50"] if relay else None,
        "relay_p99_us": relay["p99"] if relay else None,
        "relay_fanout4_p99_us": relay4["p99"] if relay4 else None,
        "loopback_gbit_s": gbit,
        "loopback_tool": how,
        "loopback_rtt_us": loopback_round_trip_us(0.3 if quick else 1.0),
        "fdatasync_per_s": fdatasync_per_s(directory, 0.5 if quick else 2.0),
        "dd_direct_mb_s": dd_mb_per_s(directory, 32 if quick else 256, "oflag=direct"),
        "dd_fdatasync_mb_s": dd_mb_per_s(directory, 32 if quick else 256, "conv=fdatasync"),
    }
