#!/usr/bin/env python3
"""bench/protocols without brokers: the report's tables from made-up runs (a protocol with a
peer gets ratios, Kafka, which has none, its own figures and "no peer"), and the listeners
plexusd is given (all on port 0, none with an advertised address). Run by ctest
(plexus_bench_harness_test) with the source tree's bench/protocols as its argument."""

import os
import re
import sys
import unittest

BENCH = sys.argv.pop(1) if len(sys.argv) > 1 else None
sys.path.insert(0, BENCH or "bench/protocols")

import brokers  # noqa: E402
import report  # noqa: E402
import run  # noqa: E402


def record(scenario, broker, rate, broker_cpu_s, p50=100.0, p99=900.0):
    received = int(rate * 10)
    return {"broker": broker, "scenario": scenario, "exit": 0, "rep": 1, "stderr": "",
            "result": {"delivery_rate": rate, "send_rate": rate, "confirm_rate": rate * 2,
                       "delivery_mb_per_s": rate * 100 / 1e6,
                       "latency_us": {"p50": p50, "p90": p50, "p99": p99, "p999": p99, "max": p99},
                       "cpu_s": {"broker": broker_cpu_s}, "client_cpu_s": 1.0, "received": received,
                       "delivery_s": 10.0}}


def info(brokers_run):
    titles = {"plexus": "Plexus", "rabbitmq": "RabbitMQ"}
    return {"started": "now", "commit": "abc", "cores": 2, "cpu": "cpu", "kernel": "6", "load_before": "0",
            "load_after": "0", "elapsed_s": 1, "reps": 1, "seconds": 10, "latency_seconds": 10, "smoke": False,
            "note": "", "skipped": {},
            "brokers": {b: {"title": titles[b], "version": "1", "protocols": ps} for b, ps in brokers_run.items()}}


def scenario(name):
    return next(s for s in run.SCENARIOS if s.name == name)


def row(text, *cells):
    """The table row whose leading cells are `cells`, or None."""
    for line in text.splitlines():
        parts = [p.strip() for p in line.strip("|").split("|")]
        if parts[:len(cells)] == list(cells):
            return parts
    return None


class report_tables(unittest.TestCase):
    def test_kafka_rows_say_no_peer_beside_amqp_ratios(self):
        scenarios = [scenario("amqp-a-transient"), scenario("kafka-produce-acks1"), scenario("kafka-latency")]
        records = [record("amqp-a-transient", "plexus", 200000, 1.0),
                   record("amqp-a-transient", "rabbitmq", 50000, 2.0),
                   record("kafka-produce-acks1", "plexus", 300000, 3.0),
                   record("kafka-latency", "plexus", 1000, 1.0, p50=5000, p99=14000)]
        text = report.markdown(scenarios, records, info({"plexus": ["amqp", "kafka"], "rabbitmq": ["amqp"]}),
                               {}, [])
        amqp = row(text, "AMQP 0-9-1", scenario("amqp-a-transient").title, "RabbitMQ")
        self.assertIsNotNone(amqp, text)
        self.assertEqual(amqp[3], "4.00×")
        self.assertEqual(amqp[8], "PASS (msg/s)")
        kafka = row(text, "Kafka", scenario("kafka-produce-acks1").title, report.NO_PEER)
        self.assertIsNotNone(kafka, text)
        self.assertEqual(kafka[3:7], ["—", "—", "—", "—"])
        self.assertEqual(kafka[8], "Plexus: 300 000 msg/s delivered, 600 000 msg/s acknowledged, 1.0 µs CPU/msg")
        latency = row(text, "Kafka", scenario("kafka-latency").title, report.NO_PEER)
        self.assertEqual(latency[8], "Plexus: p50 5.00 ms, p99 14.00 ms")
        # The per-protocol results table has the Kafka figures too.
        self.assertIn("### Kafka", text)
        self.assertIsNotNone(row(text, scenario("kafka-produce-acks1").title, "Plexus", "300 000"), text)

    def test_a_peerless_run_still_gets_its_rows(self):
        scenarios = [scenario("kafka-fetch")]
        text = report.markdown(scenarios, [record("kafka-fetch", "plexus", 250000, 0.5)],
                               info({"plexus": ["kafka"]}), {}, [])
        fetch = row(text, "Kafka", scenario("kafka-fetch").title, report.NO_PEER)
        self.assertIsNotNone(fetch, text)
        # Producing the backlog is not what the row measures.
        self.assertEqual(fetch[8], "Plexus: 250 000 msg/s delivered, 0.2 µs CPU/msg")

    def test_a_plexus_only_run_of_a_protocol_with_peers_has_no_ratio_table(self):
        scenarios = [scenario("amqp-a-transient")]
        text = report.markdown(scenarios, [record("amqp-a-transient", "plexus", 200000, 1.0)],
                               info({"plexus": ["amqp"]}), {}, [])
        self.assertNotIn("## Plexus against its peers", text)


    def test_a_latency_row_names_the_machines_floor_for_its_shape(self):
        # The relay's p99: 300 us before the brokers, 250 after; the lower one over RabbitMQ's 500.
        machine = {"before": {"relay_p50_us": 90.0, "relay_p99_us": 300.0, "relay_fanout4_p99_us": 350.0},
                   "after": {"relay_p50_us": 95.0, "relay_p99_us": 250.0, "relay_fanout4_p99_us": None}}
        scenarios = [scenario("amqp-latency-a"), scenario("amqp-latency-c")]
        records = [record("amqp-latency-a", "plexus", 1000, 0.1, p50=120, p99=260),
                   record("amqp-latency-a", "rabbitmq", 1000, 0.1, p50=150, p99=500),
                   record("amqp-latency-c", "plexus", 1000, 0.1, p50=120, p99=400),
                   record("amqp-latency-c", "rabbitmq", 1000, 0.1, p50=150, p99=500)]
        text = report.markdown(scenarios, records, info({"plexus": ["amqp"], "rabbitmq": ["amqp"]}), machine, [])
        one = row(text, "AMQP 0-9-1", scenario("amqp-latency-a").title, "RabbitMQ")
        self.assertEqual(one[6:9], ["0.52×", "p99 ≤ 0.5× (the machine's floor: 0.50×)", "FAIL"])
        # The 1 -> 4 row gets the 1 -> 4 floor, from the one measurement that has it.
        fanout = row(text, "AMQP 0-9-1", scenario("amqp-latency-c").title, "RabbitMQ")
        self.assertEqual(fanout[7], "p99 ≤ 0.5× (the machine's floor: 0.70×)")
        self.assertIsNotNone(row(text, "zero-work relay, 100 B at 1 000 msg/s, p99 (plexus-bench --driver relay)",
                                 "300 µs", "250 µs"), text)


class plexus_listeners(unittest.TestCase):
    def test_every_listener_binds_port_0_and_kafka_advertises_what_clients_connect_to(self):
        for protocol in brokers.plexus_broker.GATEWAYS:
            line = brokers.plexus_broker.listener(protocol)
            self.assertEqual(re.findall(r"port: (\d+)", line), ["0"], line)
            self.assertNotIn("advertised", line)


if __name__ == "__main__":
    unittest.main()
