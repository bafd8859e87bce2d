#!/usr/bin/python3
"""STOMP scenarios against a running plexusd, driven by stomp_integration_test.

Usage: scenarios.py STOMP_PORT AMQP_PORT SCENARIO...

Each scenario uses stomp.py (Debian's python3-stomp), raw sockets or pika the way an
application would, asserts what it observes, prints "ok <scenario>" and exits 0; the first
failed check raises and the exit code is 1. Waits are bounded by deadlines, never open-ended.
Every scenario uses its own destination names, so they may run in any order on one broker.
"""

import socket
import os
import sys
import time

import pika
import stomp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import DEADLINE, scenario, check, eventually, amqp_connection, ports_and_names, run  # noqa: E402


VERSIONS = {"1.0": stomp.Connection10, "1.1": stomp.Connection11, "1.2": stomp.Connection12}


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.receipts = []
        self.errors = []
        self.connected = None
        self.disconnected = False

    def on_connected(self, frame):
        self.connected = frame

    def on_message(self, frame):
        self.messages.append(frame)

    def on_receipt(self, frame):
        self.receipts.append(frame.headers["receipt-id"])

    def on_error(self, frame):
        self.errors.append(frame)

    def on_disconnected(self):
        self.disconnected = True


class Client:
    """A connected stomp.py client of one version with what it received."""

    def __init__(self, port, version="1.2", heartbeats=(0, 0), **connect):
        kw = {"heartbeats": heartbeats} if version != "1.0" else {}
        kw["auto_decode"] = False  # bodies as bytes: binary bodies stay exact
        if version == "1.2":
            kw["vhost"] = "/"  # stomp.py 1.2 sends host:<address> otherwise, which names a vhost
        self.version = version
        self.conn = VERSIONS[version]([("127.0.0.1", port)], **kw)
        self.rec = Recorder()
        self.conn.set_listener("rec", self.rec)
        self.conn.connect(connect.get("login", "guest"), connect.get("passcode", "guest"), wait=True)
        self._receipt = 0

    def receipt(self):
        self._receipt += 1
        return "r-%d" % self._receipt

    def wait_receipt(self, r):
        eventually(lambda: r in self.rec.receipts, "receipt " + r)

    def send(self, dest, body, wait=True, content_type=None, **headers):
        if content_type is not None:
            headers["content-type"] = content_type
        r = self.receipt()
        if wait:
            headers["receipt"] = r
        self.conn.send(dest, body, headers=headers)
        if wait:
            self.wait_receipt(r)

    def subscribe(self, dest, sid, ack="auto", **headers):
        r = self.receipt()
        headers["receipt"] = r
        if self.version == "1.0":
            headers["id"] = sid
            self.conn.subscribe(dest, ack=ack, headers=headers)
        else:
            self.conn.subscribe(dest, sid, ack=ack, headers=headers)
        self.wait_receipt(r)

    def unsubscribe(self, sid, **headers):
        r = self.receipt()
        headers["receipt"] = r
        if self.version == "1.0":
            self.conn.unsubscribe(id=sid, headers=headers)
        else:
            self.conn.unsubscribe(sid, headers=headers)
        self.wait_receipt(r)

    def ack(self, m, nack=False, **kw):
        f = self.conn.nack if nack else self.conn.ack
        if self.version == "1.2":
            f(m.headers["ack"], **kw)
        elif self.version == "1.1":
            f(m.headers["message-id"], m.headers["subscription"], **kw)
        else:
            f(m.headers["message-id"], **kw)

    def wait_messages(self, n, what="messages"):
        eventually(lambda: len(self.rec.messages) >= n, f"{n} {what}")
        return self.rec.messages

    def quiet(self, seconds=0.3):
        """Nothing more arrives for a while."""
        before = len(self.rec.messages)
        time.sleep(seconds)
        return len(self.rec.messages) == before

    def close(self):
        r = self.receipt()
        self.conn.disconnect(receipt=r)


def body_text(m):
    return m.body.decode()


# ---- raw sockets ---------------------------------------------------------------------------


