#!/usr/bin/python3
"""STOMP and MQTT over WebSockets against a running plexusd, driven by websocket_integration_test.

Usage: scenarios.py STOMP_WS_PORT STOMP_WS_BINARY_PORT MQTT_WS_PORT MQTT_PORT AMQP_PORT SCENARIO...

STOMP_WS_BINARY_PORT is a STOMP WebSocket listener on path /stomp with websocket_frames: binary.

Clients: stomp.py's STOMP 1.2 engine (Debian's python3-stomp 8.0 has no WebSocket adapter, so
WsTransport below carries its frames over websocket-client, Debian's python3-websocket, in
text messages as stomp.js sends them), paho-mqtt with transport="websockets", paho and pika
over TCP for the interop side, and raw sockets for what no client sends. Each scenario prints
"ok <scenario>"; the first failed check raises (exit code 1). Waits are bounded by deadlines.
Every scenario uses its own names, so they may run in any order on one broker.
"""

import base64
import os
import queue
import socket
import struct
import sys
import threading
import time

import paho.mqtt.client as mqtt
import stomp
import stomp.connect
import stomp.exception
import stomp.protocol
import stomp.transport
import websocket

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import (DEADLINE, scenario, check, eventually, unique, amqp_connection,  # noqa: E402
                              ports_and_names, recv_exactly, run)


STOMP_WS_PORT = STOMP_WS_BINARY_PORT = MQTT_WS_PORT = MQTT_PORT = AMQP_PORT = 0


# ---- STOMP over WebSockets with stomp.py -----------------------------------------------------


class WsTransport(stomp.transport.BaseTransport):
    """stomp.py's transport interface over one WebSocket: each frame stomp.py sends is one
    text message; whatever the server sends is handed to stomp.py's frame reader as bytes."""

    def __init__(self, port, path="/ws", subprotocols=("v10.stomp", "v11.stomp", "v12.stomp")):
        stomp.transport.BaseTransport.__init__(self, auto_decode=False)
        self.url = f"ws://127.0.0.1:{port}{path}"
        self.port = port
        self.subprotocols = list(subprotocols)
        self.vhost = "/"
        self.ws = None
        self.opcodes = set()  # of the server's data messages

    def attempt_connection(self):
        self.ws = websocket.create_connection(self.url, subprotocols=self.subprotocols, timeout=DEADLINE)
        self.ws.settimeout(None)  # the receiver thread blocks until data or the close
        self.current_host_and_port = ("127.0.0.1", self.port)

    def send(self, encoded_frame):
        if self.ws is None:
            raise stomp.exception.NotConnectedException()
        self.ws.send(encoded_frame, opcode=websocket.ABNF.OPCODE_TEXT)

    def receive(self):
        try:
            op, data = self.ws.recv_data()
        except (websocket.WebSocketException, OSError):
            return b""
        if op == websocket.ABNF.OPCODE_CLOSE:
            return b""
        self.opcodes.add(op)
        return data

    def is_connected(self):
        return self.ws is not None and self.ws.connected and stomp.transport.BaseTransport.is_connected(self)

    def disconnect_socket(self):
        self.running = False
        self.cleanup()

    def cleanup(self):
        if self.ws is not None:
            try:
                self.ws.close(timeout=1)
            except (websocket.WebSocketException, OSError):
                pass


class WsConnection12(stomp.connect.BaseConnection, stomp.protocol.Protocol12):
    """A stomp.py 1.2 connection on a WsTransport."""

    def __init__(self, port, **transport):
        t = WsTransport(port, **transport)
        stomp.connect.BaseConnection.__init__(self, t)
        stomp.protocol.Protocol12.__init__(self, t, (0, 0))

    def connect(self, *args, **kwargs):
        self.transport.start()
        stomp.protocol.Protocol12.connect(self, *args, **kwargs)

    def disconnect(self, receipt=None, headers=None, **keyword_headers):
        stomp.protocol.Protocol12.disconnect(self, receipt, headers, **keyword_headers)
        if receipt is not None:
            self.transport.stop()


