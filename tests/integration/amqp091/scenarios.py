#!/usr/bin/python3
"""AMQP 0-9-1 scenarios against a running plexusd, driven by amqp091_integration_test.

Usage: scenarios.py PORT SCENARIO...

Each scenario uses pika (Debian's python3-pika; run with /usr/bin/python3) the way an
application would, asserts what it observes, prints "ok <scenario>" and exits 0; the first
failed check raises and the exit code is 1. Waits are bounded by deadlines, never open-ended.
Scenarios may run in any order on one broker: every one uses its own queue and exchange names.
"""

import datetime
import decimal
import os
import socket
import struct
import sys
import time

import pika
import pika.exceptions
from pika import frame, spec

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import DEADLINE, scenario, check, amqp_connection, ports_and_names, run  # noqa: E402


def pump_until(conn, done, deadline=DEADLINE):
    """Processes I/O until done() holds; fails after the deadline."""
    until = time.monotonic() + deadline
    while not done():
        if time.monotonic() > until:
            raise AssertionError("timed out waiting")
        conn.process_data_events(time_limit=0.02)


def pump_for(conn, seconds):
    """Processes I/O for a while: to see that something does NOT arrive."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        conn.process_data_events(time_limit=0.02)


def expect_channel_closed(code, text, action):
    try:
        action()
    except pika.exceptions.ChannelClosedByBroker as e:
        check(e.reply_code == code, f"expected {code}, got {e.reply_code} {e.reply_text}")
        check(text in e.reply_text, f"expected '{text}' in '{e.reply_text}'")
        return
    raise AssertionError(f"expected the channel to close with {code}")


# ---- messages ------------------------------------------------------------------------------


@scenario
def roundtrip(port):
    """Every basic property and every header type comes back as published, through a topic
    exchange; a body larger than frame-max is split and reassembled both ways."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.exchange_declare("rt-x", "topic")
    q = ch.queue_declare("", exclusive=True).method.queue
    check(q.startswith("amq.gen-"), f"server-named queue {q}")
    ch.queue_bind(q, "rt-x", "orders.*")
    headers = {
        "str": "v",
        "int": 42,
        "big": 2**40,
        "neg": -7,
        "bool": True,
        "bytes": b"\x00\xff",
        "list": [1, "two", {"three": 3}],
        "table": {"k": "v", "n": 1},
        "none": None,
        "dec": decimal.Decimal("1.25"),
        "ts": datetime.datetime(2024, 1, 2, 3, 4, 5),  # pika gives timestamps back naive (UTC)
    }
    props = pika.BasicProperties(
        content_type="application/json",
        content_encoding="utf-8",
        headers=headers,
        delivery_mode=2,
        priority=5,
        correlation_id="corr-1",
        reply_to="replies",
        expiration="60000",
        message_id="msg-1",
        timestamp=1700000000,
        type="order.created",
        user_id="guest",
        app_id="billing",
    )
    bodies = [b'{"order": 1}', bytes(range(256)) * 1200]  # the second spans three frames
    got = []
    ch.basic_consume(q, lambda _c, m, p, b: got.append((m, p, b)), auto_ack=True)
    for body in bodies:
        ch.basic_publish("rt-x", "orders.eu", body, props)
    ch.basic_publish("rt-x", "invoices.eu", b"not bound")
    pump_until(c, lambda: len(got) >= 2)
    for (m, p, b), body in zip(got, bodies):
        check(b == body, f"body of {len(b)} bytes, expected {len(body)}")
        check(m.exchange == "rt-x" and m.routing_key == "orders.eu", f"routing {m.exchange} {m.routing_key}")
        for attr in ("content_type", "content_encoding", "delivery_mode", "priority", "correlation_id",
                     "reply_to", "expiration", "message_id", "timestamp", "type", "user_id", "app_id"):
            check(getattr(p, attr) == getattr(props, attr), f"{attr}: {getattr(p, attr)!r}")
        check(p.headers == headers, f"headers {p.headers!r}")
    pump_for(c, 0.1)
    check(len(got) == 2, "the unbound routing key was delivered")
    c.close()