class Raw:
    """A socket speaking STOMP by hand, to send what no client library would."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
        self.buf = b""

    def send(self, data):
        self.sock.sendall(data)

    def connect(self, version="1.2", extra=b""):
        self.send(b"CONNECT\naccept-version:" + version.encode() + b"\nhost:/\nlogin:guest\npasscode:guest\n" +
                  extra + b"\n\x00")
        f = self.frame()
        check(f[0] == "CONNECTED", f"expected CONNECTED, got {f}")
        return f

    def frame(self):
        """The next frame as (command, headers, body); heart-beat EOLs are skipped; None at EOF."""
        while True:
            while self.buf[:1] in (b"\n", b"\r"):
                self.buf = self.buf[1:]
            end = self.buf.find(b"\n\n")
            if end >= 0:
                head = self.buf[:end].decode()
                lines = head.split("\n")
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers.setdefault(k, v)
                start = end + 2
                if "content-length" in headers:
                    stop = start + int(headers["content-length"])
                    if len(self.buf) > stop:
                        check(self.buf[stop:stop + 1] == b"\x00", "frame not NUL-terminated")
                        body = self.buf[start:stop]
                        self.buf = self.buf[stop + 1:]
                        return lines[0], headers, body
                else:
                    nul = self.buf.find(b"\x00", start)
                    if nul >= 0:
                        body = self.buf[start:nul]
                        self.buf = self.buf[nul + 1:]
                        return lines[0], headers, body
            data = self.sock.recv(65536)
            if not data:
                check(not self.buf.strip(b"\n\r"), f"connection closed inside a frame: {self.buf[:80]!r}")
                return None
            self.buf += data

    def expect_error_then_close(self, message):
        f = self.frame()
        check(f is not None and f[0] == "ERROR", f"expected ERROR, got {f}")
        check(f[1].get("message") == message, f"ERROR message {f[1].get('message')!r}, expected {message!r}")
        check(len(f[2]) > 0, "ERROR has a body saying what was wrong")
        check(self.frame() is None, "the connection closes after ERROR")
        return f

    def closed_within(self, seconds):
        self.sock.settimeout(seconds)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True


# ---- versions, frames, bodies --------------------------------------------------------------


@scenario
def versions(port, amqp_port):
    """Each version connects, negotiates, and round-trips a binary body with NULs and escaped
    headers through a queue, with receipts."""
    body = bytes(range(256)) + b"\x00\x00end"
    for v in VERSIONS:
        c = Client(port, v)
        h = c.rec.connected.headers
        check(h.get("version") == v, f"{v}: CONNECTED version {h.get('version')}")
        check(h.get("server", "").startswith("Plexus/"), f"server header {h.get('server')}")
        check(h.get("session", "").startswith("session-"), f"session header {h.get('session')}")
        if v != "1.0":
            check(h.get("heart-beat") == "0,0", f"heart-beat {h.get('heart-beat')}")
        dest = "/queue/versions-" + v
        c.subscribe(dest, "s-" + v)
        headers = {"x-plain": "v"}
        if v != "1.0":
            headers["x-escaped"] = "a:b\\c\nd"
        c.send(dest, body, content_type="application/octet-stream", **headers)
        m = c.wait_messages(1)[0]
        got = m.body
        check(got == body, f"{v}: body of {len(got)} bytes")
        check(m.headers["destination"] == dest, f"destination {m.headers['destination']}")
        check(m.headers["subscription"] == "s-" + v, "subscription header")
        check(m.headers["content-type"] == "application/octet-stream", "content-type")
        check(m.headers["content-length"] == str(len(body)), "content-length")
        check(m.headers["x-plain"] == "v", "custom header")
        if v != "1.0":
            check(m.headers["x-escaped"] == "a:b\\c\nd", f"escaped header {m.headers['x-escaped']!r}")
        check(("ack" in m.headers) == False, "no ack header in auto mode")
        c.close()
    # The STOMP command (1.1+) and CONNECT are both accepted; 1.0 without accept-version.
    r = Raw(port)
    r.send(b"STOMP\naccept-version:1.1,1.2\nhost:/\n\n\x00")
    f = r.frame()
    check(f[0] == "CONNECTED" and f[1]["version"] == "1.2", f"STOMP frame: {f}")
    r = Raw(port)
    r.send(b"CONNECT\n\n\x00")
    f = r.frame()
    check(f[0] == "CONNECTED" and f[1]["version"] == "1.0", f"1.0 CONNECT: {f}")
    r = Raw(port)
    r.send(b"CONNECT\naccept-version:2.0\n\n\x00")
    f = r.expect_error_then_close("Supported protocol versions are 1.0,1.1,1.2")
    check(f[1].get("version") == "1.0,1.1,1.2", "ERROR lists the versions")


@scenario
def receipts(port, amqp_port):
    """Every client frame with a receipt header is answered with its RECEIPT, in order, and
    DISCONNECT's receipt comes before the close."""
    r = Raw(port)
    r.connect()
    frames = [
        b"SUBSCRIBE\nid:s\ndestination:/queue/receipts\nack:client-individual\nreceipt:1\n\n\x00",
        b"BEGIN\ntransaction:t\nreceipt:2\n\n\x00",
        b"SEND\ndestination:/queue/receipts\ntransaction:t\nreceipt:3\n\nx\x00",
        b"COMMIT\ntransaction:t\nreceipt:4\n\n\x00",
    ]
    r.send(b"".join(frames))
    seen = []
    message = None
    while len(seen) < 4 or message is None:
        f = r.frame()
        if f[0] == "MESSAGE":
            message = f
        else:
            check(f[0] == "RECEIPT", f"expected RECEIPT, got {f}")
            seen.append(f[1]["receipt-id"])
    check(seen == ["1", "2", "3", "4"], f"receipts in order: {seen}")
    ack = message[1]["ack"].encode()
    r.send(b"ACK\nid:" + ack + b"\nreceipt:5\n\n\x00" + b"BEGIN\ntransaction:u\n\n\x00" +
           b"ABORT\ntransaction:u\nreceipt:6\n\n\x00" + b"UNSUBSCRIBE\nid:s\nreceipt:7\n\n\x00" +
           b"DISCONNECT\nreceipt:8\n\n\x00")
    got = [r.frame()[1]["receipt-id"] for _ in range(4)]
    check(got == ["5", "6", "7", "8"], f"receipts {got}")
    check(r.frame() is None, "closed after DISCONNECT")


