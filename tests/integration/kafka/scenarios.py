#!/usr/bin/python3
"""Kafka scenarios against a running plexusd, driven by kafka_integration_test.

Usage: scenarios.py KAFKA_PORT AMQP_PORT SCENARIO...

Each scenario uses kafka-python (Debian's python3-kafka), pika or a raw socket the way an
application would, asserts what it observes, prints "ok <scenario>" and exits 0; the first
failed check raises and the exit code is 1. Waits are bounded by deadlines. Scenarios may run
in any order on one broker: each uses its own topic names.
"""

import os
import select
import socket
import struct
import sys
import threading
import time

import kafka
import pika
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import (DEADLINE, scenario, check, eventually, amqp_connection, ports_and_names,  # noqa: E402
                              recv_exactly, run)


def producer(port, **kw):
    return KafkaProducer(bootstrap_servers=f"127.0.0.1:{port}", **kw)


def consumer(port, **kw):
    return KafkaConsumer(bootstrap_servers=f"127.0.0.1:{port}", group_id=None, enable_auto_commit=False,
                         consumer_timeout_ms=200, **kw)


def consume(c, n, deadline=DEADLINE):
    """The first n records the assigned consumer sees; fails after the deadline."""
    got, until = [], time.monotonic() + deadline
    while len(got) < n:
        check(time.monotonic() < until, f"timed out with {len(got)} of {n} records")
        for batch in c.poll(timeout_ms=100).values():
            got.extend(batch)
    return got


def read_from_start(port, topic, partitions, n):
    c = consumer(port)
    tps = [TopicPartition(topic, p) for p in partitions]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    got = consume(c, n)
    c.close()
    return got


def read_to_end(port, topic, partition):
    """Every record of a partition from its start to its end offset as it is now."""
    c = consumer(port)
    tp = TopicPartition(topic, partition)
    c.assign([tp])
    c.seek_to_beginning(tp)
    end = c.end_offsets([tp])[tp]
    got, until = [], time.monotonic() + DEADLINE
    while c.position(tp) < end:
        check(time.monotonic() < until, f"timed out at offset {c.position(tp)} of {end}")
        for batch in c.poll(timeout_ms=100).values():
            got.extend(batch)
    c.close()
    return got


@scenario
def roundtrip(kport, aport):
    """Keys, values, headers and timestamps survive a produce and a fetch; the topic is auto-created."""
    p = producer(kport, acks=1)
    sent = []
    for i in range(5):
        md = p.send("rt-topic", key=b"k%d" % i, value=b"v%d" % i, headers=[("h", b"x%d" % i), ("e", b"")],
                    timestamp_ms=1700000000000 + i, partition=0).get(timeout=DEADLINE)
        sent.append(md.offset)
    p.close()
    check(sent == list(range(5)), f"offsets {sent}")
    got = read_from_start(kport, "rt-topic", [0], 5)
    check([r.key for r in got] == [b"k%d" % i for i in range(5)], f"keys {[r.key for r in got]}")
    check([r.value for r in got] == [b"v%d" % i for i in range(5)], "values")
    check([r.offset for r in got] == list(range(5)), "offsets read")
    check([r.timestamp for r in got] == [1700000000000 + i for i in range(5)], f"timestamps {[r.timestamp for r in got]}")
    check(got[2].headers == [("h", b"x2"), ("e", b"")], f"headers {got[2].headers}")


@scenario
def large_request(kport, aport):
    """A 20 MiB record (a Produce request larger than the kernel's 16 MiB bound on unconsumed
    input, within max_request_bytes) is stored and fetched back whole."""
    big = os.urandom(20 << 20)
    p = producer(kport, acks=1, max_request_size=24 << 20, buffer_memory=64 << 20)
    md = p.send("large-topic", value=big, partition=0).get(timeout=DEADLINE)
    p.close()
    check(md.offset == 0, f"offset {md.offset}")
    c = consumer(kport, fetch_max_bytes=64 << 20, max_partition_fetch_bytes=64 << 20)
    tp = TopicPartition("large-topic", 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = consume(c, 1)
    c.close()
    check(len(got[0].value) == len(big) and got[0].value == big, f"{len(got[0].value)} bytes came back")


@scenario
def acks_all(kport, aport):
    """acks=all is answered once the records are durable, with their offsets."""
    p = producer(kport, acks="all", linger_ms=5)
    futures = [p.send("acks-all", value=b"d%d" % i, partition=0) for i in range(20)]
    offsets = [f.get(timeout=DEADLINE).offset for f in futures]
    p.close()
    check(offsets == list(range(20)), f"offsets {offsets}")
    check(len(read_from_start(kport, "acks-all", [0], 20)) == 20, "all 20 read back")


@scenario
def partitions(kport, aport):
    """Auto-created with default_partitions 3; records of one key stay in one partition, in order."""
    c = consumer(kport)
    parts = None
    until = time.monotonic() + DEADLINE
    p = producer(kport, acks=1)
    for i in range(60):
        p.send("keyed", key=b"key-%d" % (i % 6), value=b"%d" % i)
    p.flush(timeout=DEADLINE)
    parts = p.partitions_for("keyed")
    p.close()
    check(parts == {0, 1, 2}, f"partitions {parts}")
    got = read_from_start(kport, "keyed", [0, 1, 2], 60)
    by_key, where = {}, {}
    for r in got:
        by_key.setdefault(r.key, []).append(int(r.value))
        where.setdefault(r.key, set()).add(r.partition)
    check(all(len(s) == 1 for s in where.values()), f"a key in several partitions: {where}")
    check(len({next(iter(s)) for s in where.values()}) > 1, "every key in one partition")
    for k, values in by_key.items():
        check(values == sorted(values) and len(values) == 10, f"order of {k}: {values}")
    c.close()


@scenario
def list_offsets(kport, aport):
    """Earliest, latest and by-timestamp offsets."""
    p = producer(kport, acks=1)
    for i in range(4):
        p.send("offsets-topic", value=b"o%d" % i, timestamp_ms=1600000000000 + 1000 * i, partition=0)
    p.flush(timeout=DEADLINE)
    p.close()
    c = consumer(kport)
    tp = TopicPartition("offsets-topic", 0)
    check(c.beginning_offsets([tp])[tp] == 0, "earliest")
    check(c.end_offsets([tp])[tp] == 4, "latest")
    found = c.offsets_for_times({tp: 1600000001500})[tp]
    check(found is not None and found.offset == 2 and found.timestamp == 1600000002000, f"by timestamp {found}")
    check(c.offsets_for_times({tp: 1700000000000})[tp] is None, "after the last record: none")
    c.close()


def raw_connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    return s


def request(api_key, version, correlation, body, client=b"raw"):
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def read_response(s):
    what = "connection closed while reading a response"
    (size,) = struct.unpack(">i", recv_exactly(s, 4, what))
    return recv_exactly(s, size, what)


def fetch_v4(topic, partition, offset, max_wait_ms, correlation=7, client=b"raw"):
    """Fetch v4 (classic encoding): replica -1, max wait, min bytes 1, one partition."""
    name = topic.encode()
    body = struct.pack(">iiiib", -1, max_wait_ms, 1, 1 << 20, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">i", 1) + struct.pack(">iqi", partition, offset, 1 << 20)
    return request(1, 4, correlation, body, client)


def fetch_records_bytes(response):
    """The size of the first partition's records in a Fetch v4 response."""
    pos = 4 + 4  # correlation id, throttle time
    pos += 4  # topic count
    (n,) = struct.unpack_from(">h", response, pos)
    pos += 2 + n + 4  # name, partition count
    pos += 4 + 2 + 8 + 8  # index, error, high watermark, last stable offset
    (aborted,) = struct.unpack_from(">i", response, pos)
    pos += 4 + max(aborted, 0) * 16
    (size,) = struct.unpack_from(">i", response, pos)
    return size


@scenario
def long_poll(kport, aport):
    """A Fetch with nothing to return waits max_wait_ms; a record produced meanwhile ends the wait."""
    p = producer(kport, acks=1)
    p.send("poll-topic", value=b"first", partition=0).get(timeout=DEADLINE)
    s = raw_connect(kport)
    start = time.monotonic()
    s.sendall(fetch_v4("poll-topic", 0, 1, 600))
    empty = read_response(s)
    waited = time.monotonic() - start
    check(fetch_records_bytes(empty) <= 0, "records where there were none")
    check(0.5 <= waited < 3.0, f"an empty fetch returned after {waited:.2f} s, not after max_wait_ms")
    timer = threading.Timer(0.3, lambda: p.send("poll-topic", value=b"second", partition=0).get(timeout=DEADLINE))
    start = time.monotonic()
    timer.start()
    s.sendall(fetch_v4("poll-topic", 0, 1, 8000))
    full = read_response(s)
    waited = time.monotonic() - start
    timer.join()
    check(fetch_records_bytes(full) > 0, "no records after the produce")
    check(waited < 4.0, f"the fetch waited {waited:.2f} s after a record arrived")
    s.close()
    p.close()


def fetch_v4_many(topic, partitions, max_wait_ms, correlation=8):
    """Fetch v4 of several partitions of one topic; partitions are (index, offset)."""
    name = topic.encode()
    body = struct.pack(">iiiib", -1, max_wait_ms, 1, 1 << 20, 0)
    body += struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">i", len(partitions))
    for index, offset in partitions:
        body += struct.pack(">iqi", index, offset, 1 << 20)
    return request(1, 4, correlation, body)