@scenario
def confirms(port):
    """Blocking publishes with confirms: every persistent message on a durable queue is acked."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("confirm-q", durable=True)
    ch.queue_purge("confirm-q")
    ch.confirm_delivery()
    for i in range(50):
        ch.basic_publish("", "confirm-q", b"p%d" % i, pika.BasicProperties(delivery_mode=2))
    check(ch.queue_declare("confirm-q", passive=True).method.message_count == 50, "50 messages stored")
    c.close()


@scenario
def confirms_async(port):
    """SelectConnection, a burst of 300 confirmed publishes, half of them persistent: each
    sequence number is confirmed exactly once, and contiguous ones come as multiple acks. (A
    multiple ack covers every unconfirmed tag up to it, so a broker may confirm transient
    messages before older persistent ones, as RabbitMQ does.)"""
    total = 300
    confirmed = []
    state = {}

    def on_open(conn):
        conn.channel(on_open_callback=on_channel)

    def on_channel(ch):
        state["ch"] = ch
        ch.confirm_delivery(ack_nack_callback=on_confirm, callback=lambda _f: declared(ch))

    def declared(ch):
        ch.queue_declare("confirm-async-q", durable=True, callback=lambda _f: publish(ch))

    def publish(ch):
        for i in range(total):
            ch.basic_publish("", "confirm-async-q", b"x%d" % i, pika.BasicProperties(delivery_mode=2 if i % 2 else 1))

    def on_confirm(f):
        m = f.method
        check(isinstance(m, spec.Basic.Ack), f"nack {m}")
        confirmed.append((m.delivery_tag, m.multiple))
        if m.delivery_tag == total:
            conn.close()

    conn = pika.SelectConnection(
        pika.ConnectionParameters("127.0.0.1", port),
        on_open_callback=on_open,
        on_close_callback=lambda *_: conn.ioloop.stop(),
    )
    conn.ioloop.call_later(DEADLINE, conn.ioloop.stop)
    conn.ioloop.start()
    check(confirmed and confirmed[-1][0] == total, f"confirmed up to {confirmed[-1] if confirmed else None}")
    outstanding = set(range(1, total + 1))
    for tag, multiple in confirmed:
        if multiple:
            covered = {t for t in outstanding if t <= tag}
            check(covered, f"a multiple ack {tag} that confirms nothing new")
            outstanding -= covered
        else:
            check(tag in outstanding, f"tag {tag} confirmed twice or never published")
            outstanding.discard(tag)
    check(not outstanding, f"never confirmed: {sorted(outstanding)[:10]}")
    check(any(m for _, m in confirmed), "no multiple acks")


@scenario
def acks(port):
    """nack with requeue redelivers with the redelivered flag; reject without requeue drops;
    multiple acks settle everything up to the tag; a consumer's connection dying requeues."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("acks-q")
    ch.queue_purge("acks-q")
    for body in (b"a", b"b", b"c"):
        ch.basic_publish("", "acks-q", body)
    got = []
    tag = ch.basic_consume("acks-q", lambda _c, m, p, b: got.append((m, b)))
    pump_until(c, lambda: len(got) >= 3)
    check([b for _, b in got] == [b"a", b"b", b"c"], f"order {got}")
    check(not any(m.redelivered for m, _ in got), "first deliveries are not redelivered")
    ch.basic_nack(got[0][0].delivery_tag, requeue=True)
    pump_until(c, lambda: len(got) >= 4)
    m, b = got[3]
    check(b == b"a" and m.redelivered, f"redelivery {b} {m.redelivered}")
    ch.basic_reject(got[1][0].delivery_tag, requeue=False)
    ch.basic_ack(m.delivery_tag, multiple=True)  # settles c and the redelivered a
    ch.basic_cancel(tag)
    check(ch.queue_declare("acks-q", passive=True).method.message_count == 0, "all settled")

    # A consumer whose connection dies: its unacked message goes to the next consumer.
    ch.basic_publish("", "acks-q", b"orphan")
    other = amqp_connection(port)
    och = other.channel()
    seen = []
    och.basic_consume("acks-q", lambda _c, m, p, b: seen.append(m))
    pump_until(other, lambda: seen)
    other.close()
    again = []
    ch.basic_consume("acks-q", lambda _c, m, p, b: again.append((m, b)))
    pump_until(c, lambda: again)
    check(again[0][1] == b"orphan" and again[0][0].redelivered, "redelivered after the consumer died")
    ch.basic_ack(again[0][0].delivery_tag)
    c.close()


@scenario
def ttl(port):
    """x-message-ttl and per-message expiration: expired messages are never delivered, and
    the smaller TTL wins; an expired message is dead-lettered with x-death as RabbitMQ writes it."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("ttl-dead")
    ch.queue_purge("ttl-dead")
    ch.queue_declare("ttl-q", arguments={"x-message-ttl": 200, "x-dead-letter-exchange": "",
                                         "x-dead-letter-routing-key": "ttl-dead"})
    ch.queue_purge("ttl-q")
    ch.basic_publish("", "ttl-q", b"short", pika.BasicProperties(expiration="50", headers={"h": 1}))
    ch.basic_publish("", "ttl-q", b"queue-ttl")
    time.sleep(0.1)
    m, _, b = ch.basic_get("ttl-q", auto_ack=True)
    check(b == b"queue-ttl", f"the 50 ms message expired first, got {b}")
    ch.basic_publish("", "ttl-q", b"nobody-reads")
    time.sleep(0.4)
    check(ch.queue_declare("ttl-q", passive=True).method.message_count == 0, "expired without a reader")
    dead = []
    for _ in range(2):
        m, p, b = ch.basic_get("ttl-dead", auto_ack=True)
        check(m is not None, "both expired messages were dead-lettered")
        dead.append((p, b))
    check([b for _, b in dead] == [b"short", b"nobody-reads"], f"dead-letter order {dead}")
    p, _ = dead[0]
    check(p.expiration is None, "the per-message TTL is removed when dead-lettered")
    check(p.headers["h"] == 1, "publisher headers survive")
    check(p.headers["x-first-death-reason"] == "expired", f"x-first-death-reason {p.headers}")
    check(p.headers["x-first-death-queue"] == "ttl-q", "x-first-death-queue")
    death = p.headers["x-death"]
    check(isinstance(death, list) and len(death) == 1, f"x-death {death}")
    d = death[0]
    check(d["queue"] == "ttl-q" and d["reason"] == "expired" and d["count"] == 1, f"x-death entry {d}")
    check(d["exchange"] == "" and d["routing-keys"] == ["ttl-q"], f"x-death route {d}")
    check(d["original-expiration"] == "50", f"original-expiration {d}")
    check(isinstance(d["time"], datetime.datetime), f"time is a timestamp {d['time']!r}")
    c.close()


@scenario
def dead_letters(port):
    """basic.reject and basic.nack without requeue dead-letter to x-dead-letter-exchange with
    x-dead-letter-routing-key; a message rejected twice from one queue counts 2 in x-death."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.exchange_declare("dlx-ex", "direct")
    ch.queue_declare("dlx-dead")
    ch.queue_purge("dlx-dead")
    ch.queue_bind("dlx-dead", "dlx-ex", "failed")
    ch.queue_declare("dlx-work", arguments={"x-dead-letter-exchange": "dlx-ex",
                                            "x-dead-letter-routing-key": "failed"})
    ch.queue_purge("dlx-work")
    ch.basic_publish("", "dlx-work", b"job")
    m, _, _ = ch.basic_get("dlx-work")
    ch.basic_reject(m.delivery_tag, requeue=False)
    m, p, b = None, None, None
    until = time.monotonic() + DEADLINE
    while m is None and time.monotonic() < until:
        m, p, b = ch.basic_get("dlx-dead")
    check(b == b"job", "the rejected message reached the dead-letter queue")
    check(m.exchange == "dlx-ex" and m.routing_key == "failed", f"dead-lettered via {m.exchange} {m.routing_key}")
    check(p.headers["x-death"][0]["reason"] == "rejected", f"x-death {p.headers}")
    # Back to work by hand (as a retry tool would), rejected again: the same entry counts 2.
    ch.basic_publish("", "dlx-work", b, pika.BasicProperties(headers=p.headers))
    ch.basic_ack(m.delivery_tag)
    got = []
    tag = ch.basic_consume("dlx-work", lambda _c, m, p, b: got.append(m))
    pump_until(c, lambda: got)
    ch.basic_nack(got[0].delivery_tag, requeue=False)
    ch.basic_cancel(tag)
    m = None
    until = time.monotonic() + DEADLINE
    while m is None and time.monotonic() < until:
        m, p, b = ch.basic_get("dlx-dead", auto_ack=True)
    check(m is not None, "dead-lettered again")
    deaths = p.headers["x-death"]
    check(len(deaths) == 1 and deaths[0]["count"] == 2, f"one entry counted twice: {deaths}")
    c.close()