# ---- acks ----------------------------------------------------------------------------------


@scenario
def ack_modes(port, amqp_port):
    """client-individual acks one message, client acks every earlier one too, auto needs none;
    what was not acked is redelivered (redelivered:true) after the subscriber goes."""
    for v in VERSIONS:
        for mode, acked_index, left in (("client-individual", 1, ["m0", "m2"]), ("client", 1, ["m2"]),
                                        ("auto", None, [])):
            dest = f"/queue/ack-{mode}-{v}"
            c = Client(port, v)
            c.subscribe(dest, "s", ack=mode)
            for i in range(3):
                c.send(dest, f"m{i}")
            ms = c.wait_messages(3)
            check([body_text(m) for m in ms] == ["m0", "m1", "m2"], "in order")
            if v == "1.2":
                check(("ack" in ms[0].headers) == (mode != "auto"), f"ack header in {mode}")
            if acked_index is not None:
                r = c.receipt()
                c.ack(ms[acked_index], receipt=r)
                c.wait_receipt(r)
            c.close()
            d = Client(port, v)
            d.subscribe(dest, "s2", ack="auto")
            if left:
                got = d.wait_messages(len(left))
                check(sorted(body_text(m) for m in got) == left, f"{v} {mode}: redelivered {[body_text(m) for m in got]}")
                check(all(m.headers.get("redelivered") == "true" for m in got), "redelivered header")
            check(d.quiet(0.2), f"{v} {mode}: nothing else redelivered")
            d.close()


@scenario
def nack(port, amqp_port):
    """NACK requeues (redelivered:true); NACK with requeue:false drops the message."""
    for v in ("1.1", "1.2"):
        dest = "/queue/nack-" + v
        c = Client(port, v)
        c.subscribe(dest, "s", ack="client-individual")
        c.send(dest, "again")
        m = c.wait_messages(1)[0]
        check("redelivered" not in m.headers, "first delivery")
        c.ack(m, nack=True)
        m2 = c.wait_messages(2)[1]
        check(body_text(m2) == "again" and m2.headers.get("redelivered") == "true", f"requeued: {m2.headers}")
        r = c.receipt()
        c.ack(m2, nack=True, requeue="false", receipt=r)
        c.wait_receipt(r)
        check(c.quiet(0.3), "requeue:false drops it")
        c.close()