def fetch_v4_partitions(response):
    """{partition index: (error code, records bytes)} of a Fetch v4 response's first topic."""
    pos = 4 + 4 + 4  # correlation id, throttle time, topic count
    (n,) = struct.unpack_from(">h", response, pos)
    pos += 2 + n
    (count,) = struct.unpack_from(">i", response, pos)
    pos += 4
    out = {}
    for _ in range(count):
        index, error = struct.unpack_from(">ih", response, pos)
        pos += 4 + 2 + 8 + 8  # index, error, high watermark, last stable offset
        (aborted,) = struct.unpack_from(">i", response, pos)
        pos += 4 + max(aborted, 0) * 16
        (size,) = struct.unpack_from(">i", response, pos)
        pos += 4 + max(size, 0)
        out[index] = (error, size)
    return out


@scenario
def long_poll_wakeups(kport, aport):
    """A Fetch waiting on several partitions is answered by a record produced to any one of
    them, and a Fetch waiting on a topic that is deleted is answered with the error, both long
    before their max wait."""
    from kafka.admin import KafkaAdminClient
    p = producer(kport, acks=1)
    p.send("wake-topic", value=b"first", partition=0).get(timeout=DEADLINE)  # 3 partitions
    s = raw_connect(kport)
    timer = threading.Timer(0.3, lambda: p.send("wake-topic", value=b"late", partition=2).get(timeout=DEADLINE))
    start = time.monotonic()
    timer.start()
    s.sendall(fetch_v4_many("wake-topic", [(0, 1), (1, 0), (2, 0)], 20000))
    parts = fetch_v4_partitions(read_response(s))
    waited = time.monotonic() - start
    timer.join()
    check(waited < 10.0, f"a record on partition 2 left the fetch waiting {waited:.2f} s")
    check(parts.get(2, (None, 0))[0] == 0 and parts[2][1] > 0, f"partition 2's record is missing: {parts}")
    check(parts.get(0, (None, 1))[1] <= 0 and parts.get(1, (None, 1))[1] <= 0, f"records where there were none: {parts}")

    p.send("doomed-topic", value=b"only", partition=0).get(timeout=DEADLINE)
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    timer = threading.Timer(0.3, lambda: admin.delete_topics(["doomed-topic"]))
    start = time.monotonic()
    timer.start()
    s.sendall(fetch_v4_many("doomed-topic", [(0, 1)], 20000, correlation=9))
    parts = fetch_v4_partitions(read_response(s))
    waited = time.monotonic() - start
    timer.join()
    check(waited < 10.0, f"the deletion left the fetch waiting {waited:.2f} s")
    check(parts.get(0, (0, 0))[0] == 3, f"not UNKNOWN_TOPIC_OR_PARTITION after the deletion: {parts}")
    admin.close()
    s.close()
    p.close()


FETCHES = 24  # about 24 MiB of responses: more than loopback's socket buffers hold


@scenario
def slow_reader(kport, aport):
    """Fetches of about 1 MiB each, sent back to back by a client that reads nothing until it
    has sent them all: the gateway holds what arrives while its responses are not read
    (the outbound queue above its high watermark) and handles it once they are, so every
    response arrives, whole and in order. The topic "slow-reader" holds 4 MB (kcat made it)."""
    s = raw_connect(kport)
    # One at a time, so that later ones arrive after the earlier responses filled the socket
    # buffers (a few MB on loopback) and the broker's queue behind them.
    for c in range(FETCHES):
        s.sendall(fetch_v4("slow-reader", 0, 0, 100, correlation=c))
        time.sleep(0.02)
    for c in range(FETCHES):
        r = read_response(s)
        (corr,) = struct.unpack_from(">i", r, 0)
        check(corr == c, f"response {c} has correlation id {corr}")
        check(fetch_records_bytes(r) > 512 << 10, f"response {c} holds {fetch_records_bytes(r)} bytes of records")
    s.close()


