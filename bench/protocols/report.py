"""The markdown report and the gnuplot charts of a protocol benchmark run."""

import os
import shutil
import statistics
import subprocess

# The peers of each protocol, in the order their columns appear. Kafka has none: Debian
# packages no Kafka broker, so its rows are Plexus's alone and say so where ratios would be.
PEERS = {"amqp": ["rabbitmq"], "mqtt": ["mosquitto", "rabbitmq"], "stomp": ["rabbitmq"], "kafka": []}
NO_PEER = "no peer (Debian packages no Kafka broker)"
PROTOCOL_TITLES = {"amqp": "AMQP 0-9-1", "mqtt": "MQTT 3.1.1", "stomp": "STOMP 1.2", "kafka": "Kafka"}
CLIENTS = {
    "amqp": "plexus-bench's AMQP driver on rabbitmq-c",
    "mqtt": "plexus-bench's MQTT driver on Paho C (MQTTAsync)",
    "stomp": "plexus-bench's STOMP 1.2 driver (its own, on a socket)",
    "kafka": "plexus-bench's Kafka driver on librdkafka",
}
# A client using this much of one core per second of the run is the bottleneck, not the broker
# (its publishing thread or Paho's library thread is busy all the time).
CLIENT_BOUND_CORES = 0.8


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summary(records, scenario, broker):
    """Medians over the clean runs of one scenario on one broker, or None when it has none."""
    runs = [r for r in records if r["scenario"] == scenario and r["broker"] == broker]
    ok = [r["result"] for r in runs if r["exit"] == 0 and r["result"]]
    if not runs:
        return None

    def per_msg(cpu, res):
        return cpu / res["received"] * 1e6 if cpu is not None and cpu >= 0 and res["received"] else None

    s = {"runs": len(runs), "clean": len(ok), "failed": [r for r in runs if r["exit"] != 0]}
    if not ok:
        return s
    s["msg_s"] = median([r["delivery_rate"] for r in ok])
    s["send_s"] = median([r["send_rate"] for r in ok])
    # Publishes the broker confirmed per second, up to the last confirm (older JSON lines lack it).
    s["confirm_rate"] = median([r.get("confirm_rate") or None for r in ok])
    s["mb_s"] = median([r["delivery_mb_per_s"] for r in ok])
    for q in ("p50", "p90", "p99", "p999", "max"):
        s[q] = median([r["latency_us"][q] for r in ok])
    s["broker_cpu"] = median([r["cpu_s"].get("broker") for r in ok])
    s["client_cpu"] = median([r["client_cpu_s"] for r in ok])
    s["broker_us_msg"] = median([per_msg(r["cpu_s"].get("broker"), r) for r in ok])
    s["client_us_msg"] = median([per_msg(r["client_cpu_s"], r) for r in ok])
    s["client_cores"] = median([r["client_cpu_s"] / r["delivery_s"] if r["delivery_s"] else None for r in ok])
    s["samples"] = [round(r["delivery_rate"]) for r in ok]
    s["p99_samples"] = [r["latency_us"]["p99"] for r in ok]
    return s


def fmt(v, digits=0):
    if v is None:
        return "—"
    return f"{v:,.{digits}f}".replace(",", " ")


def fmt_us(us):
    """Latency: µs below a millisecond, else ms."""
    if us is None:
        return "—"
    if us < 1000:
        return f"{us:.0f} µs"
    if us < 100000:
        return f"{us / 1000:.2f} ms"
    return f"{us / 1000:.0f} ms"


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def relay_floor_ratio(machine, s, peer_summary):
    """For a fixed-rate scenario of a shape the limits measured (1 -> 1, 1 -> 4): the
    zero-work relay's p99 for it (the lower of the before and after measurements) over the
    peer's, the best p99 ratio any broker could reach in this run; None for other shapes or
    without the measurement."""
    if "--producers" in s.args:
        return None
    key = "relay_p99_us"
    if "--fanout" in s.args:
        key = f"relay_fanout{s.args[s.args.index('--fanout') + 1]}_p99_us"
    floors = [m[key] for m in (machine.get("before"), machine.get("after"))
              if m and m.get(key) is not None]
    if not floors:
        return None
    return ratio(min(floors), peer_summary["p99"])