@scenario
def queue_arguments(port, amqp_port):
    """Queue arguments as SUBSCRIBE / SEND headers declare the queue with them: a TTL that
    dead-letters into another queue (read back with pika, x-death included), NACK without
    requeue dead-lettering, an invalid value refused with an ERROR, and a stream read from
    x-stream-offset:first."""
    c = Client(port)
    a = amqp_connection(amqp_port)
    ch = a.channel()
    ch.queue_declare("stomp-args-dead")
    ch.queue_purge("stomp-args-dead")
    args = {"x-message-ttl": "100", "x-dead-letter-exchange": "", "x-dead-letter-routing-key": "stomp-args-dead"}
    c.send("/queue/stomp-args-ttl", "expires", **args)
    m = None
    until = time.monotonic() + DEADLINE
    while m is None and time.monotonic() < until:
        m, p, body = ch.basic_get("stomp-args-dead", auto_ack=True)
        time.sleep(0.02)
    check(body == b"expires", "the expired message was dead-lettered")
    check(p.headers["x-death"][0]["reason"] == "expired", f"x-death {p.headers}")
    check(ch.queue_declare("stomp-args-ttl", passive=True).method.message_count == 0, "gone from the queue")

    c.subscribe("/queue/stomp-args-ttl", "dl", ack="client-individual", **args)
    c.send("/queue/stomp-args-ttl", "refused")
    msg = c.wait_messages(1)[0]
    c.ack(msg, nack=True, requeue="false")
    m = None
    until = time.monotonic() + DEADLINE
    while m is None and time.monotonic() < until:
        m, p, body = ch.basic_get("stomp-args-dead", auto_ack=True)
        time.sleep(0.02)
    check(body == b"refused" and p.headers["x-death"][0]["reason"] == "rejected", "NACK dead-lettered it")
    c.close()

    bad = Client(port)
    bad.conn.send("/queue/stomp-args-bad", "x", headers={"x-max-length": "ten"})
    eventually(lambda: bad.rec.errors, "an ERROR for a bad x-max-length")
    check("x-max-length" in body_text(bad.rec.errors[0]), f"the ERROR names it: {body_text(bad.rec.errors[0])}")

    s = Client(port)
    for i in range(3):
        s.send("/queue/stomp-args-stream", f"e{i}", **{"x-queue-type": "stream"})
    s.subscribe("/queue/stomp-args-stream", "from-first", ack="client",
                **{"x-queue-type": "stream", "x-stream-offset": "first", "prefetch-count": "10"})
    got = s.wait_messages(3, "stream records")
    check([body_text(m) for m in got[:3]] == ["e0", "e1", "e2"], f"read from the first: {[body_text(m) for m in got]}")
    s.close()
    a.close()


@scenario
def prefetch(port, amqp_port):
    """prefetch-count caps unacked deliveries; acking lets the next ones through."""
    c = Client(port, "1.2")
    dest = "/queue/prefetch"
    for i in range(5):
        c.send(dest, f"p{i}")
    c.subscribe(dest, "s", ack="client-individual", **{"prefetch-count": "2"})
    c.wait_messages(2)
    check(c.quiet(0.3), "only two while unacked")
    c.ack(c.rec.messages[0])
    c.wait_messages(3)
    check(c.quiet(0.2) and len(c.rec.messages) == 3, "one more per ack")
    for m in list(c.rec.messages):
        c.ack(m)
    c.wait_messages(5)
    c.close()


# ---- transactions --------------------------------------------------------------------------