@scenario
def pushed_back(kport, aport):
    """A client that keeps sending Fetch requests and reads none of the responses is slowed
    down by TCP, not disconnected: once its responses back up, the gateway holds its requests
    and the broker stops reading its socket, so the client's sends block long before the
    broker would have held 16 MiB of requests (where it closes the connection). Reading again,
    the client gets every response, in order. Requests carry a 30 kB client id, so that a few
    hundred fill the socket buffers; the topic "slow-reader" holds 4 MB (kcat made it)."""
    s = raw_connect(kport)
    client = b"c" * 30000
    s.setblocking(False)
    sent = 0          # requests sent whole
    pending = b""     # the rest of the one being sent
    total = 0
    blocked = False
    while total < (64 << 20):
        if not pending:
            pending = fetch_v4("slow-reader", 0, 39, 0, correlation=sent, client=client)
        try:
            n = s.send(pending)
        except BlockingIOError:
            # Full for now; pushed back only when the broker takes nothing for a second.
            if not select.select([], [s], [], 1.0)[1]:
                blocked = True
                break
            continue
        total += n
        pending = pending[n:]
        if not pending:
            sent += 1
    check(blocked, f"the broker read {total} bytes of requests from a client that read no responses")
    check(total < (16 << 20) + (12 << 20), f"{total} bytes were taken before the client was pushed back")
    s.setblocking(True)
    s.settimeout(DEADLINE)
    for c in range(sent):
        r = read_response(s)
        (corr,) = struct.unpack_from(">i", r, 0)
        check(corr == c, f"response {c} has correlation id {corr}")
        check(fetch_records_bytes(r) > 0, f"response {c} holds no records")
    s.sendall(pending)
    r = read_response(s)
    check(struct.unpack_from(">i", r, 0)[0] == sent, "the last request's response is not last")
    s.close()


def expect_closed(s):
    s.settimeout(DEADLINE)
    try:
        data = s.recv(4096)
    except ConnectionResetError:
        data = b""
    check(data == b"", f"the connection stayed open and sent {data!r}")
    s.close()


@scenario
def malformed(kport, aport):
    """Bad size, truncated request, unknown API key and oversized request each close their own
    connection; a producer connected before keeps working."""
    p = producer(kport, acks=1)
    p.send("survivor", value=b"before", partition=0).get(timeout=DEADLINE)
    s = raw_connect(kport)
    s.sendall(struct.pack(">i", -5))
    expect_closed(s)
    s = raw_connect(kport)
    s.sendall(struct.pack(">i", 3) + b"abc")
    expect_closed(s)
    s = raw_connect(kport)  # a Metadata v1 whose topic array claims more than there is
    s.sendall(request(3, 1, 1, struct.pack(">i", 5) + b"\x00"))
    expect_closed(s)
    s = raw_connect(kport)
    s.sendall(request(999, 0, 1, b""))
    expect_closed(s)
    s = raw_connect(kport)  # 200 MiB announced: refused before the body is sent
    s.sendall(struct.pack(">i", 200 << 20) + b"\x00" * 16)
    expect_closed(s)
    s = raw_connect(kport)  # an unsupported Produce version
    s.sendall(request(0, 1, 1, b""))
    expect_closed(s)
    p.send("survivor", value=b"after", partition=0).get(timeout=DEADLINE)
    p.close()
    got = read_from_start(kport, "survivor", [0], 2)
    check([r.value for r in got] == [b"before", b"after"], "the other client's records")


@scenario
def kafka_to_amqp(kport, aport):
    """Records produced through Kafka are read by an AMQP stream consumer (x-stream-offset)."""
    p = producer(kport, acks=1)
    for i in range(3):
        p.send("k2a", key=b"key%d" % i, value=b"from-kafka-%d" % i, headers=[("origin", b"kafka")], partition=0)
    p.flush(timeout=DEADLINE)
    p.close()
    c = amqp_connection(aport)
    ch = c.channel()
    ch.queue_declare("k2a", durable=True, arguments={"x-queue-type": "stream"})
    ch.basic_qos(prefetch_count=10)
    got = []
    ch.basic_consume("k2a", lambda _c, m, props, b: (got.append((b, props)), _c.basic_ack(m.delivery_tag)),
                     arguments={"x-stream-offset": "first"})
    until = time.monotonic() + DEADLINE
    while len(got) < 3:
        check(time.monotonic() < until, f"AMQP got {len(got)} of 3")
        c.process_data_events(time_limit=0.05)
    check([b for b, _ in got] == [b"from-kafka-%d" % i for i in range(3)], f"bodies {[b for b, _ in got]}")
    headers = got[0][1].headers or {}
    check(headers.get("origin") in ("kafka", b"kafka"), f"headers {headers}")
    c.close()


@scenario
def amqp_to_kafka(kport, aport):
    """Messages published through AMQP to a stream are fetched by a Kafka consumer."""
    c = amqp_connection(aport)
    ch = c.channel()
    ch.queue_declare("a2k", durable=True, arguments={"x-queue-type": "stream"})
    ch.queue_bind("a2k", "amq.direct", "a2k")
    ch.confirm_delivery()
    for i in range(3):
        ch.basic_publish("amq.direct", "a2k", b"from-amqp-%d" % i,
                         pika.BasicProperties(headers={"origin": "amqp", "n": i}))
    c.close()
    got = read_from_start(kport, "a2k", [0], 3)
    check([r.value for r in got] == [b"from-amqp-%d" % i for i in range(3)], f"values {[r.value for r in got]}")
    headers = dict(got[1].headers)
    check(headers.get("origin") == b"amqp", f"headers {got[1].headers}")
    check(headers.get("n") == b"1", f"headers {got[1].headers}")


def group_consumer(port, group, *topics, **kw):
    return KafkaConsumer(*topics, bootstrap_servers=f"127.0.0.1:{port}", group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, session_timeout_ms=6000, heartbeat_interval_ms=200, **kw)


def poll_values(c, n, deadline=DEADLINE):
    got, until = [], time.monotonic() + deadline
    while len(got) < n:
        check(time.monotonic() < until, f"timed out with {len(got)} of {n} records")
        for batch in c.poll(timeout_ms=100).values():
            got.extend(r.value for r in batch)
    return got