class Recorder(stomp.ConnectionListener):
    def __init__(self):
        self.messages = []
        self.receipts = []
        self.errors = []
        self.connected = None

    def on_connected(self, frame):
        self.connected = frame

    def on_message(self, frame):
        self.messages.append(frame)

    def on_receipt(self, frame):
        self.receipts.append(frame.headers["receipt-id"])

    def on_error(self, frame):
        self.errors.append(frame)


class StompWs:
    """A connected stomp.py 1.2 client on the WebSocket listener."""

    def __init__(self, port=None, **transport):
        self.conn = WsConnection12(port or STOMP_WS_PORT, **transport)
        self.rec = Recorder()
        self.conn.set_listener("rec", self.rec)
        self.conn.connect("guest", "guest", wait=True)
        self._receipt = 0

    @property
    def transport(self):
        return self.conn.transport

    def receipt(self):
        self._receipt += 1
        return "r-%d" % self._receipt

    def wait_receipt(self, r):
        eventually(lambda: r in self.rec.receipts, "receipt " + r)

    def send(self, dest, body, **headers):
        r = self.receipt()
        headers["receipt"] = r
        self.conn.send(dest, body, headers=headers)
        self.wait_receipt(r)

    def subscribe(self, dest, sid, ack="auto"):
        r = self.receipt()
        self.conn.subscribe(dest, sid, ack=ack, headers={"receipt": r})
        self.wait_receipt(r)

    def wait_messages(self, n):
        eventually(lambda: len(self.rec.messages) >= n, f"{n} messages")
        return self.rec.messages

    def close(self):
        self.conn.disconnect(receipt=self.receipt())


@scenario
def stomp_ws():
    """stomp.py 1.2 over the WebSocket listener: CONNECTED on subprotocol v12.stomp, SEND and
    SUBSCRIBE with receipts, client-individual acks (the unacked message is redelivered to the
    next subscriber), text messages from the server, DISCONNECT with its receipt."""
    q = "/queue/" + unique("ws")
    a = StompWs()
    check(a.transport.ws.subprotocol == "v12.stomp", f"subprotocol {a.transport.ws.subprotocol}")
    check(a.rec.connected.headers.get("version") == "1.2", "CONNECTED version 1.2")
    a.subscribe(q, "s1", ack="client-individual")
    a.send(q, b"first", **{"content-type": "text/plain"})
    a.send(q, "é second")
    msgs = a.wait_messages(2)
    check([m.body for m in msgs] == [b"first", "é second".encode()], f"bodies {[m.body for m in msgs]}")
    check(msgs[0].headers.get("content-type") == "text/plain", "content-type kept")
    check(a.transport.opcodes == {websocket.ABNF.OPCODE_TEXT}, f"server opcodes {a.transport.opcodes}")
    a.conn.ack(msgs[0].headers["ack"])
    a.close()
    eventually(lambda: not a.transport.is_connected(), "the close after DISCONNECT")

    b = StompWs(subprotocols=("stomp",))
    check(b.transport.ws.subprotocol == "stomp", "the plain stomp subprotocol")
    b.subscribe(q, "s1", ack="client")
    m = b.wait_messages(1)[0]
    check(m.body == "é second".encode(), "only the unacked message is redelivered")
    check(m.headers.get("redelivered") == "true", "marked redelivered")
    b.conn.ack(m.headers["ack"])
    # A 70 kB body: a message whose length takes the 64-bit form both ways.
    big = os.urandom(35000).hex()
    b.send(q, big)
    check(b.wait_messages(2)[1].body == big.encode(), "a 70 kB body intact")
    b.close()
    print("stomp_ws: subprotocols, receipts, acks and 64-bit lengths", file=sys.stderr)