@scenario
def transactions(port, amqp_port):
    """SENDs in a transaction are delivered at COMMIT, never after ABORT; ACKs in an aborted
    transaction leave the message unacked, in a committed one they ack it."""
    c = Client(port, "1.2")
    dest = "/queue/tx"
    c.subscribe(dest, "s", ack="client-individual")
    c.conn.begin("t1")
    c.conn.send(dest, "in-t1-a", transaction="t1")
    c.conn.send(dest, "in-t1-b", transaction="t1")
    check(c.quiet(0.3) and not c.rec.messages, "nothing before COMMIT")
    r = c.receipt()
    c.conn.commit("t1", receipt=r)
    c.wait_receipt(r)
    ms = c.wait_messages(2)
    check([body_text(m) for m in ms] == ["in-t1-a", "in-t1-b"], "both at commit, in order")
    c.conn.begin("t2")
    c.conn.send(dest, "in-t2", transaction="t2")
    r = c.receipt()
    c.conn.abort("t2", receipt=r)
    c.wait_receipt(r)
    check(c.quiet(0.3) and len(c.rec.messages) == 2, "nothing after ABORT")
    # ACK inside an aborted transaction: still unacked; inside a committed one: acked.
    c.conn.begin("t3")
    c.conn.ack(ms[0].headers["ack"], transaction="t3")
    c.conn.abort("t3")
    c.conn.begin("t4")
    c.conn.ack(ms[1].headers["ack"], transaction="t4")
    r = c.receipt()
    c.conn.commit("t4", receipt=r)
    c.wait_receipt(r)
    # An open transaction at disconnect is aborted.
    c.conn.begin("t5")
    c.conn.send(dest, "in-t5", transaction="t5")
    c.close()
    d = Client(port, "1.2")
    d.subscribe(dest, "s")
    got = d.wait_messages(1)
    check(d.quiet(0.3), "only one left")
    check([body_text(m) for m in got] == ["in-t1-a"], f"left: {[body_text(m) for m in got]}")
    d.close()


# ---- destinations --------------------------------------------------------------------------


@scenario
def destinations(port, amqp_port):
    """/topic/ fans out to every subscriber (wildcards as amq.topic), /exchange/x/k routes
    through x, /amq/queue/ consumes an existing queue and never declares one."""
    a, b = Client(port), Client(port)
    a.subscribe("/topic/dest.news.*", "a")
    b.subscribe("/topic/dest.news.sport", "b")
    a.send("/topic/dest.news.sport", "goal")
    a.send("/topic/dest.news.weather", "rain")
    check([body_text(m) for m in a.wait_messages(2)] == ["goal", "rain"], "wildcard subscriber")
    check([body_text(m) for m in b.wait_messages(1)] == ["goal"], "exact subscriber")
    check(b.quiet(0.2), "no weather for b")
    check(a.rec.messages[0].headers["destination"] == "/topic/dest.news.sport", "topic destination header")

    ch = amqp_connection(amqp_port).channel()
    ch.exchange_declare("dest-x", "direct")
    ch.queue_declare("dest-existing", durable=True)
    a.subscribe("/exchange/dest-x/k1", "x")
    a.send("/exchange/dest-x/k1", "via x")
    a.send("/exchange/dest-x/k2", "not bound")
    m = a.wait_messages(3)[2]
    check(body_text(m) == "via x" and m.headers["destination"] == "/exchange/dest-x/k1", f"exchange: {m.headers}")
    check(a.quiet(0.2), "k2 not routed")

    a.subscribe("/amq/queue/dest-existing", "aq")
    a.send("/amq/queue/dest-existing", "direct to queue")
    m = a.wait_messages(4)[3]
    check(body_text(m) == "direct to queue" and m.headers["subscription"] == "aq", f"amq/queue: {m.headers}")
    a.close()
    b.close()

    # /amq/queue/ names a queue that must exist; /exchange/ an exchange that must exist.
    for frame_bytes, what in ((b"SUBSCRIBE\nid:1\ndestination:/amq/queue/dest-missing\n\n\x00", "not_found"),
                              (b"SEND\ndestination:/exchange/dest-nosuch/k\nreceipt:1\n\nx\x00", "not_found"),
                              (b"SEND\ndestination:/bogus/x\n\nx\x00", "Invalid destination")):
        r = Raw(port)
        r.connect()
        r.send(frame_bytes)
        r.expect_error_then_close(what)