@scenario
def max_length(port):
    """x-max-length with drop-head (the oldest go, dead-lettered as maxlen), reject-publish
    (confirms nack what does not fit) and x-max-length-bytes."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("maxlen-dead")
    ch.queue_purge("maxlen-dead")
    ch.queue_declare("maxlen-head", arguments={"x-max-length": 2, "x-dead-letter-exchange": "",
                                               "x-dead-letter-routing-key": "maxlen-dead"})
    ch.queue_purge("maxlen-head")
    for body in (b"1", b"2", b"3", b"4"):
        ch.basic_publish("", "maxlen-head", body)
    time.sleep(0.1)
    check(ch.queue_declare("maxlen-head", passive=True).method.message_count == 2, "two kept")
    kept = [ch.basic_get("maxlen-head", auto_ack=True)[2] for _ in range(2)]
    check(kept == [b"3", b"4"], f"the newest are kept: {kept}")
    m, p, b = ch.basic_get("maxlen-dead", auto_ack=True)
    check(b == b"1" and p.headers["x-death"][0]["reason"] == "maxlen", f"dropped head dead-lettered {b}")

    ch.queue_declare("maxlen-reject", arguments={"x-max-length": 1, "x-overflow": "reject-publish"})
    ch.queue_purge("maxlen-reject")
    ch.confirm_delivery()
    ch.basic_publish("", "maxlen-reject", b"fits")
    try:
        ch.basic_publish("", "maxlen-reject", b"does-not")
        raise AssertionError("a publish to a full reject-publish queue was confirmed")
    except pika.exceptions.NackError:
        pass
    check(ch.queue_declare("maxlen-reject", passive=True).method.message_count == 1, "still one")

    ch.queue_declare("maxlen-bytes", arguments={"x-max-length-bytes": 10})
    ch.queue_purge("maxlen-bytes")
    ch.basic_publish("", "maxlen-bytes", b"123456")
    ch.basic_publish("", "maxlen-bytes", b"abcdef")
    time.sleep(0.1)
    m, _, b = ch.basic_get("maxlen-bytes", auto_ack=True)
    check(b == b"abcdef" and m.message_count == 0, f"12 bytes > 10: the first went, got {b}")
    c.close()


@scenario
def queue_arguments(port):
    """Invalid arguments and inequivalent redeclares close the channel with 406, naming the
    argument as RabbitMQ does; x-expires deletes a queue nobody uses."""
    c = amqp_connection(port)
    ch = c.channel()
    expect_channel_closed(406, "invalid arg 'x-message-ttl' for queue 'args-bad'",
                          lambda: ch.queue_declare("args-bad", arguments={"x-message-ttl": -5}))
    ch = c.channel()
    expect_channel_closed(406, "invalid arg 'x-overflow'",
                          lambda: ch.queue_declare("args-bad", arguments={"x-overflow": "sideways"}))
    ch = c.channel()
    ch.queue_declare("args-q", arguments={"x-max-length": 5})
    expect_channel_closed(406, "inequivalent arg 'x-max-length' for queue 'args-q' in vhost '/'",
                          lambda: ch.queue_declare("args-q", arguments={"x-max-length": 6}))
    ch = c.channel()
    ch.queue_delete("args-q")
    ch.queue_declare("args-expiring", arguments={"x-expires": 300})
    time.sleep(0.6)
    expect_channel_closed(404, "args-expiring", lambda: ch.queue_declare("args-expiring", passive=True))
    c.close()


@scenario
def priorities(port):
    """x-max-priority: a backlog goes out highest priority first, FIFO within one priority,
    to a consumer with prefetch 1 (so each delivery is chosen among everything waiting)."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("prio-q", arguments={"x-max-priority": 10})
    ch.queue_purge("prio-q")
    ch.confirm_delivery()
    for n, priority in enumerate((1, 5, 9, 0, 5)):
        ch.basic_publish("", "prio-q", b"m%d-p%d" % (n, priority),
                         pika.BasicProperties(priority=priority))
    check(ch.queue_declare("prio-q", passive=True).method.message_count == 5, "five waiting")
    ch.basic_qos(prefetch_count=1)
    got = []

    def on_message(_c, m, p, b):
        got.append((p.priority or 0, b))  # priority 0 is not sent back (docs/protocols/amqp091.md)
        ch.basic_ack(m.delivery_tag)

    ch.basic_consume("prio-q", on_message)
    pump_until(c, lambda: len(got) >= 5)
    check([p for p, _ in got] == [9, 5, 5, 1, 0], f"priority order: {got}")
    check([b for p, b in got if p == 5] == [b"m1-p5", b"m4-p5"], f"the 5s in publish order: {got}")
    c.close()


