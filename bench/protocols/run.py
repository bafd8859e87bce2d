#!/usr/bin/env python3
"""The protocol benchmarks of issue 6: plexus-bench against plexusd and each installed peer
(RabbitMQ for AMQP 0-9-1 and, with its plugins, MQTT and STOMP; Mosquitto for MQTT; Kafka has
no installable peer, so its scenarios run against Plexus alone), the same
scenarios on the same machine in one run, repetitions
alternating between the brokers, medians, the machine's limits measured in the same run, and a
markdown report with PNG charts. scripts/bench.sh installs and builds, then runs this; see
README.md beside it.

Exit codes: 0 every run was clean, 1 a run failed (lost, duplicated or corrupted messages, or a
driver error; the report says which), 2 a broker could not be started, 64 usage."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import brokers  # noqa: E402
import limits  # noqa: E402
import report  # noqa: E402

# (b) of issue 6 §3 / issue 7: persistent messages on a durable queue, publisher confirms with
# a window of 1000, manual acks with prefetch 1000.
DURABLE = ["--persistent", "--confirm", "1000", "--manual-ack", "--prefetch", "1000"]


class scenario:
    def __init__(self, name, title, kind, args, protocol="amqp", length=None, smoke_args=None):
        self.name = name
        self.title = title
        self.kind = kind  # "throughput": as fast as possible; "latency": a fixed rate
        self.args = args
        self.protocol = protocol  # the plexus-bench driver, and what a broker must serve
        self.length = length  # fixed --count/--duration arguments, else from the command line
        self.smoke_args = smoke_args  # args for the CI smoke, where the real ones are too heavy


# 100-byte messages, one producer; issue 6 §3 and the benchmark of issue 7.
AMQP_SCENARIOS = [
    scenario("amqp-a-transient", "(a) transient, auto-ack, 1 → 1", "throughput", []),
    scenario("amqp-b-durable", "(b) persistent, confirms (window 1000), manual acks, prefetch 1000, 1 → 1",
             "throughput", DURABLE),
    scenario("amqp-c-fanout", "(c) fanout to 4 queues, transient, auto-ack, 1 → 4", "throughput", ["--fanout", "4"]),
    scenario("amqp-latency-a", "(a) at a fixed 1 000 msg/s", "latency", ["--rate", "1000"]),
    scenario("amqp-latency-b", "(b) at a fixed 1 000 msg/s", "latency", DURABLE + ["--rate", "1000"]),
    scenario("amqp-latency-c", "(c) at a fixed 1 000 msg/s, 1 → 4", "latency", ["--fanout", "4", "--rate", "1000"]),
]

# MQTT 3.1.1 (RabbitMQ 3.10's plugin has no MQTT 5), clean sessions; issue 6 §3. QoS 1
# publishes keep up to 1000 unacknowledged (plexus-bench's default window).
MQTT_SCENARIOS = [
    scenario("mqtt-qos0", "QoS 0, 1 → 1", "throughput", ["--qos", "0"], "mqtt"),
    scenario("mqtt-qos1", "QoS 1 (publish window 1000), 1 → 1", "throughput", ["--qos", "1"], "mqtt"),
    scenario("mqtt-qos0-fanout", "QoS 0, 1 → 10 subscribers", "throughput", ["--qos", "0", "--fanout", "10"], "mqtt"),
    # Paho's library thread polls every socket on each turn, so 1 000 connections cost the
    # client more than the broker; 1 msg/s each is what it sustains with room to spare.
    scenario("mqtt-connections", "1 000 connections at 1 msg/s each (1 000 msg/s), QoS 0, 1 000 → 1", "latency",
             ["--qos", "0", "--producers", "1000", "--rate", "1000"], "mqtt",
             smoke_args=["--qos", "0", "--producers", "100", "--rate", "500"]),
    scenario("mqtt-latency-qos0", "QoS 0 at a fixed 1 000 msg/s, 1 → 1", "latency", ["--qos", "0", "--rate", "1000"],
             "mqtt"),
    scenario("mqtt-latency-qos1", "QoS 1 at a fixed 1 000 msg/s, 1 → 1", "latency", ["--qos", "1", "--rate", "1000"],
             "mqtt"),
    scenario("mqtt-latency-fanout", "QoS 0 at a fixed 1 000 msg/s, 1 → 10", "latency",
             ["--qos", "0", "--fanout", "10", "--rate", "1000"], "mqtt"),
]

# STOMP 1.2 to a queue (/queue/...), ack auto and client-individual; issue 6 §3 and issue 8.
STOMP_SCENARIOS = [
    scenario("stomp-auto", "ack auto, 1 → 1", "throughput", [], "stomp"),
    scenario("stomp-client-individual", "ack client-individual, prefetch-count 1000, 1 → 1", "throughput",
             ["--manual-ack", "--prefetch", "1000"], "stomp"),
    scenario("stomp-latency", "ack auto at a fixed 1 000 msg/s, 1 → 1", "latency", ["--rate", "1000"], "stomp"),
]

# Kafka through librdkafka, one topic of one partition per run, one producer and one consumer
# assigned partition 0. Debian packages no Kafka broker (nor Redpanda), so there is no peer:
# these rows are Plexus's own figures. Producers linger 5 ms to fill batches when throughput
# is the point and 0 at the fixed rate.
KAFKA_SCENARIOS = [
    scenario("kafka-produce-acks1", "acks=1, linger.ms 5, 1 → 1 (consumed while produced)", "throughput",
             ["--acks", "1"], "kafka"),
    scenario("kafka-produce-acksall", "acks=all, linger.ms 5, 1 → 1 (consumed while produced)", "throughput",
             ["--acks", "all"], "kafka"),
    # A consumer catching up on a backlog: 2 million records (200 MB) produced with acks=1
    # first, then fetched; msg/s is the rate of the fetch alone. A fixed count, because at
    # several hundred thousand records a second a 10 s backlog would be most of a gigabyte.
    scenario("kafka-fetch", "fetch a backlog of 2 000 000 records, 1 consumer", "throughput",
             ["--acks", "1", "--backlog"], "kafka", length=["--count", "2000000"]),
    scenario("kafka-latency", "acks=1 at a fixed 1 000 msg/s, linger.ms 0, 1 → 1", "latency",
             ["--acks", "1", "--rate", "1000"], "kafka"),
    scenario("kafka-latency-acksall", "acks=all at a fixed 1 000 msg/s, linger.ms 0, 1 → 1", "latency",
             ["--acks", "all", "--rate", "1000"], "kafka"),
]

SCENARIOS = AMQP_SCENARIOS + MQTT_SCENARIOS + STOMP_SCENARIOS + KAFKA_SCENARIOS


def parse_args(argv):
    p = argparse.ArgumentParser(description="Side-by-side protocol benchmarks (issue 6).")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--plexus-only", action="store_true", help="run Plexus alone")
    who.add_argument("--peers-only", action="store_true", help="run the peers (RabbitMQ, Mosquitto) alone")
    p.add_argument("--scenario", action="append", default=[],
                   help="regular expression on scenario names (repeatable; default all)")
    p.add_argument("--reps", type=int, default=3, help="repetitions per scenario and broker (default 3)")
    p.add_argument("--seconds", type=float, default=10, help="length of a throughput run (default 10)")
    p.add_argument("--latency-seconds", type=float, default=10, help="length of a latency run (default 10)")
    p.add_argument("--smoke", action="store_true",
                   help="CI smoke: Plexus only, tiny counts, one repetition, no limits, no charts")
    p.add_argument("--build-dir", default=None, help="the build tree (default build/release)")
    p.add_argument("--out", default=None, help="report directory (default bench/results/<date>)")
    p.add_argument("--work", default=None, help="parent of the brokers' temporary data (default $TMPDIR or /tmp)")
    p.add_argument("--note", default="", help="a line for the report (e.g. what else ran on the machine)")
    p.add_argument("--no-charts", action="store_true")
    p.add_argument("--no-limits", action="store_true", help="skip the machine-limit measurements")
    p.add_argument("--list", action="store_true", help="list the scenarios and exit")
    a = p.parse_args(argv)
    if a.smoke:
        a.plexus_only = True
        a.reps = 1
        a.no_limits = True
        a.no_charts = True
    if a.reps < 1:
        p.error("--reps must be at least 1")
    return a


def selected(args):
    if not args.scenario:
        return list(SCENARIOS)
    pats = [re.compile(s) for s in args.scenario]
    return [s for s in SCENARIOS if any(p.search(s.name) for p in pats)]


def bench_drivers(bench):
    """The drivers this plexus-bench was built with."""
    try:
        out = subprocess.run([bench, "--list-drivers"], capture_output=True, text=True, timeout=30)
        return out.stdout.split() if out.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):
        return []


def length_args(s, args):
    if args.smoke:
        # Well under a second each: enough to start, move messages both ways, and check them.
        return ["--count", "3000"] if s.kind == "throughput" else ["--duration", "0.3"]
    if s.length:
        return s.length
    return ["--duration", str(args.seconds if s.kind == "throughput" else args.latency_seconds)]


def say(text):
    print(f"bench: {text}", file=sys.stderr, flush=True)


def run_bench(bench, broker, s, rep, args):
    """One plexus-bench run; returns a record with its JSON (or the failure)."""
    scenario_args = s.smoke_args if args.smoke and s.smoke_args else s.args
    cmd = [bench, "--driver", s.protocol, "--port", str(broker.port(s.protocol)),
           "--cpu-pid", f"broker={broker.pid()}", "--label", s.name, "--progress", "never",
           "--drain-timeout", "2" if args.smoke else "10"] + scenario_args + length_args(s, args)
    started = time.monotonic()
    timeout = (args.seconds if s.kind == "throughput" else args.latency_seconds) * 3 + 120
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        code, stdout, stderr = out.returncode, out.stdout, out.stderr
    except subprocess.TimeoutExpired as e:
        code, stdout, stderr = -1, e.stdout or "", f"timed out after {timeout:.0f} s"
        if isinstance(stdout, bytes):
            stdout = stdout.decode(errors="replace")
    result = None
    for line in reversed(stdout.strip().splitlines()):
        try:
            result = json.loads(line)
            break
        except ValueError:
            continue
    rec = {"broker": broker.name, "scenario": s.name, "protocol": s.protocol, "rep": rep, "exit": code,
           "wall_s": round(time.monotonic() - started, 3), "result": result,
           "stderr": stderr.strip()[-2000:], "command": " ".join(cmd)}
    if result is not None and code == 0:
        lat = result["latency_us"]
        say(f"{s.name} {broker.name} #{rep}: {result['delivery_rate']:.0f} msg/s, p50 {lat['p50']:.0f} us, "
            f"p99 {lat['p99']:.0f} us, broker CPU {result['cpu_s'].get('broker')} s")
    else:
        say(f"{s.name} {broker.name} #{rep}: FAILED (exit {code}): {stderr.strip()[-500:]}")
    return rec


def main(argv):
    args = parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    build = os.path.abspath(args.build_dir or os.path.join(root, "build", "release"))
    scenarios = selected(args)
    if args.list:
        for s in SCENARIOS:
            print(f"{s.name:20} {s.protocol:6} {s.kind:10} {s.title}")
        return 0
    if not scenarios:
        say(f"no scenario matches {args.scenario}; --list shows them")
        return 64
    bench = os.path.join(build, "tools", "plexus-bench", "plexus-bench")
    if not os.access(bench, os.X_OK):
        say(f"{bench} is not built (scripts/bench.sh builds it)")
        return 2

    # What can run, who takes part, and why not when not.
    skipped = {}
    drivers = bench_drivers(bench)
    for protocol in sorted({s.protocol for s in scenarios} - set(drivers)):
        skipped[f"{protocol} scenarios"] = f"plexus-bench was built without its {protocol} driver"
    scenarios = [s for s in scenarios if s.protocol in drivers]
    if args.smoke:
        # The smoke needs Plexus: only the protocols it has a gateway for.
        have = brokers.plexus_broker.gateways(build)
        for protocol in sorted({s.protocol for s in scenarios} - set(have)):
            skipped[f"{protocol} scenarios"] = f"this build has no {protocol} gateway"
        scenarios = [s for s in scenarios if s.protocol in have]
    needed = sorted({s.protocol for s in scenarios})
    candidates = []
    if not args.peers_only:
        why = brokers.plexus_broker.available(build)
        if why is None and set(brokers.plexus_broker.gateways(build)) & set(needed):
            candidates.append("plexus")
        else:
            skipped["Plexus"] = why or f"this build has no gateway for {', '.join(needed)}"
    if not args.plexus_only and set(needed) & set(brokers.rabbitmq_broker.installed_protocols()):
        why = brokers.rabbitmq_broker.available()
        if why is None:
            candidates.append("rabbitmq")
        else:
            skipped["RabbitMQ"] = why
        if "mqtt" in needed:
            why = brokers.mosquitto_broker.available()
            if why is None:
                candidates.append("mosquitto")
            else:
                skipped["Mosquitto"] = why
    if not candidates or not scenarios:
        for who, why in skipped.items():
            say(f"{who}: {why}")
        say("no broker or no scenario to run")
        return 2
    if args.smoke and "plexus" not in candidates:
        say(f"smoke: Plexus is required: {skipped.get('Plexus')}")
        return 2

    parent = args.work or os.environ.get("TMPDIR") or "/tmp"
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix="plexus-bench-run.", dir=parent)
    date = datetime.date.today().isoformat()
    out_dir = os.path.abspath(args.out or os.path.join(root, "bench", "results", date))
    started_at = datetime.datetime.now(datetime.timezone.utc)
    load_before = open("/proc/loadavg").read().split()[:3]
    running = []
    records = []
    machine = {"before": None, "after": None}
    try:
        if not args.no_limits:
            say("machine limits (before)")
            machine["before"] = limits.measure(work, bench=bench)
        for name in candidates:
            if name == "plexus":
                b = brokers.plexus_broker(build, work, needed)
            elif name == "rabbitmq":
                b = brokers.rabbitmq_broker(work, needed)
            else:
                b = brokers.mosquitto_broker(work)
            say(f"starting {b.title}")
            try:
                b.start()
            except brokers.broker_error as e:
                say(f"{b.title} did not start: {e}")
                return 2
            running.append(b)
            ports = ", ".join(f"{p} 127.0.0.1:{b.port(p)}" for p in needed if b.serves(p))
            say(f"{b.title}: {ports}; pid {b.pid()}")
        for protocol in needed:
            if not any(b.serves(protocol) for b in running):
                skipped[f"{protocol} scenarios"] = "no broker serves it"
        if not args.smoke:
            # A warm-up per broker and protocol, not recorded: first connections, queue
            # processes, JIT.
            for protocol in needed:
                warm_up = scenario("warm-up", "", "throughput", [], protocol,
                                   length=["--count", "50000" if protocol == "amqp" else "20000"])
                for b in running:
                    if b.serves(protocol):
                        run_bench(bench, b, warm_up, 0, args)
        for rep in range(1, args.reps + 1):
            for s in scenarios:
                # A/B alternating: the order flips each repetition, so a drift in the machine's
                # load (other builds) hits every broker alike.
                serving = [b for b in running if b.serves(s.protocol)]
                order = serving if rep % 2 == 1 else list(reversed(serving))
                for b in order:
                    records.append(run_bench(bench, b, s, rep, args))
        if not args.no_limits:
            say("machine limits (after)")
            machine["after"] = limits.measure(work, bench=bench)
    finally:
        for b in reversed(running):
            code = b.stop()
            say(f"stopped {b.title} (exit {code})")
        shutil.rmtree(work, ignore_errors=True)
    load_after = open("/proc/loadavg").read().split()[:3]

    info = {
        "started": started_at.strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(root),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "cpu": cpu_model(),
        "load_before": " ".join(load_before),
        "load_after": " ".join(load_after),
        "elapsed_s": round((datetime.datetime.now(datetime.timezone.utc) - started_at).total_seconds()),
        "reps": args.reps,
        "seconds": args.seconds,
        "latency_seconds": args.latency_seconds,
        "smoke": args.smoke,
        "note": args.note,
        "brokers": {b.name: {"title": b.title, "version": b.version(),
                             "protocols": [p for p in needed if b.serves(p)]} for b in running},
        "drivers": drivers,
        "skipped": skipped,
        "build": build,
    }
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "results.jsonl"), "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    charts = []
    if not args.no_charts:
        charts = report.charts(out_dir, scenarios, records, info)
    text = report.markdown(scenarios, records, info, machine, charts)
    with open(os.path.join(out_dir, "report.md"), "w") as f:
        f.write(text)
    print(text)
    say(f"written to {os.path.relpath(os.path.join(out_dir, 'report.md'), os.getcwd())}")
    failed = [r for r in records if r["exit"] != 0]
    if failed:
        say(f"{len(failed)} run(s) failed; see the report")
        return 1
    if args.smoke:
        print(f"smoke: {len(records)} passed, 0 failed")
    return 0


def git_commit(root):
    try:
        rev = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", root, "diff", "--quiet"], timeout=10).returncode != 0
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