@scenario
def temp_queue(port, amqp_port):
    """reply-to:/temp-queue/x makes a private queue the sender consumes; the responder sees
    reply-to rewritten to /reply-queue/<queue> and its reply comes back on /temp-queue/x."""
    server, requester = Client(port), Client(port)
    server.subscribe("/queue/temp-service", "svc")
    requester.send("/queue/temp-service", "question", **{"reply-to": "/temp-queue/answers"})
    req = server.wait_messages(1)[0]
    reply_to = req.headers["reply-to"]
    check(reply_to.startswith("/reply-queue/"), f"reply-to rewritten: {reply_to}")
    server.send(reply_to, "answer")
    m = requester.wait_messages(1)[0]
    check(body_text(m) == "answer", "the reply arrives")
    check(m.headers["subscription"] == "/temp-queue/answers", f"subscription {m.headers['subscription']}")
    check(m.headers["destination"] == "/temp-queue/answers", f"destination {m.headers['destination']}")
    # The temp queue is the connection's own: another connection cannot consume it.
    qname = reply_to[len("/reply-queue/"):]
    r = Raw(port)
    r.connect()
    r.send(b"SUBSCRIBE\nid:1\ndestination:/amq/queue/" + qname.encode() + b"\n\n\x00")
    r.expect_error_then_close("resource_locked")
    server.close()
    requester.close()


@scenario
def durable_topic(port, amqp_port):
    """A durable topic subscription keeps collecting while its client is away, and
    UNSUBSCRIBE with durable:true ends it for good."""
    c = Client(port, "1.2")
    c.subscribe("/topic/durable.t", "dsub", ack="client-individual", durable="true", **{"auto-delete": "false"})
    c.close()
    p = Client(port)
    p.send("/topic/durable.t", "while away", persistent="true")
    c = Client(port, "1.2")
    c.subscribe("/topic/durable.t", "dsub", ack="client-individual", durable="true")
    m = c.wait_messages(1)[0]
    check(body_text(m) == "while away" and m.headers.get("persistent") == "true", f"durable: {m.headers}")
    c.ack(m)
    c.unsubscribe("dsub", durable="true")
    c.close()
    p.send("/topic/durable.t", "after the end")
    ch = amqp_connection(amqp_port).channel()
    try:
        ch.queue_declare("stomp-subscription-dsub", passive=True)
        raise AssertionError("the durable subscription's queue is still there")
    except pika.exceptions.ChannelClosedByBroker as e:
        check(e.reply_code == 404, f"expected 404, got {e.reply_code}")
    p.close()


# ---- interop -------------------------------------------------------------------------------


@scenario
def interop(port, amqp_port):
    """STOMP → AMQP and AMQP → STOMP with every mapped property and custom headers."""
    conn = amqp_connection(amqp_port)
    ch = conn.channel()
    ch.queue_declare("interop-to-amqp", durable=True)  # as /queue/ declares it
    c = Client(port)
    c.send("/queue/interop-to-amqp", b"from stomp", content_type="application/json", persistent="true",
           priority="5", expiration="60000", **{"correlation-id": "c-1", "reply-to": "/queue/replies",
                                                 "x-custom": "v1", "amqp-message-id": "m-1", "type": "t"})
    method, props, body = ch.basic_get("interop-to-amqp", auto_ack=True)
    check(method is not None and body == b"from stomp", f"AMQP got {body!r}")
    check(props.content_type == "application/json", f"content_type {props.content_type}")
    check(props.delivery_mode == 2, f"delivery_mode {props.delivery_mode}")
    check(props.priority == 5, f"priority {props.priority}")
    check(props.expiration == "60000", f"expiration {props.expiration}")
    check(props.correlation_id == "c-1", f"correlation_id {props.correlation_id}")
    check(props.reply_to == "/queue/replies", f"reply_to {props.reply_to}")
    check(props.message_id == "m-1" and props.type == "t", f"message_id {props.message_id} type {props.type}")
    check(props.headers == {"x-custom": "v1"}, f"headers {props.headers}")
    check(method.routing_key == "interop-to-amqp" and method.exchange == "", "routed via the default exchange")
    # ActiveMQ's absolute expires becomes the time to live; one already past never arrives.
    now_ms = int(time.time() * 1000)
    c.send("/queue/interop-to-amqp", b"expires later", expires=str(now_ms + 60000))  # waits for its receipt
    c.send("/queue/interop-to-amqp", b"expired already", expires=str(now_ms - 1000))
    method, props, body = ch.basic_get("interop-to-amqp", auto_ack=True)
    check(body == b"expires later" and 50000 <= int(props.expiration) <= 60000, f"{body!r} {props.expiration}")
    time.sleep(0.05)
    method, _, body = ch.basic_get("interop-to-amqp", auto_ack=True)
    check(method is None, f"an expired message was delivered: {body!r}")

    c.subscribe("/queue/interop-to-stomp", "s")
    ch.basic_publish("", "interop-to-stomp", b"from amqp\x00!", pika.BasicProperties(
        content_type="text/plain", delivery_mode=2, priority=3, correlation_id="c-2", reply_to="r",
        expiration="5000", message_id="m-2", timestamp=1700000000, app_id="app",
        headers={"s": "v", "n": 42, "b": True}))
    m = c.wait_messages(1)[0]
    h = m.headers
    got = m.body
    check(got == b"from amqp\x00!", f"body {got!r}")
    expected = {"content-type": "text/plain", "persistent": "true", "priority": "3", "correlation-id": "c-2",
                "reply-to": "r", "expiration": "5000", "amqp-message-id": "m-2", "timestamp": "1700000000",
                "app-id": "app", "s": "v", "n": "42", "b": "true", "destination": "/queue/interop-to-stomp"}
    for k, v in expected.items():
        check(h.get(k) == v, f"{k}: {h.get(k)!r}, expected {v!r}")
    # /topic/a.b ⇄ amq.topic a.b
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "amq.topic", "interop.a.b")
    c.send("/topic/interop.a.b", "topic to amqp")
    method, _, body = ch.basic_get(q, auto_ack=True)
    check(body == b"topic to amqp" and method.exchange == "amq.topic", "topic → amq.topic")
    c.subscribe("/topic/interop.c.*", "t")
    ch.basic_publish("amq.topic", "interop.c.d", b"amqp to topic")
    m = c.wait_messages(2)[1]
    check(body_text(m) == "amqp to topic" and m.headers["destination"] == "/topic/interop.c.d", f"{m.headers}")
    conn.close()
    c.close()