@scenario
def prefetch(port):
    """basic.qos prefetch_count bounds the unacked deliveries of a consumer."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("prefetch-q")
    ch.queue_purge("prefetch-q")
    for i in range(10):
        ch.basic_publish("", "prefetch-q", b"m%d" % i)
    ch.basic_qos(prefetch_count=3)
    got = []
    ch.basic_consume("prefetch-q", lambda _c, m, p, b: got.append(m))
    pump_until(c, lambda: len(got) >= 3)
    pump_for(c, 0.3)
    check(len(got) == 3, f"{len(got)} deliveries with prefetch 3")
    ch.basic_ack(got[0].delivery_tag)
    pump_until(c, lambda: len(got) >= 4)
    pump_for(c, 0.2)
    check(len(got) == 4, f"{len(got)} deliveries after one ack")
    ch.basic_ack(got[-1].delivery_tag, multiple=True)
    pump_until(c, lambda: len(got) >= 7)
    pump_for(c, 0.2)
    check(len(got) == 7, f"{len(got)} deliveries after a multiple ack")
    c.close()


@scenario
def global_prefetch(port):
    """basic.qos global=true: one window shared by every consumer of the channel, beside the
    per-consumer window; a cancelled consumer's share goes back to its queue."""
    c = amqp_connection(port)
    ch = c.channel()
    for q in ("gqos-a", "gqos-b", "gqos-c", "gqos-d"):
        ch.queue_declare(q)
        ch.queue_purge(q)
    for i in range(4):
        ch.basic_publish("", "gqos-a", b"a%d" % i)
        ch.basic_publish("", "gqos-b", b"b%d" % i)
    ch.basic_qos(prefetch_count=2)  # per consumer
    ch.basic_qos(prefetch_count=3, global_qos=True)  # the channel's consumers together
    got = {"a": [], "b": []}
    ch.basic_consume("gqos-a", lambda _c, m, p, b: got["a"].append((m, b)))
    ch.basic_consume("gqos-b", lambda _c, m, p, b: got["b"].append((m, b)))
    total = lambda: len(got["a"]) + len(got["b"])  # noqa: E731
    pump_until(c, lambda: total() >= 3)
    pump_for(c, 0.3)
    check(total() == 3, f"{total()} deliveries with a shared window of 3")
    check(len(got["a"]) <= 2 and len(got["b"]) <= 2, f"per-consumer window of 2: {got}")
    first, _ = (got["a"] or got["b"])[0]
    ch.basic_ack(first.delivery_tag)
    pump_until(c, lambda: total() >= 4)
    pump_for(c, 0.3)
    check(total() == 4, f"{total()} deliveries after one ack")
    ch.basic_ack(0, multiple=True)
    pump_until(c, lambda: total() >= 7)
    pump_for(c, 0.3)
    check(total() == 7, f"{total()} deliveries after acking all")
    ch.basic_ack(0, multiple=True)
    pump_until(c, lambda: total() == 8)
    check([b for _, b in got["a"]] == [b"a0", b"a1", b"a2", b"a3"], f"queue order: {got['a']}")

    # A window of 1 over two queues: one consumer is served, the other waits; cancelling the
    # waiting one leaves its queue's messages ready for others.
    ch2 = c.channel()
    for i in range(2):
        ch2.basic_publish("", "gqos-c", b"c%d" % i)
        ch2.basic_publish("", "gqos-d", b"d%d" % i)
    ch2.basic_qos(prefetch_count=1, global_qos=True)
    seen = []
    ch2.basic_consume("gqos-c", lambda _c, m, p, b: seen.append(b), consumer_tag="gqos-c-tag")
    ch2.basic_consume("gqos-d", lambda _c, m, p, b: seen.append(b), consumer_tag="gqos-d-tag")
    pump_until(c, lambda: len(seen) >= 1)
    pump_for(c, 0.3)
    check(len(seen) == 1, f"{len(seen)} deliveries with a shared window of 1")
    idle = "gqos-d-tag" if seen[0].startswith(b"c") else "gqos-c-tag"
    idle_queue = idle[: -len("-tag")]
    ch2.basic_cancel(idle)
    until = time.monotonic() + DEADLINE
    while ch2.queue_declare(idle_queue, passive=True).method.message_count != 2:
        check(time.monotonic() < until, f"{idle_queue} did not get its messages back")
        pump_for(c, 0.05)
    check(len(seen) == 1, f"nothing more delivered while the window is full: {seen}")
    c.close()


@scenario
def consumer_priorities(port):
    """x-priority: a higher-priority consumer gets messages while it has room; the others get
    what it has no room for."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("cprio-q")
    ch.queue_purge("cprio-q")
    ch.basic_qos(prefetch_count=2)
    high, low = [], []
    ch.basic_consume("cprio-q", lambda _c, m, p, b: low.append(b))
    ch.basic_consume("cprio-q", lambda _c, m, p, b: high.append(m), arguments={"x-priority": 5})
    for i in range(5):
        ch.basic_publish("", "cprio-q", b"m%d" % i)
    pump_until(c, lambda: len(high) + len(low) == 4)
    pump_for(c, 0.2)
    check(len(high) == 2 and len(low) == 2, f"high {len(high)} low {len(low)}: each holds its window of 2")
    ch.basic_ack(high[-1].delivery_tag, multiple=True)
    pump_until(c, lambda: len(high) == 3)
    check(len(low) == 2, "the freed room goes to the high-priority consumer")
    c.close()


@scenario
def get(port):
    """basic.get: get-empty, get-ok with the remaining count, ack and auto-ack."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("get-q")
    ch.queue_purge("get-q")
    check(ch.basic_get("get-q") == (None, None, None), "get-empty on an empty queue")
    ch.basic_publish("", "get-q", b"one", pika.BasicProperties(message_id="1"))
    ch.basic_publish("", "get-q", b"two")
    m, p, b = ch.basic_get("get-q")
    check(b == b"one" and p.message_id == "1" and m.message_count == 1, f"get-ok {b} {m.message_count}")
    ch.basic_ack(m.delivery_tag)
    m, p, b = ch.basic_get("get-q", auto_ack=True)
    check(b == b"two" and m.message_count == 0, f"second get {b} {m.message_count}")
    check(ch.basic_get("get-q") == (None, None, None), "empty again")
    c.close()