@scenario
def group_commits(kport, aport):
    """A group member reads, commits, and the next member of the group goes on from the commit."""
    p = producer(kport, acks=1)
    for i in range(10):
        p.send("grouped", value=b"g%d" % i, partition=0)
    p.flush(timeout=DEADLINE)
    c = group_consumer(kport, "readers", "grouped")
    first = poll_values(c, 10)
    check(first == [b"g%d" % i for i in range(10)], f"first read {first}")
    c.commit()
    tp = TopicPartition("grouped", 0)
    check(c.committed(tp) == 10, f"committed {c.committed(tp)}")
    c.close()
    for i in range(10, 13):
        p.send("grouped", value=b"g%d" % i, partition=0)
    p.flush(timeout=DEADLINE)
    p.close()
    c = group_consumer(kport, "readers", "grouped")
    rest = poll_values(c, 3)
    check(rest == [b"g10", b"g11", b"g12"], f"after the commit {rest}")
    c.close()


def assigned(c):
    return {tp.partition for tp in c.assignment()}


class polling:
    """Polls a consumer on a thread of its own, as an application's consumer loop would: a
    member blocked in a rebalance must not keep the other members from rejoining."""

    def __init__(self, c):
        self.c, self.stop, self.parts = c, False, set()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while not self.stop:
            self.c.poll(timeout_ms=50)
            self.parts = assigned(self.c)

    def close(self):
        self.stop = True
        self.thread.join()
        self.c.close()  # LeaveGroup


@scenario
def group_rebalance(kport, aport):
    """Two members share a three-partition topic; when one leaves the other gets every partition."""
    p = producer(kport, acks=1)
    p.send("shared", value=b"x").get(timeout=DEADLINE)  # auto-creates it with 3 partitions
    p.close()
    a = polling(group_consumer(kport, "sharing", "shared"))
    eventually(lambda: a.parts == {0, 1, 2}, lambda: f"a alone: {a.parts}", interval=0.02)
    b = polling(group_consumer(kport, "sharing", "shared"))
    eventually(lambda: a.parts and b.parts and a.parts | b.parts == {0, 1, 2} and not a.parts & b.parts,
               lambda: f"a and b sharing: {a.parts} {b.parts}", interval=0.02)
    from kafka.admin import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    check(("sharing", "consumer") in admin.list_consumer_groups(), f"groups {admin.list_consumer_groups()}")
    (described,) = admin.describe_consumer_groups(["sharing"])
    check(described.state == "Stable" and len(described.members) == 2, f"described {described}")
    check(all(m.client_host.startswith("127.0.0.1") for m in described.members), f"members {described.members}")
    admin.close()
    b.close()
    eventually(lambda: a.parts == {0, 1, 2}, lambda: f"a alone again: {a.parts}", interval=0.02)
    a.close()


def join_group_v0(group, member, topic):
    """JoinGroup v0 for the consumer protocol with the range assignor."""
    meta = struct.pack(">h", 0) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">i", 0)
    body = struct.pack(">h", len(group)) + group.encode() + struct.pack(">i", 1000)
    body += struct.pack(">h", len(member)) + member.encode() + struct.pack(">h", 8) + b"consumer"
    body += struct.pack(">i", 1) + struct.pack(">h", 5) + b"range" + struct.pack(">i", len(meta)) + meta
    return request(11, 0, 21, body)


@scenario
def group_session_timeout(kport, aport):
    """A member that vanishes without LeaveGroup is expired after its session timeout, and the
    rebalance completes without it."""
    p = producer(kport, acks=1)
    p.send("lonely", value=b"only", partition=0).get(timeout=DEADLINE)
    p.close()
    s = raw_connect(kport)
    s.sendall(join_group_v0("expiring", "", "lonely"))
    joined = read_response(s)
    (corr, error, generation) = struct.unpack_from(">ihi", joined)
    check(corr == 21 and error == 0 and generation == 1, f"raw join: error {error} generation {generation}")
    s.close()  # gone: no heartbeats, no LeaveGroup; its session timeout is 1 s
    c = group_consumer(kport, "expiring", "lonely")
    start = time.monotonic()
    got = poll_values(c, 1)
    check(got == [b"only"], f"read {got}")
    check(time.monotonic() - start < 8, "the rebalance waited for more than the dead member's session")
    c.close()


def expect_error(error_type, action):
    try:
        action()
    except error_type:
        return
    raise AssertionError(f"no {error_type.__name__}")


@scenario
def admin_topics(kport, aport):
    """The admin client creates a topic with partitions and retention, is refused what a single
    broker cannot do, lists and deletes topics."""
    from kafka.admin import KafkaAdminClient, NewTopic
    from kafka import errors
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    admin.create_topics([NewTopic("admin-made", 4, 1, topic_configs={"retention.ms": "3600000"})])
    p = producer(kport, acks=1)
    check(p.partitions_for("admin-made") == {0, 1, 2, 3}, f"partitions {p.partitions_for('admin-made')}")
    p.send("admin-made", value=b"kept", partition=3).get(timeout=DEADLINE)
    p.close()
    expect_error(errors.TopicAlreadyExistsError, lambda: admin.create_topics([NewTopic("admin-made", 1, 1)]))
    expect_error(errors.InvalidReplicationFactorError, lambda: admin.create_topics([NewTopic("admin-r3", 1, 3)]))
    admin.create_topics([NewTopic("admin-compact", 1, 1, topic_configs={"cleanup.policy": "compact"})])
    check(topic_configs(admin, "admin-compact")["cleanup.policy"] == "compact", "a compacted topic")
    expect_error(errors.InvalidConfigurationError, lambda: admin.create_topics(
        [NewTopic("admin-shredded", 1, 1, topic_configs={"cleanup.policy": "shred"})]))
    check("admin-made" in admin.list_topics(), f"listed {admin.list_topics()}")
    check("admin-r3" not in admin.list_topics(), "a refused topic was created")
    admin.delete_topics(["admin-made"])
    check("admin-made" not in admin.list_topics(), f"still listed after delete: {admin.list_topics()}")
    expect_error(errors.UnknownTopicOrPartitionError, lambda: admin.delete_topics(["admin-made"]))
    admin.close()


SASL_USER, SASL_PASSWORD = "alice", "wonderland"  # the users[] entry of the SASL test's broker


def sasl(password=SASL_PASSWORD):
    return dict(security_protocol="SASL_PLAINTEXT", sasl_mechanism="PLAIN", sasl_plain_username=SASL_USER,
                sasl_plain_password=password)


def string16(text):
    data = text.encode()
    return struct.pack(">h", len(data)) + data


def sasl_handshake(version, mechanism, correlation):
    return request(17, version, correlation, string16(mechanism))


def metadata_v1_no_topics(correlation):
    return request(3, 1, correlation, struct.pack(">i", 0))