# ---- heart-beats ---------------------------------------------------------------------------


@scenario
def heartbeats(port, amqp_port):
    """The server beats at the interval the client asked for, a client that beats stays, and
    one whose beats stop is disconnected after about two intervals."""
    r = Raw(port)
    f = r.connect(extra=b"heart-beat:0,200\n")
    check(f[1]["heart-beat"] == "200,0", f"CONNECTED heart-beat {f[1]['heart-beat']}")
    r.sock.settimeout(2.0)
    start = time.monotonic()
    data = b""
    while data.count(b"\n") < 3 and time.monotonic() - start < 3:
        data += r.sock.recv(100)
    check(data.count(b"\n") >= 3 and set(data) <= {10}, f"beats {data!r}")
    check(time.monotonic() - start < 1.5, "three beats at 200 ms in well under 1.5 s")

    c = Client(port, "1.2", heartbeats=(200, 200))
    time.sleep(1.2)
    c.send("/queue/heartbeats", "still here")
    check(not c.rec.disconnected, "a beating client stays connected")
    c.close()

    silent = Raw(port)
    f = silent.connect(extra=b"heart-beat:200,0\n")
    check(f[1]["heart-beat"] == "0,200", f"CONNECTED heart-beat {f[1]['heart-beat']}")
    start = time.monotonic()
    check(silent.closed_within(3.0), "a silent client is disconnected")
    took = time.monotonic() - start
    check(0.3 < took < 1.5, f"after about two intervals, not {took:.2f} s")


# ---- errors --------------------------------------------------------------------------------