@scenario
def mandatory(port):
    """A mandatory publish nothing routes comes back as basic.return 312 NO_ROUTE."""
    c = amqp_connection(port)
    ch = c.channel()
    returned = []
    ch.add_on_return_callback(lambda _c, m, p, b: returned.append((m, p, b)))
    ch.queue_declare("mandatory-q")
    ch.queue_purge("mandatory-q")
    ch.basic_publish("amq.direct", "no-such-key", b"bounce", pika.BasicProperties(message_id="r1"), mandatory=True)
    ch.basic_publish("", "mandatory-q", b"routed", mandatory=True)
    pump_until(c, lambda: returned)
    pump_for(c, 0.1)
    check(len(returned) == 1, f"{len(returned)} returns")
    m, p, b = returned[0]
    check(m.reply_code == 312 and m.reply_text == "NO_ROUTE", f"return {m.reply_code} {m.reply_text}")
    check(m.exchange == "amq.direct" and m.routing_key == "no-such-key" and b == b"bounce", "returned content")
    check(p.message_id == "r1", "returned properties")
    check(ch.basic_get("mandatory-q", auto_ack=True)[2] == b"routed", "the routed one arrived")
    # With confirms, an unroutable mandatory publish is returned and then acked.
    ch.confirm_delivery()
    try:
        ch.basic_publish("amq.direct", "no-such-key", b"bounce", mandatory=True)
        raise AssertionError("no UnroutableError")
    except pika.exceptions.UnroutableError as e:
        check(e.messages[0].method.reply_code == 312, "returned before the ack")
    c.close()


@scenario
def channel_errors(port):
    """Channel errors close only the channel, with the cause in the reply text; the
    connection and its other channels go on."""
    c = amqp_connection(port)
    keep = c.channel()
    keep.queue_declare("errors-q")
    expect_channel_closed(404, "no queue 'missing-q' in vhost '/'",
                          lambda: c.channel().queue_declare("missing-q", passive=True))
    expect_channel_closed(406, "inequivalent arg 'durable' for queue 'errors-q'",
                          lambda: c.channel().queue_declare("errors-q", durable=True))
    ch = c.channel()
    expect_channel_closed(404, "no exchange 'no-such-x' in vhost '/'",
                          lambda: (ch.basic_publish("no-such-x", "k", b"x"), ch.queue_declare("errors-q")))
    ch = c.channel()
    expect_channel_closed(406, "unknown delivery tag 99", lambda: (ch.basic_ack(99), ch.queue_declare("errors-q")))
    expect_channel_closed(403, "reserved prefix 'amq.*'", lambda: c.channel().exchange_declare("amq.custom", "direct"))
    expect_channel_closed(403, "default exchange", lambda: c.channel().queue_bind("errors-q", ""))
    ch = c.channel()
    ch.basic_publish("", "errors-q", b"x")
    expect_channel_closed(406, "not empty", lambda: ch.queue_delete("errors-q", if_empty=True))
    check(c.is_open, "the connection survived")
    keep.basic_publish("", "errors-q", b"still working")
    # Publishes are asynchronous: a broker may count the message a moment later.
    until = time.monotonic() + DEADLINE
    while keep.queue_declare("errors-q", passive=True).method.message_count != 2:
        check(time.monotonic() < until, "the first channel still works")
        time.sleep(0.01)
    keep.queue_delete("errors-q")
    keep.queue_delete("errors-q")  # deleting a missing queue succeeds, as in RabbitMQ
    c.close()


@scenario
def exclusive(port):
    """An exclusive queue is locked (405) for other connections and goes with its owner."""
    owner = amqp_connection(port)
    och = owner.channel()
    och.queue_declare("excl-q", exclusive=True)
    other = amqp_connection(port)
    expect_channel_closed(405, "exclusive", lambda: other.channel().queue_declare("excl-q"))
    expect_channel_closed(405, "exclusive", lambda: other.channel().basic_consume("excl-q", lambda *a: None))
    expect_channel_closed(405, "exclusive", lambda: other.channel().queue_purge("excl-q"))
    expect_channel_closed(405, "exclusive", lambda: other.channel().queue_delete("excl-q"))
    och.basic_publish("", "excl-q", b"mine")
    check(och.basic_get("excl-q", auto_ack=True)[2] == b"mine", "the owner uses it")
    owner.close()
    until = time.monotonic() + DEADLINE
    while True:
        try:
            other.channel().queue_declare("excl-q", passive=True)
        except pika.exceptions.ChannelClosedByBroker as e:
            check(e.reply_code == 404, f"after the owner left: {e.reply_code}")
            break
        check(time.monotonic() < until, "the exclusive queue outlived its connection")
        time.sleep(0.02)
    other.close()