@scenario
def stomp_ws_binary():
    """A listener with websocket_frames: binary (on its own path) sends frames in binary
    messages, so a body that is not UTF-8 reaches the client intact."""
    q = "/queue/" + unique("wsb")
    c = StompWs(port=STOMP_WS_BINARY_PORT, path="/stomp")
    c.subscribe(q, "s1")
    body = bytes(range(256))
    c.send(q, body)
    check(c.wait_messages(1)[0].body == body, "a binary body intact")
    check(c.transport.opcodes == {websocket.ABNF.OPCODE_BINARY}, f"server opcodes {c.transport.opcodes}")
    c.close()
    try:
        StompWs(port=STOMP_WS_BINARY_PORT)  # the default path is not served there
        raise AssertionError("connected on /ws")
    except websocket.WebSocketBadStatusException as e:
        check(e.status_code == 404, f"status {e.status_code}")


# ---- MQTT over WebSockets with paho -----------------------------------------------------------


class Mqtt:
    """A paho client, over WebSockets or TCP, with what it received in a queue."""

    def __init__(self, ws=True, v5=False, client_id="", clean=True):
        kw = {"transport": "websockets"} if ws else {}
        if v5:
            self.c = mqtt.Client(client_id=client_id or unique("ws5"), protocol=mqtt.MQTTv5, **kw)
        else:
            self.c = mqtt.Client(client_id=client_id or unique("ws"), protocol=mqtt.MQTTv311,
                                 clean_session=clean, **kw)
        if ws:
            self.c.ws_set_options(path="/ws")
        self.v5 = v5
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.rc = None
        self.session_present = None
        self.disconnected = threading.Event()
        self.acked = set()
        self.subacked = set()
        self.c.on_connect = self._on_connect
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_publish = lambda c, u, mid: self.acked.add(mid)
        self.c.on_subscribe = lambda c, u, mid, *rest: self.subacked.add(mid)
        self.c.on_disconnect = lambda c, u, rc, *rest: self.disconnected.set()
        self.c.connect("127.0.0.1", MQTT_WS_PORT if ws else MQTT_PORT, keepalive=30)
        self.c.loop_start()
        check(self.connected.wait(DEADLINE), "CONNACK")
        check(self.rc == 0, f"CONNACK code {self.rc}")

    def _on_connect(self, c, u, flags, rc, properties=None):
        self.rc = rc.value if hasattr(rc, "value") else rc
        self.session_present = bool(flags.get("session present"))
        self.connected.set()

    def subscribe(self, topic, qos):
        rc, mid = self.c.subscribe(topic, qos)
        check(rc == 0, "subscribe sent")
        eventually(lambda: mid in self.subacked, "SUBACK")

    def publish(self, topic, payload, qos):
        info = self.c.publish(topic, payload, qos)
        if qos > 0:
            eventually(lambda: info.mid in self.acked, "PUBACK")

    def get(self):
        try:
            return self.messages.get(timeout=DEADLINE)
        except queue.Empty:
            raise AssertionError("timed out waiting for a message")

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


@scenario
def mqtt_ws():
    """paho over the WebSocket listener, 3.1.1 and 5.0: QoS 0 and 1 both ways, wildcards, a
    payload whose WebSocket length takes the 64-bit form."""
    for v5 in (False, True):
        t = unique("ws")
        sub = Mqtt(v5=v5)
        pub = Mqtt(v5=v5)
        sub.subscribe(f"{t}/+/x", 1)
        pub.publish(f"{t}/a/x", b"qos0", 0)
        pub.publish(f"{t}/b/x", b"qos1", 1)
        got = sorted([sub.get(), sub.get()], key=lambda m: m.payload)
        check([(m.topic, m.payload, m.qos) for m in got] ==
              [(f"{t}/a/x", b"qos0", 0), (f"{t}/b/x", b"qos1", 1)], f"v5={v5} deliveries")
        big = os.urandom(70000)
        pub.publish(f"{t}/c/x", big, 1)
        check(sub.get().payload == big, "a 70 kB payload intact")
        sub.close()
        pub.close()