def protocols_of(scenarios):
    seen = []
    for s in scenarios:
        if s.protocol not in seen:
            seen.append(s.protocol)
    return seen


def markdown(scenarios, records, info, machine, charts):
    brokers = list(info["brokers"].keys())
    title = {k: v["title"] for k, v in info["brokers"].items()}
    protocols = protocols_of(scenarios)
    out = []
    w = out.append
    w("# Protocol benchmarks (issue 6): " + ", ".join(PROTOCOL_TITLES[p] for p in protocols)
      + (" — CI smoke" if info["smoke"] else ""))
    w("")
    w(f"{info['started']}, commit {info['commit']}, {info['cores']} cores ({info['cpu']}), Linux {info['kernel']};")
    w(f"load average {info['load_before']} before and {info['load_after']} after; {info['elapsed_s']} s in all.")
    versions = ", ".join(f"{v['title']} {v['version']} ({', '.join(PROTOCOL_TITLES[p] for p in v['protocols'])})"
                         for v in info["brokers"].values())
    w(f"Brokers: {versions}.")
    w("Clients, on the same machine: " + "; ".join(f"{PROTOCOL_TITLES[p]}: {CLIENTS[p]}" for p in protocols) + ".")
    for who, why in info["skipped"].items():
        w(f"Not run: {who}: {why}.")
    w("")
    if info["smoke"]:
        w("**CI smoke**: tiny counts, one repetition, Plexus only; the figures mean nothing, the run checks that "
          "the harness, the drivers and the gateways still work together.")
        w("")
    else:
        w(f"Medians of {info['reps']} repetitions per scenario and broker, the brokers alternating (A/B, the order "
          f"flipped every repetition); throughput runs send for {fmt(info['seconds'], 0)} s, latency runs for "
          f"{fmt(info['latency_seconds'], 0)} s. 100-byte messages, one producer connection unless said, one "
          "consumer connection per queue or subscription; every message is checked (lost, duplicated, corrupted).")
        w("")
        w("**Noise.** This machine has 2 cores shared with other engineers' builds and tests, and the broker, "
          "the producer and the consumers all run on those 2 cores: figures move by tens of percent between "
          "runs (see the samples below and the load average above). Read ratios taken in the same run, "
          "not absolute numbers.")
        w("")
    if info.get("note"):
        w(f"Note: {info['note']}")
        w("")

    w("## Results")
    w("")
    w("msg/s counts deliveries (with fanout, every queue's or subscriber's copy), from the first publish to the "
      "last delivery. Latency is end to end (the send time stamped in the payload to its delivery); in throughput "
      "runs it includes the time spent queued, so only the fixed-rate rows measure the broker's latency. "
      "CPU is user + system seconds over the run, from /proc/<pid>/stat (RabbitMQ: the Erlang VM). "
      f"*Client cores* is plexus-bench's CPU seconds per second of the run: from {CLIENT_BOUND_CORES} up, the load "
      "generator, not the broker, sets the pace (marked ⚑), and broker CPU per message is the figure to compare.")
    w("")
    for protocol in protocols:
        w(f"### {PROTOCOL_TITLES[protocol]}")
        w("")
        w("| scenario | broker | msg/s | MB/s | p50 | p90 | p99 | p99.9 | max | broker CPU s | broker CPU µs/msg "
          "| client CPU s | client cores | clean runs |")
        w("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for s in [x for x in scenarios if x.protocol == protocol]:
            for b in brokers:
                m = summary(records, s.name, b)
                if m is None:
                    continue
                cores = m.get("client_cores")
                flag = " ⚑" if cores is not None and cores >= CLIENT_BOUND_CORES else ""
                w(f"| {s.title} | {title[b]} | {fmt(m.get('msg_s'))} | {fmt(m.get('mb_s'), 2)} "
                  f"| {fmt_us(m.get('p50'))} | {fmt_us(m.get('p90'))} | {fmt_us(m.get('p99'))} "
                  f"| {fmt_us(m.get('p999'))} | {fmt_us(m.get('max'))} | {fmt(m.get('broker_cpu'), 2)} "
                  f"| {fmt(m.get('broker_us_msg'), 1)} | {fmt(m.get('client_cpu'), 2)} | {fmt(cores, 2)}{flag} "
                  f"| {m['clean']}/{m['runs']} |")
        w("")

    peerless = [s for s in scenarios if not PEERS[s.protocol]]
    if "plexus" in brokers and (peerless or any(p in brokers for ps in PEERS.values() for p in ps)):
        w("## Plexus against its peers")
        w("")
        w("Ratios are Plexus / peer: above 1 is more msg/s for Plexus; below 1 is less CPU per message or lower "
          "latency for Plexus. AMQP and STOMP rows carry issues 7's and 8's targets against RabbitMQ: each "
          "throughput scenario at least 3× RabbitMQ's msg/s, or — where the load generator saturates the 2 cores "
          "first — at most ⅓ of RabbitMQ's broker CPU time per delivered message; at a fixed 1 000 msg/s, p99 at "
          "most half of RabbitMQ's.")
        w("")
        w("| protocol | scenario | peer | msg/s ratio | broker CPU per msg ratio | p50 ratio | p99 ratio | target "
          "| result |")
        w("| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |")
        for s in scenarios:
            px = summary(records, s.name, "plexus")
            if not PEERS[s.protocol]:
                if px and "msg_s" in px:
                    # The figures stand alone: what a ratio would have compared.
                    if s.kind == "throughput":
                        acked = (f", {fmt(px['confirm_rate'])} msg/s acknowledged"
                                 if px.get("confirm_rate") and "--backlog" not in s.args else "")
                        figures = (f"{fmt(px['msg_s'])} msg/s delivered{acked}, "
                                   f"{fmt(px['broker_us_msg'], 1)} µs CPU/msg")
                    else:
                        figures = f"p50 {fmt_us(px['p50'])}, p99 {fmt_us(px['p99'])}"
                    w(f"| {PROTOCOL_TITLES[s.protocol]} | {s.title} | {NO_PEER} | — | — | — | — "
                      f"| | Plexus: {figures} |")
                continue
            for peer in PEERS[s.protocol]:
                pr = summary(records, s.name, peer)
                if not px or not pr or "msg_s" not in px or "msg_s" not in pr:
                    continue
                r_rate = ratio(px["msg_s"], pr["msg_s"])
                r_cpu = ratio(px["broker_us_msg"], pr["broker_us_msg"])
                r_p50 = ratio(px["p50"], pr["p50"])
                r_p99 = ratio(px["p99"], pr["p99"])
                target, result = "", ""
                with_target = s.protocol in ("amqp", "stomp") and peer == "rabbitmq"
                if with_target and s.kind == "latency":
                    target = "p99 ≤ 0.5×"
                    floor = relay_floor_ratio(machine, s, pr)
                    if floor is not None:
                        target += f" (the machine's floor: {fmt(floor, 2)}×)"
                    result = "PASS" if r_p99 is not None and r_p99 <= 0.5 else "FAIL"
                elif with_target:
                    target = "≥ 3× msg/s, or ≤ ⅓ CPU/msg"
                    if r_rate is not None and r_rate >= 3:
                        result = "PASS (msg/s)"
                    elif r_cpu is not None and r_cpu <= 1 / 3:
                        result = "PASS (CPU/msg)"
                    else:
                        result = "FAIL"
                w(f"| {PROTOCOL_TITLES[s.protocol]} | {s.title} | {title[peer]} | {fmt(r_rate, 2)}× "
                  f"| {fmt(r_cpu, 2)}× | {fmt(r_p50, 2)}× | {fmt(r_p99, 2)}× | {target} | {result} |")
        w("")

    if machine.get("before") or machine.get("after"):
        w("## The machine's limits, measured in the same run")
        w("")
        w("| limit | before the brokers | after the brokers |")
        w("| --- | ---: | ---: |")
        b, a = machine.get("before") or {}, machine.get("after") or {}
        tool = b.get("loopback_tool") or a.get("loopback_tool") or ""
        rows = [
            (f"loopback TCP, bulk ({tool})", "loopback_gbit_s", lambda v: f"{v:.1f} Gbit/s"),
            ("loopback TCP round trip, 100 B, median (Python echo)", "loopback_rtt_us", lambda v: f"{v:.0f} µs"),
            ("zero-work relay, 100 B at 1 000 msg/s, p50 (plexus-bench --driver relay)", "relay_p50_us", fmt_us),
            ("zero-work relay, 100 B at 1 000 msg/s, p99 (plexus-bench --driver relay)", "relay_p99_us", fmt_us),
            ("zero-work relay, 1 → 4, p99 (plexus-bench --driver relay --fanout 4)", "relay_fanout4_p99_us", fmt_us),
            ("fdatasync after a 100 B append, one writer", "fdatasync_per_s", lambda v: f"{v:,.0f}/s".replace(",", " ")),
            ("dd sequential write, 1 MiB blocks, O_DIRECT", "dd_direct_mb_s", lambda v: f"{v:,.0f} MB/s".replace(",", " ")),
            ("dd sequential write, buffered + one fdatasync", "dd_fdatasync_mb_s",
             lambda v: f"{v:,.0f} MB/s".replace(",", " ")),
        ]
        for label, key, f in rows:
            cell = [f(x[key]) if x.get(key) is not None else "—" for x in (b, a)]
            w(f"| {label} | {cell[0]} | {cell[1]} |")
        w("")
        w("The disk figures are of the directory holding the brokers' data (the same filesystem).")
        w("")
        w("The zero-work relay stands where a broker would: plexus-bench's publisher, a relay thread that only "
          "copies bytes, and its subscriber, paced and timed as every broker run is. No broker's fixed-rate "
          "latency of the same shape (1 → 1, 1 → 4) can be lower on this machine; in the ratio table, \"the "
          "machine's floor\" is the relay's p99 for the row's shape (the lower of the two measurements) over the "
          "peer's, the best ratio any broker could reach in this run.")
        w("")

    if charts:
        w("## Charts")
        w("")
        for name, caption in charts:
            w(f"![{caption}]({name})")
            w("")

    w("## Samples and failures")
    w("")
    for s in scenarios:
        for b in brokers:
            m = summary(records, s.name, b)
            if m is None:
                continue
            samples = ", ".join(fmt(v) for v in m.get("samples", [])) or "none"
            p99s = ", ".join(fmt_us(v) for v in m.get("p99_samples", [])) or "none"
            w(f"- {s.name}, {title[b]}: msg/s {samples}; p99 {p99s}")
            for r in m["failed"]:
                res = r.get("result") or {}
                counts = ", ".join(f"{k} {res[k]}" for k in ("sent", "received", "lost", "duplicated", "corrupted")
                                   if k in res)
                why = (r.get("stderr") or "").strip().splitlines()
                w(f"  - repetition {r['rep']} FAILED (exit {r['exit']}): {counts}; {why[-1] if why else ''}")
    w("")
    w("Each run's JSON line is in results.jsonl beside this file; `plexus-bench --help` explains the fields.")
    w("")
    return "\n".join(out)


def charts(out_dir, scenarios, records, info):
    """Per protocol, throughput-<protocol>.png (median msg/s per scenario and broker),
    cpu-<protocol>.png (broker CPU per delivered message) and latency-<protocol>.png
    (percentiles of the fixed-rate runs), drawn with gnuplot; [] when gnuplot is not
    installed."""
    if shutil.which("gnuplot") is None:
        return []
    made = []
    for protocol in protocols_of(scenarios):
        made += _protocol_charts(out_dir, protocol, [s for s in scenarios if s.protocol == protocol], records, info)
    return made


def _protocol_charts(out_dir, protocol, scenarios, records, info):
    brokers = [b for b, v in info["brokers"].items() if protocol in v["protocols"]]
    title = {k: v["title"] for k, v in info["brokers"].items()}
    name = PROTOCOL_TITLES[protocol]
    made = []

    thr = [s for s in scenarios if s.kind == "throughput"]
    if thr and brokers:
        data = os.path.join(out_dir, f"throughput-{protocol}.dat")
        with open(data, "w") as f:
            f.write("# scenario " + " ".join(brokers) + "\n")
            for s in thr:
                vals = []
                for b in brokers:
                    m = summary(records, s.name, b) or {}
                    v = m.get("msg_s")
                    vals.append("NaN" if v is None else f"{v / 1000:.2f}")
                f.write(f"\"{s.name}\" " + " ".join(vals) + "\n")
        cols = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{title[b]}'" for i, b in enumerate(brokers))
        png = f"throughput-{protocol}.png"
        script = f"""
set terminal pngcairo size 900,500 font ",11"
set output '{os.path.join(out_dir, png)}'
set title '{name}, 100-byte messages: deliveries per second (median)'
set ylabel 'thousand msg/s'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top right
set grid ytics
set yrange [0:*]
plot {cols}
"""
        if _gnuplot(script):
            made.append((png, f"{name}: median deliveries per second per scenario"))

    # Where the load generator sets the pace, msg/s compares the client, and the broker's CPU
    # per delivered message is what compares the brokers.
    if scenarios and brokers:
        data = os.path.join(out_dir, f"cpu-{protocol}.dat")
        with open(data, "w") as f:
            f.write("# scenario " + " ".join(brokers) + "\n")
            for s in scenarios:
                vals = []
                for b in brokers:
                    v = (summary(records, s.name, b) or {}).get("broker_us_msg")
                    vals.append("NaN" if v is None else f"{v:.2f}")
                f.write(f"\"{s.name}\" " + " ".join(vals) + "\n")
        cols = ", ".join(f"'{data}' using {i + 2}:xtic(1) title '{title[b]}'" for i, b in enumerate(brokers))
        png = f"cpu-{protocol}.png"
        script = f"""
set terminal pngcairo size 1000,500 font ",11"
set output '{os.path.join(out_dir, png)}'
set title '{name}: broker CPU per delivered message (median; lower is better)'
set ylabel 'CPU microseconds per message'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key top left
set grid ytics
set yrange [0:*]
set xtics rotate by -20
plot {cols}
"""
        if _gnuplot(script):
            made.append((png, f"{name}: broker CPU per delivered message"))

    lat = [s for s in scenarios if s.kind == "latency"]
    if lat:
        data = os.path.join(out_dir, f"latency-{protocol}.dat")
        series = []
        with open(data, "w") as f:
            for s in lat:
                for b in brokers:
                    m = summary(records, s.name, b) or {}
                    if m.get("p50") is None:
                        continue
                    series.append(f"{s.name} {title[b]}")
                    f.write(f"# {s.name} {title[b]}\n")
                    for i, q in enumerate(("p50", "p90", "p99", "p999", "max")):
                        label = {"p999": "p99.9"}.get(q, q)
                        f.write(f"{i} \"{label}\" {m[q]:.1f}\n")
                    f.write("\n\n")
        if series:
            plots = ", ".join(f"'{data}' index {i} using 1:3:xtic(2) with linespoints lw 2 title '{t}'"
                              for i, t in enumerate(series))
            png = f"latency-{protocol}.png"
            script = f"""
set terminal pngcairo size 900,500 font ",11"
set output '{os.path.join(out_dir, png)}'
set title '{name} at a fixed rate: end-to-end latency percentiles (median of runs)'
set ylabel 'microseconds'
set logscale y
set grid ytics mytics
set key top left
set xrange [-0.3:4.3]
plot {plots}
"""
            if _gnuplot(script):
                made.append((png, f"{name}: latency percentiles at a fixed rate"))
    return made


def _gnuplot(script):
    try:
        r = subprocess.run(["gnuplot"], input=script, capture_output=True, text=True, timeout=60)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