@scenario
def broker_cancel(port):
    """Deleting a queue cancels its consumers with a server-sent basic.cancel."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("cancel-q")
    cancelled = []
    ch.add_on_cancel_callback(lambda f: cancelled.append(f.method.consumer_tag))
    tag = ch.basic_consume("cancel-q", lambda *a: None)
    c.channel().queue_delete("cancel-q")
    pump_until(c, lambda: cancelled)
    check(cancelled == [tag], f"cancelled {cancelled}")
    c.close()


@scenario
def definitions(port):
    """Exchanges of every built-in type, bindings and unbindings, purge and passive declares."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.exchange_declare("defs-fanout", "fanout", auto_delete=False)
    ch.exchange_declare("defs-fanout", "fanout", passive=True)
    ch.exchange_declare("amq.topic", "topic", durable=True)  # redeclaring a built-in is fine
    q1 = ch.queue_declare("", exclusive=True).method.queue
    q2 = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q1, "defs-fanout")
    ch.queue_bind(q2, "defs-fanout")
    ch.basic_publish("defs-fanout", "", b"to both")
    check(ch.basic_get(q1, auto_ack=True)[2] == b"to both", "fanout to q1")
    check(ch.basic_get(q2, auto_ack=True)[2] == b"to both", "fanout to q2")
    ch.queue_unbind(q2, "defs-fanout")
    ch.basic_publish("defs-fanout", "", b"to one")
    check(ch.basic_get(q1, auto_ack=True)[2] == b"to one", "still bound")
    check(ch.basic_get(q2) == (None, None, None), "unbound")
    ch.exchange_declare("defs-headers", "headers")
    ch.queue_bind(q2, "defs-headers", arguments={"x-match": "all", "kind": "invoice", "n": 7})
    ch.basic_publish("defs-headers", "", b"match", pika.BasicProperties(headers={"kind": "invoice", "n": 7}))
    ch.basic_publish("defs-headers", "", b"miss", pika.BasicProperties(headers={"kind": "order", "n": 7}))
    check(ch.basic_get(q2, auto_ack=True)[2] == b"match", "headers exchange match")
    check(ch.basic_get(q2) == (None, None, None), "headers exchange miss")
    for i in range(3):
        ch.basic_publish("", q1, b"p")
    check(ch.queue_purge(q1).method.message_count == 3, "purge count")
    ch.exchange_delete("defs-fanout")
    expect_channel_closed(404, "no exchange 'defs-fanout'",
                          lambda: c.channel().exchange_declare("defs-fanout", "fanout", passive=True))
    c.close()


@scenario
def exchange_routing(port):
    """exchange.bind routes on through the bound exchange (exchange.unbind stops it), an
    alternate-exchange takes what its exchange cannot route, and a publish to an internal
    exchange closes the channel with 403."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.exchange_declare("e2e-front", "topic")
    ch.exchange_declare("e2e-orders", "direct")
    ch.queue_declare("e2e-q")
    ch.queue_purge("e2e-q")
    ch.queue_bind("e2e-q", "e2e-orders", "eu.new")
    ch.exchange_bind(destination="e2e-orders", source="e2e-front", routing_key="eu.*")
    ch.basic_publish("e2e-front", "eu.new", b"via two exchanges")
    m, _, b = None, None, None
    until = time.monotonic() + DEADLINE
    while m is None and time.monotonic() < until:
        m, _, b = ch.basic_get("e2e-q", auto_ack=True)
    check(b == b"via two exchanges" and m.exchange == "e2e-front", f"routed through {m and m.exchange}")
    ch.exchange_unbind(destination="e2e-orders", source="e2e-front", routing_key="eu.*")
    ch.basic_publish("e2e-front", "eu.new", b"not any more")
    time.sleep(0.1)
    check(ch.basic_get("e2e-q") == (None, None, None), "unbound: nothing arrives")

    ch.exchange_declare("ae-unrouted", "fanout")
    ch.queue_declare("ae-q")
    ch.queue_purge("ae-q")
    ch.queue_bind("ae-q", "ae-unrouted")
    ch.exchange_declare("ae-main", "direct", arguments={"alternate-exchange": "ae-unrouted"})
    ch.confirm_delivery()
    ch.basic_publish("ae-main", "no-binding", b"to the alternate", mandatory=True)  # routed: no return
    m, _, b = ch.basic_get("ae-q", auto_ack=True)
    check(b == b"to the alternate", f"alternate exchange got {b}")

    ch.exchange_declare("e2e-internal", "fanout", internal=True)
    expect_channel_closed(403, "cannot publish to internal exchange 'e2e-internal'",
                          lambda: (ch.basic_publish("e2e-internal", "", b"x"), c.process_data_events(0.2)))
    c.close()


@scenario
def delayed_messages(port):
    """An x-delayed-message exchange (x-delayed-type direct) holds a message with x-delay for
    that long, then routes it; x-delay comes back negated, as the RabbitMQ plugin sends it."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.exchange_declare("delayed-x", "x-delayed-message", arguments={"x-delayed-type": "direct"})
    ch.queue_declare("delayed-q")
    ch.queue_purge("delayed-q")
    ch.queue_bind("delayed-q", "delayed-x", "k")
    ch.confirm_delivery()
    sent = time.monotonic()
    ch.basic_publish("delayed-x", "k", b"in 500 ms", pika.BasicProperties(headers={"x-delay": 500}))
    ch.basic_publish("delayed-x", "k", b"now", pika.BasicProperties(headers={"x-delay": 0}))
    got = []
    ch.basic_consume("delayed-q", lambda _c, m, p, b: got.append((time.monotonic() - sent, p, b)), auto_ack=True)
    pump_until(c, lambda: len(got) >= 2)
    check(got[0][2] == b"now", f"the undelayed message first: {got[0][2]}")
    elapsed, p, b = got[1]
    check(b == b"in 500 ms" and elapsed >= 0.5, f"released after {elapsed:.3f} s")
    check(p.headers["x-delay"] == -500, f"x-delay on delivery {p.headers}")
    ch = c.channel()
    expect_channel_closed(406, "x-delayed-type", lambda: ch.exchange_declare("delayed-bad", "x-delayed-message"))
    c.close()


