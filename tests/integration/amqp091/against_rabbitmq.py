#!/usr/bin/python3
"""Runs the semantic scenarios of scenarios.py against a private RabbitMQ, so that what the
Plexus suite asserts is checked against the broker whose behaviour it copies.

Usage: against_rabbitmq.py [SCENARIO...]   (default: every scenario that both brokers share)

Needs Debian's rabbitmq-server (not part of the test command: install it with apt). The node
is the benchmark's private one (bench/protocols/brokers.py: own node name, free loopback
ports, a data dir under /tmp), stopped at the end. Prints one line per scenario and exits 1
when any failed.
"""

import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "bench", "protocols"))
import brokers  # noqa: E402

# Every scenario but those that need plexusd itself: a restart on its data dir, its disk
# alarm setting, and the malformed-input cases whose close codes are Plexus's documented
# choices (docs/protocols/amqp091.md).
SHARED = [
    "roundtrip", "confirms", "confirms_async", "acks", "ttl", "dead_letters", "max_length",
    "queue_arguments", "prefetch", "global_prefetch", "get", "mandatory", "channel_errors", "exclusive",
    "broker_cancel", "definitions", "exchange_routing", "stream", "transactions", "heartbeats", "priorities",
    "consumer_priorities",
]


def main():
    names = sys.argv[1:] or SHARED
    why = brokers.rabbitmq_broker.available()
    if why:
        print(f"against_rabbitmq: {why}")
        return 2
    rabbit = brokers.rabbitmq_broker(tempfile.mkdtemp(prefix="plexus-rabbitmq-semantics-"), ["amqp"])
    rabbit.start()
    failed = []
    try:
        print(f"RabbitMQ {rabbit.version()} on 127.0.0.1:{rabbit.ports['amqp']}")
        for name in names:
            r = subprocess.run(["/usr/bin/python3", os.path.join(here, "scenarios.py"), str(rabbit.ports['amqp']), name],
                               capture_output=True, text=True, timeout=120)
            last = (r.stderr.strip().splitlines() or [""])[-1]
            print(f"{'ok  ' if r.returncode == 0 else 'FAIL'} {name} {'' if r.returncode == 0 else last}")
            if r.returncode != 0:
                failed.append(name)
    finally:
        rabbit.stop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