MALFORMED = {
    "no_nul": (b"SEND\ndestination:/queue/m\ncontent-length:2\n\nabc\x00", "Content-length mismatch"),
    "bad_header_line": (b"SEND\ndestination /queue/m\n\nx\x00", "Bad header line"),
    "bad_escape": (b"SEND\ndestination:/queue/m\nk:a\\tb\n\nx\x00", "Bad header escape"),
    "bad_content_length": (b"SEND\ndestination:/queue/m\ncontent-length:x\n\nx\x00", "Bad content-length"),
    "oversized_body": (b"SEND\ndestination:/queue/m\n\n" + b"x" * 70000, "Frame too large"),
    "oversized_content_length": (b"SEND\ndestination:/queue/m\ncontent-length:70000\n\n", "Frame too large"),
    "oversized_headers": (b"SEND\n" + b"k:" + b"v" * 70000 + b"\n\n\x00", "Headers too large"),
    "unknown_command": (b"PUBLISH\ndestination:/queue/m\n\nx\x00", "Unknown command"),
    "server_command": (b"MESSAGE\ndestination:/queue/m\n\nx\x00", "Illegal command"),
    "send_without_destination": (b"SEND\n\nx\x00", "Missing destination"),
    "subscribe_without_id": (b"SUBSCRIBE\ndestination:/queue/m\n\n\x00", "Missing 'id' header"),
    "unknown_transaction": (b"SEND\ndestination:/queue/m\ntransaction:nope\n\nx\x00", "Bad transaction"),
    "bad_ack_mode": (b"SUBSCRIBE\nid:1\ndestination:/queue/m\nack:sometimes\n\n\x00", "Bad ack mode"),
    "unknown_subscription": (b"UNSUBSCRIBE\nid:nope\n\n\x00", "No subscription found"),
    "bad_priority": (b"SEND\ndestination:/queue/m\npriority:high\n\nx\x00", "Bad header value"),
}


@scenario
def malformed(port, amqp_port):
    """Each malformed frame gets an ERROR with a message header, then the connection closes;
    a client connected meanwhile keeps working, and the frame before the bad one is handled."""
    bystander = Client(port)
    bystander.subscribe("/queue/malformed-bystander", "s")
    for name, (data, message) in MALFORMED.items():
        r = Raw(port)
        r.connect()
        r.send(b"SEND\ndestination:/queue/malformed-bystander\n\nbefore " + name.encode() + b"\x00" + data)
        f = r.expect_error_then_close(message)
        bystander.send("/queue/malformed-bystander", "after " + name)
    got = [body_text(m) for m in bystander.wait_messages(2 * len(MALFORMED))]
    for name in MALFORMED:
        check("before " + name in got and "after " + name in got, f"{name}: bystander got {got}")
    # Before CONNECT.
    r = Raw(port)
    r.send(b"SEND\ndestination:/queue/m\n\nx\x00")
    r.expect_error_then_close("Illegal command")
    # An ERROR for a frame with a receipt names it.
    r = Raw(port)
    r.connect()
    r.send(b"SEND\nreceipt:77\n\nx\x00")
    f = r.expect_error_then_close("Missing destination")
    check(f[1].get("receipt-id") == "77", "receipt-id on the ERROR")
    bystander.close()


@scenario
def login(port, amqp_port):
    """Wrong credentials and unknown vhosts are refused with ERROR, then the close."""
    for frame_bytes in (b"CONNECT\naccept-version:1.2\nhost:/\nlogin:guest\npasscode:wrong\n\n\x00",
                        b"CONNECT\naccept-version:1.2\nhost:/\nlogin:someone\npasscode:guest\n\n\x00"):
        r = Raw(port)
        r.send(frame_bytes)
        r.expect_error_then_close("Bad CONNECT")
    r = Raw(port)
    r.send(b"CONNECT\naccept-version:1.2\nhost:no-such-vhost\nlogin:guest\npasscode:guest\n\n\x00")
    f = r.expect_error_then_close("Bad CONNECT")
    check(b"no-such-vhost" in f[2], f"names the vhost: {f[2]!r}")
    try:
        Client(port, "1.2", login="guest", passcode="wrong")
        raise AssertionError("stomp.py connected with a wrong passcode")
    except stomp.exception.ConnectFailedException:
        pass


# ---- restart -------------------------------------------------------------------------------


@scenario
def persist_before(port, amqp_port):
    c = Client(port)
    c.send("/queue/persist", "kept", persistent="true")
    c.close()


@scenario
def persist_after(port, amqp_port):
    c = Client(port)
    c.subscribe("/queue/persist", "s")
    m = c.wait_messages(1)[0]
    check(body_text(m) == "kept" and m.headers.get("persistent") == "true", f"after restart: {m.headers}")
    c.close()


def main():
    (port, amqp_port), names = ports_and_names(sys.argv, 2)
    run(names, port, amqp_port)


if __name__ == "__main__":
    main()