@scenario
def stream(port):
    """x-queue-type: stream declares a stream; consumers read it from x-stream-offset."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("events-stream", durable=True, arguments={"x-queue-type": "stream"})
    # Through an exchange: the kernel binds queues, not streams, to the default exchange.
    ch.queue_bind("events-stream", "amq.direct", "events")
    for i in range(5):
        ch.basic_publish("amq.direct", "events", b"e%d" % i)
    ch.basic_qos(prefetch_count=10)
    got = []
    ch.basic_consume("events-stream", lambda _c, m, p, b: (got.append(b), _c.basic_ack(m.delivery_tag)),
                     arguments={"x-stream-offset": "first"})
    pump_until(c, lambda: len(got) >= 5)
    check(got[:5] == [b"e%d" % i for i in range(5)], f"stream read {got}")
    c.close()


@scenario
def transactions(port):
    """tx.select: publishes and acks take effect at commit, and not at all after rollback."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("tx-q")
    ch.queue_purge("tx-q")
    ch.tx_select()
    ch.basic_publish("", "tx-q", b"rolled back")
    ch.tx_rollback()
    ch.basic_publish("", "tx-q", b"committed", pika.BasicProperties(delivery_mode=2))
    check(c.channel().queue_declare("tx-q", passive=True).method.message_count == 0, "visible before commit")
    ch.tx_commit()
    check(c.channel().queue_declare("tx-q", passive=True).method.message_count == 1, "one message after commit")
    m, p, b = ch.basic_get("tx-q")
    check(b == b"committed", f"got {b}")
    ch.basic_ack(m.delivery_tag)
    ch.tx_rollback()  # the ack is undone: closing the channel requeues the message
    ch.close()
    check(c.channel().queue_declare("tx-q", passive=True).method.message_count == 1, "the rolled-back ack stuck")
    ch = c.channel()
    ch.tx_select()
    m, p, b = ch.basic_get("tx-q")
    check(b == b"committed" and m.redelivered, "requeued after the rollback")
    ch.basic_ack(m.delivery_tag)
    ch.tx_commit()
    ch.close()
    check(c.channel().queue_declare("tx-q", passive=True).method.message_count == 0, "acked by the commit")
    c.close()


@scenario
def persist_before(port):
    """First half of the restart test: a confirmed persistent message on a durable queue, and
    one on a transient queue."""
    c = amqp_connection(port)
    ch = c.channel()
    ch.queue_declare("durable-q", durable=True)
    ch.queue_declare("transient-q")
    ch.confirm_delivery()
    ch.basic_publish("", "durable-q", b"survivor", pika.BasicProperties(delivery_mode=2, message_id="keep-me",
                                                                        headers={"k": "v"}))
    ch.basic_publish("", "transient-q", b"gone", pika.BasicProperties(delivery_mode=2))
    c.close()


@scenario
def persist_after(port):
    """Second half: after plexusd restarted on its data dir, the persistent message is back."""
    c = amqp_connection(port)
    ch = c.channel()
    m, p, b = ch.basic_get("durable-q", auto_ack=True)
    check(b == b"survivor", f"after restart: {b}")
    check(p.delivery_mode == 2 and p.message_id == "keep-me" and p.headers == {"k": "v"}, f"properties {p}")
    expect_channel_closed(404, "no queue 'transient-q'", lambda: c.channel().queue_declare("transient-q", passive=True))
    c.close()


# ---- malformed input on a raw socket -------------------------------------------------------


class raw_client:
    """A socket speaking AMQP frames through pika's own marshalling, so a test can send a
    deliberately broken frame after a correct handshake."""

    def __init__(self, port, handshake=True):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""
        if handshake:
            self.sock.sendall(b"AMQP\x00\x00\x09\x01")
            self.expect(spec.Connection.Start)
            self.send(0, spec.Connection.StartOk(client_properties={}, mechanism="PLAIN",
                                                 response="\0guest\0guest", locale="en_US"))
            tune = self.expect(spec.Connection.Tune)
            self.send(0, spec.Connection.TuneOk(tune.channel_max, tune.frame_max, 0))
            self.send(0, spec.Connection.Open("/"))
            self.expect(spec.Connection.OpenOk)
            self.send(1, spec.Channel.Open())
            self.expect(spec.Channel.OpenOk)

    def send(self, channel, method):
        self.sock.sendall(frame.Method(channel, method).marshal())

    def next_frame(self):
        while True:
            consumed, f = frame.decode_frame(self.buf)
            if f is not None:
                self.buf = self.buf[consumed:]
                return f
            data = self.sock.recv(65536)
            check(data, "the server closed the socket before sending a frame")
            self.buf += data

    def expect(self, method_type):
        while True:
            f = self.next_frame()
            if isinstance(f, frame.Method):
                check(isinstance(f.method, method_type), f"expected {method_type.NAME}, got {f.method.NAME}")
                return f.method

    def closed_by_server(self):
        """True once the server has closed the socket (EOF) within the deadline."""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except (ConnectionResetError, socket.timeout):
            return False


def method_frame_bytes(channel, method):
    return frame.Method(channel, method).marshal()


def malformed(port, send_bad, code, close_ok=False):
    witness = amqp_connection(port)
    wch = witness.channel()
    wch.queue_declare("witness-q")
    raw = raw_client(port)
    send_bad(raw)
    close = raw.expect(spec.Connection.Close)
    check(close.reply_code == code, f"closed with {close.reply_code} {close.reply_text}, expected {code}")
    if close_ok:
        raw.send(0, spec.Connection.CloseOk())
    check(raw.closed_by_server(), "the socket stayed open")
    wch.basic_publish("", "witness-q", b"unaffected")
    check(wch.basic_get("witness-q", auto_ack=True)[2] == b"unaffected", "the other connection works")
    witness.close()
    return close