@scenario
def sasl_plain(kport, aport):
    """With sasl required, a broker user produces and consumes over SASL_PLAINTEXT with PLAIN; a
    wrong password, an unknown mechanism and a client that does not log in are each refused on
    their own connection, and the logged-in clients go on."""
    p = producer(kport, acks=1, **sasl())
    p.send("sasl-topic", value=b"first", partition=0).get(timeout=DEADLINE)
    c = consumer(kport, **sasl())
    tp = TopicPartition("sasl-topic", 0)
    c.assign([tp])
    c.seek_to_beginning(tp)
    got = [r.value for r in consume(c, 1)]
    check(got == [b"first"], f"read {got}")

    # No login: ApiVersions is answered, Metadata closes the connection.
    s = raw_connect(kport)
    s.sendall(request(18, 0, 1, b""))
    read_response(s)
    s.sendall(metadata_v1_no_topics(2))
    expect_closed(s)
    # An unknown mechanism: UNSUPPORTED_SASL_MECHANISM naming PLAIN, then closed.
    s = raw_connect(kport)
    s.sendall(sasl_handshake(1, "SCRAM-SHA-512", 3))
    r = read_response(s)
    corr, error, count = struct.unpack_from(">ihi", r, 0)
    check(error == 33, f"handshake error {error}")
    check(r[10:] == string16("PLAIN") and count == 1, f"enabled mechanisms {r[10:]!r}")
    expect_closed(s)
    # A wrong password from kafka-python (handshake v0, raw token): the broker closes, so the
    # client never gets metadata.
    bad = producer(kport, acks=1, api_version=(2, 0, 0), max_block_ms=1500, **sasl("wrong"))
    expect_error(kafka.errors.KafkaTimeoutError, lambda: bad.send("sasl-topic", value=b"x", partition=0))
    bad.close(timeout=1)

    p.send("sasl-topic", value=b"second", partition=0).get(timeout=DEADLINE)
    got = [r.value for r in consume(c, 1)]
    check(got == [b"second"], f"read {got} after the refused logins")
    c.close()
    p.close()


def compact_string(text):
    data = text.encode()
    return encode_uvarint(len(data) + 1) + data


def encode_uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def read_uvarint(data, pos):
    shift, value = 0, 0
    while True:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, pos
        shift += 7


def describe_cluster_raw(s, version, correlation):
    """DescribeCluster (flexible from v0: request header v2, response header v1); answers
    (error, cluster id, controller id, [(node, host, port)])."""
    header = struct.pack(">hhi", 60, version, correlation) + string16("raw") + b"\x00"
    body = b"\x00" + (b"\x01" if version >= 1 else b"") + b"\x00"  # include ops, endpoint type, tags
    payload = header + body
    s.sendall(struct.pack(">i", len(payload)) + payload)
    r = read_response(s)
    (corr,) = struct.unpack_from(">i", r, 0)
    check(corr == correlation, f"correlation {corr}")
    pos = 4 + 1 + 4  # correlation, header tags, throttle
    (error,) = struct.unpack_from(">h", r, pos)
    pos += 2
    n, pos = read_uvarint(r, pos)  # error message (null: 0)
    pos += max(n - 1, 0)
    if version >= 1:
        pos += 1  # endpoint type
    n, pos = read_uvarint(r, pos)
    cluster = r[pos:pos + n - 1].decode()
    pos += n - 1
    (controller,) = struct.unpack_from(">i", r, pos)
    pos += 4
    count, pos = read_uvarint(r, pos)
    brokers = []
    for _ in range(count - 1):
        (node,) = struct.unpack_from(">i", r, pos)
        n, pos = read_uvarint(r, pos + 4)
        host = r[pos:pos + n - 1].decode()
        pos += n - 1
        (port,) = struct.unpack_from(">i", r, pos)
        n, pos = read_uvarint(r, pos + 4)  # rack
        pos += max(n - 1, 0) + 1  # and the broker's tags
        brokers.append((node, host, port))
    return error, cluster, controller, brokers


@scenario
def describe_cluster(kport, aport):
    """The admin client's describe_cluster (Metadata in kafka-python 2.0) and DescribeCluster v0
    and v1 name one broker, at the advertised address, which is the controller."""
    from kafka.admin import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    cluster = admin.describe_cluster()
    check(cluster["cluster_id"] == "plexus" and cluster["controller_id"] == 0, f"cluster {cluster}")
    brokers = [(b["node_id"], b["host"], b["port"]) for b in cluster["brokers"]]
    check(brokers == [(0, "127.0.0.1", kport)], f"brokers {brokers}")
    admin.close()
    s = raw_connect(kport)
    for version in (0, 1):
        answer = describe_cluster_raw(s, version, 10 + version)
        check(answer == (0, "plexus", 0, [(0, "127.0.0.1", kport)]), f"DescribeCluster v{version}: {answer}")
    s.close()


@scenario
def delete_groups(kport, aport):
    """delete_consumer_groups deletes a group's committed offsets; an unknown group is
    GROUP_ID_NOT_FOUND and a group with a member NON_EMPTY_GROUP."""
    from kafka.admin import KafkaAdminClient
    from kafka import errors
    p = producer(kport, acks=1)
    for i in range(3):
        p.send("deletable", value=b"d%d" % i, partition=0)
    p.flush(timeout=DEADLINE)
    p.close()
    c = group_consumer(kport, "finished", "deletable")
    check(poll_values(c, 3) == [b"d0", b"d1", b"d2"], "first read")
    c.commit()
    c.close()
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    tp = TopicPartition("deletable", 0)
    before = admin.list_consumer_group_offsets("finished", partitions=[tp])
    check(before[tp].offset == 3, f"committed before {before}")
    result = admin.delete_consumer_groups(["finished", "never-existed"])
    check(result == [("finished", errors.NoError), ("never-existed", errors.GroupIdNotFoundError)], f"{result}")
    after = admin.list_consumer_group_offsets("finished", partitions=[tp])
    check(after[tp].offset == -1, f"committed after the delete {after}")
    again = group_consumer(kport, "finished", "deletable")
    check(poll_values(again, 3) == [b"d0", b"d1", b"d2"], "a deleted group starts from auto_offset_reset again")
    busy = admin.delete_consumer_groups(["finished"])
    check(busy == [("finished", errors.NonEmptyGroupError)], f"{busy}")
    again.close()
    admin.close()


def topic_configs(admin, topic):
    """{name: value} of a topic, as describe_configs (DescribeConfigs v0-v2) reports it."""
    from kafka.admin import ConfigResource, ConfigResourceType
    (response,) = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)])
    ((error, message, _type, name, entries),) = response.resources
    check(error == 0 and name == topic, f"describe_configs {topic}: {error} {message}")
    return {e[0]: e[1] for e in entries}