@scenario
def mqtt_listeners_share():
    """The TCP and the WebSocket listener serve one broker: a retained message set through one
    reaches subscribers of the other, a persistent session begun over TCP resumes over
    WebSockets with what was queued meanwhile, and a connection with the same client id through
    the other listener takes the session over (the first connection is closed)."""
    t = unique("share")
    tcp = Mqtt(ws=False)
    tcp.c.publish(f"{t}/state", b"retained over tcp", 1, retain=True).wait_for_publish(DEADLINE)
    ws = Mqtt()
    ws.subscribe(f"{t}/+", 1)
    m = ws.get()
    check((m.topic, m.payload, m.retain) == (f"{t}/state", b"retained over tcp", True),
          f"the WebSocket subscriber got {m.topic} {m.payload} retain={m.retain}")
    ws.close()

    client_id = unique("roam")
    away = Mqtt(ws=False, client_id=client_id, clean=False)
    away.subscribe(f"{t}/roam", 1)
    away.close()
    tcp.publish(f"{t}/roam", b"queued while away", 1)
    back = Mqtt(ws=True, client_id=client_id, clean=False)
    check(back.session_present is True, "session present through the other listener")
    check(back.get().payload == b"queued while away", "the queued message over WebSockets")

    again = Mqtt(ws=False, client_id=client_id, clean=False)
    check(again.session_present is True, "the takeover resumes the session")
    check(back.disconnected.wait(DEADLINE), "the WebSocket connection was taken over and closed")
    back.c.loop_stop()  # paho's loop would reconnect and take the session back
    again.publish(f"{t}/other", b"still connected", 1)
    again.close()
    Mqtt(ws=False, client_id=client_id, clean=True).close()  # a clean session ends it
    tcp.close()


# ---- interop --------------------------------------------------------------------------------


@scenario
def interop():
    """WebSocket clients and TCP clients of other protocols see each other's messages: STOMP
    over WebSockets → MQTT over TCP, MQTT over WebSockets → AMQP 0-9-1, AMQP → STOMP over
    WebSockets."""
    t = unique("ia")
    tcp_sub = Mqtt(ws=False)
    tcp_sub.subscribe(f"{t}/from-stomp", 1)
    s = StompWs()
    s.send(f"/topic/{t}.from-stomp", "hello mqtt")
    m = tcp_sub.get()
    check((m.topic, m.payload) == (f"{t}/from-stomp", b"hello mqtt"), f"MQTT got {m.topic} {m.payload}")

    amqp = amqp_connection(AMQP_PORT)
    ch = amqp.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "amq.topic", routing_key=f"{t}.from-mqtt")
    ws_pub = Mqtt()
    ws_pub.publish(f"{t}/from-mqtt", b"hello amqp", 1)
    body = None
    until = time.monotonic() + DEADLINE
    while body is None and time.monotonic() < until:
        _, _, body = ch.basic_get(q, auto_ack=True)
        if body is None:
            time.sleep(0.01)
    check(body == b"hello amqp", f"AMQP got {body}")

    s.subscribe(f"/topic/{t}.from-amqp", "s1")
    ch.basic_publish("amq.topic", f"{t}.from-amqp", b"hello stomp")
    check(s.wait_messages(1)[0].body == b"hello stomp", "STOMP over WebSockets got the AMQP message")
    amqp.close()
    s.close()
    ws_pub.close()
    tcp_sub.close()


# ---- raw sockets -------------------------------------------------------------------------------


KEY = "dGhlIHNhbXBsZSBub25jZQ=="


def upgrade_request(path="/ws", version="13", key=KEY, protocol="mqtt", extra=""):
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade",
             f"Sec-WebSocket-Version: {version}"]
    if key:
        lines.append(f"Sec-WebSocket-Key: {key}")
    if protocol:
        lines.append(f"Sec-WebSocket-Protocol: {protocol}")
    return ("\r\n".join(lines) + "\r\n" + extra + "\r\n").encode()


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
    return s