@scenario
def malformed_end_octet(port):
    good = method_frame_bytes(1, spec.Basic.Qos(prefetch_count=1))
    close = malformed(port, lambda r: r.sock.sendall(good[:-1] + b"\x00"), 501)
    check("end octet" in close.reply_text, close.reply_text)


@scenario
def malformed_oversized(port):
    # Only a header announcing 16 MiB: refused before any of it is sent.
    malformed(port, lambda r: r.sock.sendall(struct.pack(">BHI", 3, 1, 16 << 20)), 501)


@scenario
def malformed_unknown_method(port):
    payload = struct.pack(">HH", 60, 999)
    bad = struct.pack(">BHI", 1, 1, len(payload)) + payload + b"\xce"
    malformed(port, lambda r: r.sock.sendall(bad), 503, close_ok=True)


@scenario
def malformed_header_without_publish(port):
    header = frame.Header(1, 3, spec.BasicProperties()).marshal()
    malformed(port, lambda r: r.sock.sendall(header), 505, close_ok=True)


@scenario
def malformed_closed_channel(port):
    malformed(port, lambda r: r.send(5, spec.Basic.Qos(prefetch_count=1)), 504, close_ok=True)


@scenario
def malformed_bad_table(port):
    declare = method_frame_bytes(1, spec.Queue.Declare(queue="bad-table", arguments={"x-bad": 1}))
    at = declare.index(b"x-bad") + 5
    bad = declare[:at] + b"Q" + declare[at + 1:]
    malformed(port, lambda r: r.sock.sendall(bad), 502, close_ok=True)


@scenario
def wrong_protocol_header(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    s.sendall(b"AMQP\x01\x01\x00\x09")
    got = b""
    while True:
        data = s.recv(64)
        if not data:
            break
        got += data
    check(got == b"AMQP\x00\x00\x09\x01", f"answered {got!r}")


@scenario
def heartbeats(port):
    """A client asking for 1 s heartbeats stays connected through 3 idle seconds."""
    c = amqp_connection(port, heartbeat=1)
    pump_for(c, 3.0)
    check(c.is_open, "closed while heartbeating")
    c.channel().queue_declare("", exclusive=True)
    c.close()


@scenario
def blocked(port):
    """Under the disk alarm (the test sets an impossible free-space limit) a publishing client
    hears connection.blocked, and its confirmed publishes are nacked, not lost silently."""
    c = amqp_connection(port)
    reasons = []
    c.add_on_connection_blocked_callback(lambda _c, f: reasons.append(f.method.reason))
    ch = c.channel()
    ch.queue_declare("alarm-q")
    ch.confirm_delivery()
    try:
        ch.basic_publish("", "alarm-q", b"refused")
        raise AssertionError("a publish under the disk alarm was confirmed")
    except pika.exceptions.NackError:
        pass
    pump_until(c, lambda: reasons)
    check(reasons == ["low on disk"], f"blocked {reasons}")
    c.close()


@scenario
def follow_queue_shard(port):
    """Publishers that only publish move to the shard of the queue they feed (plexusd logs
    each move; the test counts them): every message still arrives once, in each publisher's
    order, and each connection goes on working after its move (confirms, a passive declare,
    heartbeats). A connection that also consumes stays where it is."""
    consumer = amqp_connection(port)
    cch = consumer.channel()
    cch.queue_declare("follow-q")
    got = []
    cch.basic_consume("follow-q", lambda ch, m, p, body: got.append(body.decode()), auto_ack=True)
    per_publisher = 300
    publishers = []
    for n in range(12):  # on the queue's shard or the other one, as the OS spreads them
        c = amqp_connection(port, heartbeat=2)
        ch = c.channel()
        if n % 2 == 0:
            ch.confirm_delivery()
        publishers.append((n, c, ch))
    for i in range(per_publisher):
        for n, _c, ch in publishers:
            ch.basic_publish("", "follow-q", f"{n}:{i}".encode())
    for n, c, ch in publishers:
        c.process_data_events(time_limit=0.05)  # heartbeats, answers of the moved ones
        ch.queue_declare("follow-q", passive=True)  # a synchronous method after the move
        ch.basic_publish("", "follow-q", f"{n}:{per_publisher}".encode())
    total = len(publishers) * (per_publisher + 1)
    pump_until(consumer, lambda: len(got) >= total)
    pump_for(consumer, 0.2)
    check(len(got) == total, f"{len(got)} messages for {total} published")
    for n, _c, _ch in publishers:
        mine = [int(b.split(":")[1]) for b in got if b.split(":")[0] == str(n)]
        check(mine == list(range(per_publisher + 1)), f"publisher {n} arrived out of order or lost some")
    # A publisher that also consumes keeps its consumer's shard.
    mixed = amqp_connection(port)
    mch = mixed.channel()
    mch.queue_declare("follow-own", exclusive=True)
    own = []
    mch.basic_consume("follow-own", lambda ch, m, p, body: own.append(body), auto_ack=True)
    for i in range(200):
        mch.basic_publish("", "follow-q", b"mixed")
    mch.basic_publish("", "follow-own", b"own")
    pump_until(mixed, lambda: own == [b"own"])
    pump_until(consumer, lambda: len(got) >= total + 200)
    pump_for(mixed, 1.5)  # past a heartbeat interval of the moved publishers
    for _n, c, _ch in publishers:
        c.process_data_events(time_limit=0.05)
        check(c.is_open, "a moved publisher was closed")
        c.close()
    mixed.close()
    consumer.close()


def main():
    (port,), names = ports_and_names(sys.argv, 1)
    run(names, port)


if __name__ == "__main__":
    main()