def incremental_alter_v0(topic, changes):
    """IncrementalAlterConfigs v0 for one topic; changes are (name, operation, value)."""
    body = struct.pack(">ib", 1, 2) + string16(topic) + struct.pack(">i", len(changes))
    for name, op, value in changes:
        body += string16(name) + struct.pack(">b", op)
        body += string16(value) if value is not None else struct.pack(">h", -1)
    return request(44, 0, 21, body + b"\x00")  # validate_only false


@scenario
def topic_config(kport, aport):
    """describe_configs reports a topic's retention and the broker's settings; alter_configs
    (AlterConfigs) replaces the retention, IncrementalAlterConfigs changes one key, and what
    cannot be applied is INVALID_CONFIG for that resource alone."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    admin.create_topics([NewTopic("configured", 1, 1, topic_configs={"retention.ms": "3600000"})])
    configs = topic_configs(admin, "configured")
    check(configs == {"cleanup.policy": "delete", "delete.retention.ms": "86400000", "plexus.forward.exchange": "",
                      "plexus.storage": "file", "retention.bytes": "-1", "retention.ms": "3600000",
                      "segment.bytes": "67108864"},
          f"{configs} (segment.bytes: the file engine's default)")
    (broker,) = admin.describe_configs([ConfigResource(ConfigResourceType.BROKER, "0")])
    ((error, _m, _t, _n, entries),) = broker.resources
    broker_configs = {e[0]: e[1] for e in entries}
    check(error == 0 and broker_configs.get("broker.id") == "0", f"broker configs {broker_configs}")

    response = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "configured",
                                                   configs={"retention.bytes": "1048576"})])
    check([r[0] for r in response.resources] == [0], f"alter_configs {response.resources}")
    configs = topic_configs(admin, "configured")
    check(configs["retention.bytes"] == "1048576" and configs["retention.ms"] == "-1",
          f"after alter_configs (a whole new config) {configs}")
    response = admin.alter_configs([
        ConfigResource(ConfigResourceType.TOPIC, "configured", configs={"cleanup.policy": "shred"}),
        ConfigResource(ConfigResourceType.TOPIC, "no-such-topic", configs={"retention.ms": "1"})])
    codes = sorted((r[3], r[0]) for r in response.resources)
    check(codes == [("configured", 40), ("no-such-topic", 3)], f"refused alters {response.resources}")
    check(topic_configs(admin, "configured")["retention.bytes"] == "1048576", "a refused alter changed the topic")

    s = raw_connect(kport)
    s.sendall(incremental_alter_v0("configured", [("retention.ms", 0, "60000")]))
    r = read_response(s)
    corr, _throttle, count, error = struct.unpack_from(">iiih", r, 0)
    check(count == 1 and error == 0, f"IncrementalAlterConfigs error {error}")
    s.close()
    configs = topic_configs(admin, "configured")
    check(configs["retention.ms"] == "60000" and configs["retention.bytes"] == "1048576",
          f"after IncrementalAlterConfigs {configs}")
    # Compaction on, with deletion (the retention it has): as Kafka names that policy.
    s = raw_connect(kport)
    s.sendall(incremental_alter_v0("configured", [("cleanup.policy", 2, "compact")]))  # APPEND
    _corr, _throttle, count, error = struct.unpack_from(">iiih", read_response(s), 0)
    check(count == 1 and error == 0, f"IncrementalAlterConfigs APPEND compact: error {error}")
    s.close()
    configs = topic_configs(admin, "configured")
    check(configs["cleanup.policy"] == "compact,delete", f"after APPEND compact {configs}")
    admin.close()


def create_error(admin, topic, configs, validate_only=False):
    """The error kafka-python raises for a CreateTopics of `topic` with `configs`, or None."""
    from kafka.admin import NewTopic
    from kafka import errors
    try:
        admin.create_topics([NewTopic(topic, 1, 1, topic_configs=configs)], validate_only=validate_only)
    except errors.KafkaError as e:
        return e
    return None


@scenario
def topic_storage(kport, aport):
    """CreateTopics' plexus.storage picks the engine of the topic's stream and
    plexus.forward.exchange the exchange it also publishes to; describe_configs reports both;
    an engine or exchange that is not there is INVALID_CONFIG naming it. segment.bytes is the
    file engine's segment_bytes unless CreateTopics sets the topic's own, and fixed after that.
    Needs a broker with the memory and file (segment_bytes 1048576) engines, file the default."""
    from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewTopic
    from kafka import errors
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    admin.create_topics([NewTopic("in-memory", 2, 1, topic_configs={"plexus.storage": "memory"}),
                         NewTopic("on-file", 1, 1),
                         NewTopic("forwarding", 1, 1, topic_configs={"plexus.forward.exchange": "amq.topic"})])
    memory, on_file, forwarding = (topic_configs(admin, t) for t in ("in-memory", "on-file", "forwarding"))
    check(memory["plexus.storage"] == "memory" and memory["plexus.forward.exchange"] == "", f"in-memory {memory}")
    check("segment.bytes" not in memory, f"the memory engine has no segments: {memory}")
    check(on_file["plexus.storage"] == "file", f"the default engine: {on_file}")
    check(on_file["segment.bytes"] == "1048576", f"the file engine's configured segment_bytes: {on_file}")
    check(forwarding["plexus.forward.exchange"] == "amq.topic", f"forwarding {forwarding}")
    p = producer(kport, acks=1)
    p.send("in-memory", value=b"volatile", partition=1).get(timeout=DEADLINE)
    p.close()
    check([r.value for r in read_from_start(kport, "in-memory", [1], 1)] == [b"volatile"], "read back")

    e = create_error(admin, "on-tape", {"plexus.storage": "tape"})
    check(isinstance(e, errors.InvalidConfigurationError) and "tape" in str(e), f"an unknown engine: {e!r}")
    e = create_error(admin, "nowhere", {"plexus.forward.exchange": "no-such-exchange"})
    check(isinstance(e, errors.InvalidConfigurationError) and "no-such-exchange" in str(e), f"no exchange: {e!r}")
    e = create_error(admin, "nowhere", {"plexus.forward.exchange": "no-such-exchange"}, validate_only=True)
    check(isinstance(e, errors.InvalidConfigurationError), f"validate_only, no exchange: {e!r}")
    check(create_error(admin, "checked", {"plexus.forward.exchange": "amq.topic"}, validate_only=True) is None,
          "validate_only with an exchange that is there")
    e = create_error(admin, "tiny-segments", {"segment.bytes": "100"})
    check(isinstance(e, errors.InvalidConfigurationError) and "segment" in str(e), f"segment.bytes 100: {e!r}")
    listed = admin.list_topics()
    check(not {"on-tape", "nowhere", "checked", "tiny-segments"} & set(listed),
          f"refused or validated topics were made: {listed}")
    # A topic's own segment size (Kafka Streams sets one for its internal topics).
    check(create_error(admin, "segmented", {"segment.bytes": "65536"}) is None, "segment.bytes 65536")
    check(topic_configs(admin, "segmented")["segment.bytes"] == "65536", "the topic's own segment size")
    p = producer(kport, acks=1)
    for i in range(200):
        p.send("segmented", value=b"x" * 1000)
    p.flush()
    p.close()
    check(len(read_from_start(kport, "segmented", [0], 200)) == 200, "200 records over several segments")

    # Fixed configs: sent back as described they change nothing, another value is INVALID_CONFIG.
    same = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "on-file", configs={
        "segment.bytes": "1048576", "plexus.storage": "file", "retention.ms": "60000"})])
    check([r[0] for r in same.resources] == [0], f"alter_configs with the fixed values {same.resources}")
    check(topic_configs(admin, "on-file")["retention.ms"] == "60000", "the retention was not changed")
    for key, value in (("segment.bytes", "4096"), ("plexus.storage", "memory"), ("plexus.forward.exchange", "amq.topic")):
        refused = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, "on-file", configs={key: value})])
        check([r[0] for r in refused.resources] == [40] and key in (refused.resources[0][1] or ""),
              f"alter_configs {key}={value}: {refused.resources}")
    check(topic_configs(admin, "on-file")["retention.ms"] == "60000", "a refused alter changed the topic")
    s = raw_connect(kport)
    s.sendall(incremental_alter_v0("on-file", [("segment.bytes", 0, "2048")]))
    _corr, _throttle, count, error = struct.unpack_from(">iiih", read_response(s), 0)
    check(count == 1 and error == 40, f"IncrementalAlterConfigs segment.bytes: error {error}")
    s.close()
    admin.close()


@scenario
def create_partitions(kport, aport):
    """create_partitions grows a topic; producers and consumers see the new partitions, and the
    records already stored stay where they were; shrinking is INVALID_PARTITIONS."""
    from kafka.admin import KafkaAdminClient, NewPartitions, NewTopic
    from kafka import errors
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    admin.create_topics([NewTopic("widening", 2, 1)])
    p = producer(kport, acks=1)
    p.send("widening", value=b"before", partition=1).get(timeout=DEADLINE)
    admin.create_partitions({"widening": NewPartitions(total_count=5)})
    expect_error(errors.InvalidPartitionsError, lambda: admin.create_partitions({"widening": NewPartitions(3)}))
    expect_error(errors.UnknownTopicOrPartitionError, lambda: admin.create_partitions({"no-such": NewPartitions(3)}))
    admin.close()
    p.close()
    p = producer(kport, acks=1)  # a client that starts now sees five partitions
    check(p.partitions_for("widening") == {0, 1, 2, 3, 4}, f"partitions {p.partitions_for('widening')}")
    p.send("widening", value=b"after", partition=4).get(timeout=DEADLINE)
    p.close()
    got = sorted((r.partition, r.value) for r in read_from_start(kport, "widening", range(5), 2))
    check(got == [(1, b"before"), (4, b"after")], f"read {got}")


def crc32c(data):
    """CRC32C (Castagnoli, reflected 0x82F63B78), bit by bit: a test needs no speed."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def zigzag(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def record_batch(values, producer_id, epoch, base_sequence):
    """A RecordBatch v2 of an idempotent producer, as the protocol guide lays it out."""
    records = b""
    for i, v in enumerate(values):
        body = b"\x00" + zigzag(0) + zigzag(i) + zigzag(-1) + zigzag(len(v)) + v + zigzag(0)
        records += zigzag(len(body)) + body
    after_crc = struct.pack(">hiqqqhii", 0, len(values) - 1, 1700000000000, 1700000000000, producer_id, epoch,
                            base_sequence, len(values)) + records
    head = struct.pack(">ib", 0, 2) + struct.pack(">I", crc32c(after_crc))
    batch = head + after_crc
    return struct.pack(">qi", 0, len(batch)) + batch