def read_all(s):
    """Everything until the server closes."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return data
        data += chunk


def read_head(s):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1)
        check(chunk, "the server closed before the response head ended")
        data += chunk
    return data.decode()


def frame(op, payload, masked=True, fin=True):
    head = bytes([(0x80 if fin else 0) | op])
    n = len(payload)
    m = 0x80 if masked else 0
    if n < 126:
        head += bytes([m | n])
    elif n <= 0xFFFF:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(s):
    def exact(n):
        return recv_exactly(s, n, "the server closed mid-frame")
    b0, b1 = exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = struct.unpack("!H", exact(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", exact(8))[0]
    check(not (b1 & 0x80), "server frames are not masked")
    return b0 & 0x0F, exact(n)


def expect_close(s, code):
    op, payload = read_frame(s)
    check(op == 0x8, f"a close frame, got opcode {op}")
    got = struct.unpack("!H", payload[:2])[0]
    check(got == code, f"close code {got}, expected {code} ({payload[2:]!r})")
    check(read_all(s) == b"", "the connection ends after the close frame")


@scenario
def raw_errors():
    """Bad upgrades get 400 / 404 / 426 and the connection ends; after a good upgrade, a ping
    gets its pong, an unmasked frame gets close 1002, a bad opcode 1002, a fragmented ping 1002,
    an oversized message 1009 and a close its echo; clients on both listeners keep working."""
    for port, request, status in (
            (MQTT_WS_PORT, upgrade_request(key=None), "400"),
            (MQTT_WS_PORT, b"CONNECT\naccept-version:1.2\n\n\x00\r\n\r\n", "400"),
            (MQTT_WS_PORT, upgrade_request(protocol="v12.stomp"), "400"),
            (STOMP_WS_PORT, upgrade_request(path="/stomp", protocol=None), "404"),
            (STOMP_WS_PORT, upgrade_request(version="8", protocol=None), "426")):
        s = connect(port)
        s.sendall(request)
        reply = read_all(s).decode()
        check(reply.startswith(f"HTTP/1.1 {status} "), f"{request!r} got {reply!r}")
        s.close()

    def opened(port=MQTT_WS_PORT, protocol="mqtt"):
        s = connect(port)
        s.sendall(upgrade_request(protocol=protocol))
        head = read_head(s)
        check(head.startswith("HTTP/1.1 101 "), head)
        check("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head, head)
        return s

    s = opened()
    s.sendall(frame(0x9, b"still there?"))
    check(read_frame(s) == (0xA, b"still there?"), "pong with the ping's payload")
    s.sendall(frame(0x2, b"\x10\x00", masked=False))
    expect_close(s, 1002)

    s = opened(STOMP_WS_PORT, "v12.stomp")
    s.sendall(frame(0x3, b"x"))
    expect_close(s, 1002)

    s = opened()
    s.sendall(frame(0x9, b"x", fin=False))
    expect_close(s, 1002)

    s = opened()  # max_packet_size (1 MiB) is the message limit: the header of a 2 MiB one is refused
    s.sendall(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 2 << 20) + os.urandom(4))
    expect_close(s, 1009)

    s = opened(STOMP_WS_PORT, "v12.stomp")
    s.sendall(frame(0x8, struct.pack("!H", 1000) + b"bye"))
    op, payload = read_frame(s)
    check(op == 0x8 and payload[:2] == struct.pack("!H", 1000), "close echoed")
    check(read_all(s) == b"", "closed after the echo")

    # A STOMP error inside a WebSocket: the ERROR frame, then close 1002.
    s = opened(STOMP_WS_PORT, "v12.stomp")
    s.sendall(frame(0x1, b"BOGUS\n\n\x00"))
    op, payload = read_frame(s)
    check(op == 0x1 and payload.startswith(b"ERROR\n"), f"an ERROR frame, got {op} {payload[:40]!r}")
    expect_close(s, 1002)

    # Everyone else is unaffected.
    c = StompWs()
    c.close()
    m = Mqtt()
    m.close()


def main():
    global STOMP_WS_PORT, STOMP_WS_BINARY_PORT, MQTT_WS_PORT, MQTT_PORT, AMQP_PORT
    (STOMP_WS_PORT, STOMP_WS_BINARY_PORT, MQTT_WS_PORT, MQTT_PORT, AMQP_PORT), names = ports_and_names(sys.argv, 5)
    run(names)


if __name__ == "__main__":
    main()