def produce_v3(topic, partition, batch, correlation):
    name = topic.encode()
    body = struct.pack(">hhi", -1, -1, 5000) + struct.pack(">i", 1) + struct.pack(">h", len(name)) + name
    body += struct.pack(">i", 1) + struct.pack(">i", partition) + struct.pack(">i", len(batch)) + batch
    return request(0, 3, correlation, body)


def produce_v3_result(response):
    """(error code, base offset) of the only partition of a Produce v3 response."""
    pos = 4 + 4  # correlation id, topic count
    (n,) = struct.unpack_from(">h", response, pos)
    pos += 2 + n + 4
    _, error, offset = struct.unpack_from(">ihq", response, pos)
    return error, offset


@scenario
def idempotent_producer(kport, aport):
    """InitProducerId hands out a producer id; a retried batch is acknowledged with its first
    offset and not appended twice; a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER."""
    p = producer(kport, acks=1)
    p.send("idempotent", value=b"create", partition=0).get(timeout=DEADLINE)  # offset 0
    p.close()
    s = raw_connect(kport)
    s.sendall(request(22, 0, 1, struct.pack(">hi", -1, 60000)))
    r = read_response(s)
    _, _, error, pid, epoch = struct.unpack_from(">iihqh", r)
    check(error == 0 and pid >= 0 and epoch == 0, f"InitProducerId: error {error} id {pid} epoch {epoch}")
    first = record_batch([b"a", b"b"], pid, 0, 0)
    s.sendall(produce_v3("idempotent", 0, first, 2))
    check(produce_v3_result(read_response(s)) == (0, 1), "the first batch")
    s.sendall(produce_v3("idempotent", 0, first, 3))
    check(produce_v3_result(read_response(s)) == (0, 1), "the retried batch: same offset")
    s.sendall(produce_v3("idempotent", 0, record_batch([b"z"], pid, 0, 5), 4))
    error, _ = produce_v3_result(read_response(s))
    check(error == 45, f"a gap: error {error}")
    s.sendall(produce_v3("idempotent", 0, record_batch([b"c"], pid, 0, 2), 5))
    check(produce_v3_result(read_response(s)) == (0, 3), "the next batch")
    s.close()
    got = read_from_start(kport, "idempotent", [0], 4)
    check([r.value for r in got] == [b"create", b"a", b"b", b"c"], f"stored once each: {[r.value for r in got]}")
    c = consumer(kport)
    tp = TopicPartition("idempotent", 0)
    check(c.end_offsets([tp])[tp] == 4, "nothing appended twice")
    c.close()


def init_producer_id(s, correlation):
    s.sendall(request(22, 0, correlation, struct.pack(">hi", -1, 60000)))
    _, _, error, pid, epoch = struct.unpack_from(">iihqh", read_response(s))
    check(error == 0 and pid >= 0 and epoch == 0, f"InitProducerId: error {error} id {pid} epoch {epoch}")
    return pid


# A restart between a batch and its retry, in two halves that kafka_integration_test runs on
# either side of restarting plexusd. The batches are hand-made Produce requests: neither
# kafka-python nor librdkafka can be made to resend a batch it already had answered, on cue,
# after the broker came back. The first half leaves the producer id as the topic's first record.
def first_idempotent_batch(kport, topic):
    """A new producer id, noted in the topic's first record (offset 0) for the scenario after
    the restart, and that producer's first batch, [a, b] at offsets 1 and 2."""
    s = raw_connect(kport)
    pid = init_producer_id(s, 1)
    p = producer(kport, acks="all")
    p.send(topic, value=b"pid=%d" % pid, partition=0).get(timeout=DEADLINE)
    p.close()
    s.sendall(produce_v3(topic, 0, record_batch([b"a", b"b"], pid, 0, 0), 2))
    check(produce_v3_result(read_response(s)) == (0, 1), "the first batch")
    s.close()


def noted_producer_id(kport, topic):
    return int(read_from_start(kport, topic, [0], 1)[0].value.split(b"=")[1])


@scenario
def idempotent_restart_before(kport, aport):
    first_idempotent_batch(kport, "idem-restart")


@scenario
def idempotent_restart_after(kport, aport):
    pid = noted_producer_id(kport, "idem-restart")
    s = raw_connect(kport)
    s.sendall(produce_v3("idem-restart", 0, record_batch([b"a", b"b"], pid, 0, 0), 1))
    check(produce_v3_result(read_response(s)) == (0, 1), "the batch retried after the restart: its first offset")
    s.sendall(produce_v3("idem-restart", 0, record_batch([b"z"], pid, 0, 5), 2))
    error, _ = produce_v3_result(read_response(s))
    check(error == 45, f"a gap after the restart: error {error}")
    s.sendall(produce_v3("idem-restart", 0, record_batch([b"c"], pid, 0, 2), 3))
    check(produce_v3_result(read_response(s)) == (0, 3), "the next batch")
    other = init_producer_id(s, 4)
    check(other > pid, f"a producer id after the restart ({other}) repeats or precedes {pid}")
    s.close()
    got = read_from_start(kport, "idem-restart", [0], 4)
    check([r.value for r in got][1:] == [b"a", b"b", b"c"], f"stored once each: {[r.value for r in got]}")
    c = consumer(kport)
    tp = TopicPartition("idem-restart", 0)
    check(c.end_offsets([tp])[tp] == 4, "nothing appended twice")
    c.close()


@scenario
def compaction(kport, aport):
    """A topic created with cleanup.policy=compact keeps the newest record of each key at its
    offset once the broker has cleaned it (storage.compaction_interval_ms is short here): older
    values go, a tombstone and the key's earlier values go once delete.retention.ms (0 here)
    has passed, records of a gzip batch are cleaned like the others, and appends go on at the
    end."""
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kport}")
    admin.create_topics([NewTopic("compacted", 1, 1,
                                  topic_configs={"cleanup.policy": "compact", "delete.retention.ms": "0"})])
    admin.close()
    p = producer(kport, acks=1)
    for key, value in ((b"a", b"a1"), (b"b", b"b1"), (b"c", b"c1"), (b"a", b"a2"), (b"b", None)):
        p.send("compacted", key=key, value=value, partition=0).get(timeout=DEADLINE)
    p.close()
    # Several records in one compressed batch: the cleaner keeps two of its four.
    zipped = producer(kport, acks=1, compression_type="gzip", linger_ms=200)
    futures = [zipped.send("compacted", key=k, value=v, partition=0)
               for k, v in ((b"d", b"d1"), (b"c", b"c2"), (b"d", b"d2"), (b"e", b"e1"))]
    zipped.flush()
    offsets = [f.get(timeout=DEADLINE).offset for f in futures]
    check(offsets == [5, 6, 7, 8], f"offsets of the gzip batch {offsets}")
    zipped.close()
    expected = [(3, b"a", b"a2"), (6, b"c", b"c2"), (7, b"d", b"d2"), (8, b"e", b"e1")]

    state = {}

    def cleaned():
        state["seen"] = [(r.offset, r.key, r.value) for r in read_to_end(kport, "compacted", 0)]
        return state["seen"] == expected
    eventually(cleaned, lambda: f"the newest value of each key, {expected}, not {state['seen']}", deadline=20,
               interval=0.5)
    c = consumer(kport)
    tp = TopicPartition("compacted", 0)
    check(c.beginning_offsets([tp])[tp] <= 3 and c.end_offsets([tp])[tp] == 9, "offsets kept")
    c.close()
    p = producer(kport, acks=1)
    check(p.send("compacted", key=b"f", value=b"f1", partition=0).get(timeout=DEADLINE).offset == 9, "next offset")
    p.close()


@scenario
def idempotent_lost_before(kport, aport):
    """The first half of a crash between an append and its state write: a batch appended."""
    first_idempotent_batch(kport, "idem-lost")


@scenario
def idempotent_lost_after(kport, aport):
    """The broker lost the producer's state (the test removed it); the producer retries the
    batch it was never answered for: the partition's log shows it is there, so it is
    acknowledged with its offset, not appended again, and the next batch follows it."""
    pid = noted_producer_id(kport, "idem-lost")
    s = raw_connect(kport)
    s.sendall(produce_v3("idem-lost", 0, record_batch([b"a", b"b"], pid, 0, 0), 1))
    check(produce_v3_result(read_response(s)) == (0, 1), "the retried batch: its first offset, from the log")
    s.sendall(produce_v3("idem-lost", 0, record_batch([b"c"], pid, 0, 2), 2))
    check(produce_v3_result(read_response(s)) == (0, 3), "the next batch")
    s.close()
    c = consumer(kport)
    tp = TopicPartition("idem-lost", 0)
    check(c.end_offsets([tp])[tp] == 4, "the retried batch was appended again")
    c.close()


def main(argv):
    (kport, aport), names = ports_and_names(argv, 2)
    run(names, kport, aport)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
