#!/usr/bin/python3
"""MQTT scenarios against a running plexusd, driven by mqtt_integration_test.

Usage: scenarios.py MQTT_PORT AMQP_PORT SCENARIO...

Each scenario uses paho-mqtt (Debian's python3-paho-mqtt, 1.6), pika for the AMQP side, or a
raw socket for malformed input, the way an application would; it asserts what it observes,
prints "ok <scenario>" and the script exits 0; the first failed check raises (exit code 1).
Waits are bounded by deadlines. Every scenario uses its own topics and client ids, so they
may run in any order on one broker.
"""

import queue
import socket
import struct
import os
import sys
import threading
import time

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import (DEADLINE, scenario, check, eventually, unique, amqp_connection,  # noqa: E402
                              ports_and_names, recv_exactly, run)


MQTT_PORT = 0
AMQP_PORT = 0


class Client:
    """A paho client on its own network thread, with what it received in a queue."""

    def __init__(self, client_id="", v5=False, clean=True, will=None, expiry=None, username=None,
                 password=None, connect=True, receive_maximum=None, keepalive=30):
        self.v5 = v5
        self.keepalive = keepalive
        self.messages = queue.Queue()
        self.connected = threading.Event()
        self.disconnected = threading.Event()
        self.connack = None
        self.disconnect_rc = None
        self.acked = set()
        self.subacks = {}
        if v5:
            self.c = mqtt.Client(client_id=client_id, protocol=mqtt.MQTTv5)
        else:
            self.c = mqtt.Client(client_id=client_id, clean_session=clean, protocol=mqtt.MQTTv311)
        self.c.on_connect = self._on_connect
        self.c.on_disconnect = self._on_disconnect
        self.c.on_message = lambda c, u, m: self.messages.put(m)
        self.c.on_publish = lambda c, u, mid: self.acked.add(mid)
        self.c.on_subscribe = self._on_subscribe
        if username is not None:
            self.c.username_pw_set(username, password)
        if will:
            topic, payload, qos, retain = will[:4]
            props = will[4] if len(will) > 4 else None
            self.c.will_set(topic, payload, qos, retain, properties=props)
        self.clean = clean
        self.expiry = expiry
        self.receive_maximum = receive_maximum
        if connect:
            self.connect()

    def _on_connect(self, c, u, flags, rc, properties=None):
        self.connack = (flags.get("session present", 0), int(rc) if not hasattr(rc, "value") else rc.value,
                        properties)
        self.connected.set()

    def _on_disconnect(self, c, u, rc, properties=None):
        if self.disconnect_rc is None:  # paho reports the lost socket after the DISCONNECT
            self.disconnect_rc = rc.value if hasattr(rc, "value") else rc
        self.disconnected.set()

    def _on_subscribe(self, c, u, mid, granted, properties=None):
        self.subacks[mid] = [g.value if hasattr(g, "value") else g for g in granted]

    def connect(self, expect_rc=0):
        kw = {}
        if self.v5:
            props = Properties(PacketTypes.CONNECT)
            if self.expiry is not None:
                props.SessionExpiryInterval = self.expiry
            if self.receive_maximum is not None:
                props.ReceiveMaximum = self.receive_maximum
            kw = {"clean_start": self.clean, "properties": props}
        self.c.connect("127.0.0.1", MQTT_PORT, keepalive=self.keepalive, **kw)
        self.c.loop_start()
        check(self.connected.wait(DEADLINE), "CONNACK")
        check(self.connack[1] == expect_rc, f"CONNACK code {self.connack[1]}, expected {expect_rc}")
        return self

    def subscribe(self, topic, qos=0, options=None, properties=None):
        if self.v5:
            opts = options or SubscribeOptions(qos=qos)
            rc, mid = self.c.subscribe(topic, options=opts, properties=properties)
        else:
            rc, mid = self.c.subscribe(topic, qos)
        eventually(lambda: mid in self.subacks, "SUBACK")
        return self.subacks[mid]

    def publish(self, topic, payload, qos=0, retain=False, properties=None, wait=True):
        info = self.c.publish(topic, payload, qos, retain, properties=properties)
        if wait and qos > 0:
            eventually(lambda: info.mid in self.acked, f"the ack of a QoS {qos} publish")
        return info

    def get(self, deadline=DEADLINE):
        try:
            return self.messages.get(timeout=deadline)
        except queue.Empty:
            raise AssertionError("timed out waiting for a message")

    def nothing(self, seconds=0.4):
        try:
            m = self.messages.get(timeout=seconds)
        except queue.Empty:
            return
        raise AssertionError(f"unexpected message on {m.topic}: {m.payload!r}")

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()

    def drop(self):
        """The network goes away without DISCONNECT (a crashed device)."""
        self.c.loop_stop()
        self.c.socket().close()


def props(**kw):
    p = Properties(PacketTypes.PUBLISH)
    for k, v in kw.items():
        setattr(p, k, v)
    return p


# ---- QoS ------------------------------------------------------------------------------------


def qos_round(v5):
    t = unique("qos")
    sub = Client(unique("sub"), v5=v5)
    check(sub.subscribe(f"{t}/#", 2) == [2], "granted QoS 2")
    sub1 = Client(unique("sub1"), v5=v5)
    check(sub1.subscribe(f"{t}/#", 1) == [1], "granted QoS 1")
    pub = Client(unique("pub"), v5=v5)
    for qos in (0, 1, 2):
        pub.publish(f"{t}/q{qos}", f"m{qos}".encode(), qos)
        m = sub.get()
        check(m.topic == f"{t}/q{qos}" and m.payload == f"m{qos}".encode(), f"got {m.topic} {m.payload}")
        check(m.qos == qos, f"delivered at QoS {m.qos}, published at {qos}")
        m1 = sub1.get()
        check(m1.qos == min(qos, 1), f"QoS 1 subscriber got QoS {m1.qos}")
    for c in (sub, sub1, pub):
        c.close()


@scenario
def qos_v311():
    """QoS 0, 1 and 2 in both directions over 3.1.1; delivered at min(published, granted)."""
    qos_round(False)


@scenario
def qos_v5():
    qos_round(True)


@scenario
def qos2_many():
    """A burst of QoS 2 messages arrives once each and in order; the in-flight window is the
    client's receive maximum."""
    t = unique("burst")
    sub = Client(unique("s"), v5=True, receive_maximum=5)
    sub.subscribe(t, 2)
    pub = Client(unique("p"), v5=True)
    infos = [pub.publish(t, str(i).encode(), 2, wait=False) for i in range(200)]
    eventually(lambda: all(i.mid in pub.acked for i in infos), "200 PUBCOMPs")
    got = [int(sub.get().payload) for _ in range(200)]
    check(got == list(range(200)), "in order, once each")
    sub.nothing(0.3)
    sub.close()
    pub.close()


# ---- subscriptions ----------------------------------------------------------------------------


@scenario
def wildcards():
    """'+' and '#', dots inside levels, '$' topics not matched by leading wildcards, and
    overlapping subscriptions delivered once at the highest QoS with every identifier."""
    t = unique("wc")
    s = Client(unique("s"), v5=True)
    p1 = Properties(PacketTypes.SUBSCRIBE)
    p1.SubscriptionIdentifier = 11
    s.subscribe(f"{t}/+/temp", options=SubscribeOptions(qos=0), properties=p1)
    p2 = Properties(PacketTypes.SUBSCRIBE)
    p2.SubscriptionIdentifier = 22
    s.subscribe(f"{t}/#", options=SubscribeOptions(qos=1), properties=p2)
    hash_all = Client(unique("all"))
    hash_all.subscribe("#", 0)
    pub = Client(unique("p"))
    pub.publish(f"{t}/room1/temp", b"21", 1)
    m = s.get()
    check(m.topic == f"{t}/room1/temp" and m.qos == 1, f"{m.topic} at QoS {m.qos}")
    check(sorted(m.properties.SubscriptionIdentifier) == [11, 22], f"ids {m.properties.SubscriptionIdentifier}")
    s.nothing(0.3)  # once, not twice
    pub.publish(f"{t}/a.b/c.d", b"dots", 1)
    m = s.get()
    check(m.topic == f"{t}/a.b/c.d", f"dotted topic came back as {m.topic}")
    check(m.properties.SubscriptionIdentifier == [22], "only the '#' subscription matches")
    # '$' topics: not for '#', but for a filter that names them.
    dollar = Client(unique("d"))
    dollar.subscribe(f"${t}/#", 0)
    while not hash_all.messages.empty():
        hash_all.messages.get()
    pub.publish(f"${t}/x", b"sys", 1)
    check(dollar.get().topic == f"${t}/x", "an explicit $ filter matches")
    hash_all.nothing(0.3)
    for c in (s, hash_all, pub, dollar):
        c.close()


@scenario
def unsubscribe():
    t = unique("unsub")
    s = Client(unique("s"), v5=True)
    s.subscribe(f"{t}/#", 1)
    pub = Client(unique("p"))
    pub.publish(f"{t}/1", b"x", 1)
    s.get()
    rc, mid = s.c.unsubscribe(f"{t}/#")
    time.sleep(0.2)
    pub.publish(f"{t}/2", b"y", 1)
    s.nothing(0.4)
    s.close()
    pub.close()


@scenario
def no_local():
    t = unique("nl")
    c = Client(unique("c"), v5=True)
    c.subscribe(t, options=SubscribeOptions(qos=1, noLocal=True))
    other = Client(unique("o"))
    c.publish(t, b"mine", 1)
    other.publish(t, b"theirs", 1)
    check(c.get().payload == b"theirs", "only the other client's message")
    c.nothing(0.3)
    c.close()
    other.close()


@scenario
def shared():
    """Members of $share/group/filter compete; a non-shared subscriber sees everything."""
    t = unique("sh")
    a = Client(unique("a"), v5=True)
    b = Client(unique("b"), v5=True)
    a.subscribe(f"$share/g/{t}/#", 1)
    b.subscribe(f"$share/g/{t}/#", 1)
    plain = Client(unique("plain"))
    plain.subscribe(f"{t}/#", 1)
    pub = Client(unique("p"))
    for i in range(20):
        pub.publish(f"{t}/{i}", str(i).encode(), 1)
    got_plain = sorted(int(plain.get().payload) for _ in range(20))
    check(got_plain == list(range(20)), "the plain subscriber gets all")
    got = []
    eventually(lambda: a.messages.qsize() + b.messages.qsize() >= 20, "20 shared deliveries")
    na, nb = a.messages.qsize(), b.messages.qsize()
    while not a.messages.empty():
        got.append(int(a.messages.get().payload))
    while not b.messages.empty():
        got.append(int(b.messages.get().payload))
    check(sorted(got) == list(range(20)), f"each message to one member: {sorted(got)}")
    check(na > 0 and nb > 0, f"both members got some ({na}, {nb})")
    for c in (a, b, plain, pub):
        c.close()


@scenario
def shared_persistent():
    """A shared subscription belongs to each member's session: while the only member left is
    an offline persistent session, the group's messages wait for it, and it gets them when it
    resumes; when its session ends the group goes, and nothing is kept for it any more."""
    t = unique("shp")
    group = f"$share/keep/{t}"
    pid = unique("member")
    member = Client(pid, v5=True, clean=False, expiry=3600)
    member.subscribe(group, 1)
    passer = Client(unique("passer"), v5=True)
    passer.subscribe(group, 1)
    member.close()
    passer.close()  # a clean session: it leaves the group
    pub = Client(unique("p"))
    for i in range(5):
        pub.publish(t, f"held {i}".encode(), 1)
    back = Client(pid, v5=True, clean=False, expiry=3600)
    check(back.connack[0] == 1, "session present")
    got = sorted(back.get().payload for _ in range(5))
    check(got == [f"held {i}".encode() for i in range(5)], f"the group's messages waited: {got}")
    back.close()
    Client(pid, v5=True, clean=True).close()  # the session ends, and with it the group
    pub.publish(t, b"nobody's", 1)
    late = Client(unique("late"), v5=True)
    late.subscribe(group, 1)
    pub.publish(t, b"after", 1)
    check(late.get().payload == b"after", "a new group starts empty")
    late.nothing()
    late.close()
    pub.close()


# ---- retained, will, sessions -------------------------------------------------------------------


@scenario
def retained():
    t = unique("ret")
    pub = Client(unique("p"))
    pub.publish(f"{t}/a", b"first", 1, retain=True)
    pub.publish(f"{t}/a", b"latest", 1, retain=True)
    pub.publish(f"{t}/b", b"other", 1, retain=True)
    s = Client(unique("s"), v5=True)
    s.subscribe(f"{t}/+", 1)
    got = {}
    for _ in range(2):
        m = s.get()
        check(m.retain, "retained flag on a retained delivery")
        got[m.topic] = m.payload
    check(got == {f"{t}/a": b"latest", f"{t}/b": b"other"}, f"retained {got}")
    # A live delivery does not carry RETAIN unless retain-as-published.
    pub.publish(f"{t}/a", b"live", 1, retain=True)
    m = s.get()
    check(m.payload == b"live" and not m.retain, "live delivery without RETAIN")
    rap = Client(unique("rap"), v5=True)
    rap.subscribe(f"{t}/z", options=SubscribeOptions(qos=1, retainAsPublished=True))
    pub.publish(f"{t}/z", b"kept", 1, retain=True)
    check(rap.get().retain, "retain as published keeps the flag")
    # Retain handling 2: no retained messages at subscribe.
    never = Client(unique("n"), v5=True)
    never.subscribe(f"{t}/+", options=SubscribeOptions(qos=1, retainHandling=2))
    never.nothing(0.3)
    # An empty retained publish clears it.
    pub.publish(f"{t}/a", b"", 1, retain=True)
    late = Client(unique("late"))
    late.subscribe(f"{t}/a", 1)
    late.nothing(0.4)
    for c in (pub, s, rap, never, late):
        c.close()


@scenario
def will():
    """A will is published when the client vanishes, not after a normal DISCONNECT."""
    t = unique("will")
    watcher = Client(unique("w"))
    watcher.subscribe(f"{t}/#", 1)
    dying = Client(unique("dying"), will=(f"{t}/status", b"gone", 1, False))
    dying.drop()
    m = watcher.get()
    check(m.topic == f"{t}/status" and m.payload == b"gone" and m.qos == 1, f"will {m.topic} {m.payload}")
    polite = Client(unique("polite"), will=(f"{t}/status", b"should not", 1, False))
    polite.close()
    watcher.nothing(0.5)
    # v5: a will with a delay, cancelled by the client coming back in time.
    wp = Properties(PacketTypes.WILLMESSAGE)
    wp.WillDelayInterval = 2
    cid = unique("delayed")
    d = Client(cid, v5=True, expiry=60, will=(f"{t}/delayed", b"late", 1, False, wp))
    d.drop()
    back = Client(cid, v5=True, clean=False, expiry=60)
    watcher.nothing(2.5)
    back.close()
    watcher.close()


@scenario
def takeover():
    """A second connection with the same client id closes the first (v5: reason 0x8E)."""
    cid = unique("dup")
    first = Client(cid, v5=True)
    second = Client(cid, v5=True)
    check(first.disconnected.wait(DEADLINE), "the first connection is closed")
    check(not second.disconnected.is_set(), "the second stays")
    t = unique("after")
    second.subscribe(t, 1)
    second.publish(t, b"still here", 1)
    check(second.get().payload == b"still here", "the second works")
    second.close()
    first.c.loop_stop()
    old = Client(unique("dup311"))
    cid = old.c._client_id.decode()
    new = Client(cid)
    check(old.disconnected.wait(DEADLINE), "3.1.1: the first connection is closed")
    new.close()
    # The reason, as the first connection reads it (paho 1.6 reports only the lost socket).
    cid = unique("dupraw").encode()
    raw = raw_socket()
    raw.sendall(raw_connect(True, cid))
    rest = skip_connack(raw)
    taker = Client(cid.decode(), v5=True)
    check(disconnect_reason(rest + read_until_closed(raw)) == 0x8E, "DISCONNECT 0x8E")
    raw.close()
    taker.close()


def offline_round(v5):
    cid = unique("persist")
    t = unique("off")
    c = Client(cid, v5=v5, clean=False if not v5 else True, expiry=300 if v5 else None)
    c.subscribe(f"{t}/#", 1)
    c.close()
    pub = Client(unique("p"))
    pub.publish(f"{t}/1", b"while away", 1)
    pub.publish(f"{t}/2", b"qos0 too", 0)
    back = Client(cid, v5=v5, clean=False, expiry=300 if v5 else None)
    check(back.connack[0] == 1, "session present")
    got = sorted(back.get().payload for _ in range(2))
    check(got == [b"qos0 too", b"while away"], f"offline messages {got}")
    back.close()
    # Clean start throws the session away.
    fresh = Client(cid, v5=v5, clean=True)
    check(fresh.connack[0] == 0, "no session after clean start")
    pub.publish(f"{t}/3", b"nobody", 1)
    fresh.nothing(0.3)
    fresh.close()
    pub.close()


@scenario
def persistent_v311():
    offline_round(False)


@scenario
def persistent_v5():
    offline_round(True)


@scenario
def session_expiry_zero():
    """v5 with session expiry 0: nothing is kept after the connection."""
    cid = unique("noexp")
    t = unique("t")
    c = Client(cid, v5=True, expiry=0)
    c.subscribe(t, 1)
    c.close()
    pub = Client(unique("p"))
    pub.publish(t, b"lost", 1)
    back = Client(cid, v5=True, clean=False, expiry=0)
    check(back.connack[0] == 0, "no session present")
    back.nothing(0.3)
    back.close()
    pub.close()


@scenario
def persist_before():
    """Half of the restart test: a 3.1.1 persistent session subscribes, goes away, and a QoS 1
    message is published for it."""
    c = Client("restart-device", clean=False)
    c.subscribe("restart/#", 1)
    c.close()
    pub = Client(unique("p"))
    pub.publish("restart/x", b"survives", 1)
    pub.close()


def raw_v5_resume(client_id):
    """A raw MQTT 5 CONNECT with clean start 0 and a session expiry of an hour."""
    props = b"\x11" + struct.pack(">I", 3600)
    body = b"\x00\x04MQTT\x05\x00\x00\x1e" + bytes([len(props)]) + props
    body += struct.pack(">H", len(client_id)) + client_id
    return b"\x10" + bytes([len(body)]) + body


def raw_v5_qos2_publish(packet_id, topic, payload, dup=False):
    body = struct.pack(">H", len(topic)) + topic + struct.pack(">H", packet_id) + b"\x00" + payload
    return bytes([0x34 | (0x08 if dup else 0)]) + bytes([len(body)]) + body


def read_packet(s):
    """One packet: (its first byte, its body)."""
    first = recv_exactly(s, 1, "a packet")[0]
    length, shift = 0, 0
    while True:
        b = recv_exactly(s, 1, "a packet's remaining length")[0]
        length |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            break
    return first, recv_exactly(s, length, "the rest of a packet")


@scenario
def session_state_before():
    """Half of a restart test: what a persistent session is beyond its queue. An MQTT 5 session
    subscribes with a QoS cap, a subscription identifier and no local; one with a session
    expiry of 2 s goes away; a raw MQTT 5 publisher leaves a QoS 2 message at PUBREC, its
    PUBREL not sent, for a persistent subscriber; a persistent member of a shared subscription
    goes away with a message waiting for its group."""
    c = Client("restart-v5", v5=True, clean=False, expiry=3600)
    ids = Properties(PacketTypes.SUBSCRIBE)
    ids.SubscriptionIdentifier = 7
    c.subscribe("restart5/capped/+", options=SubscribeOptions(qos=0), properties=ids)
    c.subscribe("restart5/nolocal", options=SubscribeOptions(qos=1, noLocal=True))
    c.close()
    short = Client("restart-short", v5=True, clean=False, expiry=2)
    short.subscribe("restart5/short", 1)
    short.close()
    sub = Client("restart-q2-sub", clean=False)
    sub.subscribe("restart5/q2", 2)
    sub.close()
    member = Client("restart-shared", v5=True, clean=False, expiry=3600)
    member.subscribe("$share/rg/restart5/shared", 1)
    member.close()
    pub = Client(unique("p"))
    pub.publish("restart5/shared", b"kept for the group", 1)
    pub.close()
    s = raw_socket()
    s.sendall(raw_v5_resume(b"restart-q2-pub"))
    check(read_packet(s)[0] == 0x20, "CONNACK")
    s.sendall(raw_v5_qos2_publish(7, b"restart5/q2", b"once"))
    kind, body = read_packet(s)
    check(kind == 0x50 and body[:2] == b"\x00\x07", f"PUBREC for packet 7: {kind:#x} {body!r}")
    s.close()  # no PUBREL: the exchange is half done when plexusd stops


@scenario
def session_state_after():
    """The other half, after the restart: the subscription table, the QoS 2 id in flight and
    the session expiry came back with the queues."""
    c = Client("restart-v5", v5=True, clean=False, expiry=3600)
    check(c.connack[0] == 1, "session present after the restart")
    other = Client(unique("p"))
    other.publish("restart5/capped/a", b"capped", 1)
    m = c.get()
    check((m.topic, m.payload, m.qos) == ("restart5/capped/a", b"capped", 0), f"{m.topic} {m.payload} {m.qos}")
    check(m.properties.SubscriptionIdentifier == [7], f"subscription identifier {m.properties}")
    c.publish("restart5/nolocal", b"own", 1)
    other.publish("restart5/nolocal", b"theirs", 1)
    m = c.get()
    check((m.payload, m.qos) == (b"theirs", 1), f"no local kept: got {m.payload} first")
    c.nothing()
    c.close()
    Client("restart-v5", v5=True, clean=True).close()

    time.sleep(2.5)  # past the 2 s expiry, counted from the disconnect before the restart
    short = Client("restart-short", v5=True, clean=False, expiry=2)
    check(short.connack[0] == 0, "the 2 s session expired across the restart")
    short.close()

    s = raw_socket()
    s.sendall(raw_v5_resume(b"restart-q2-pub"))
    kind, body = read_packet(s)
    check(kind == 0x20 and body[0] == 1, f"the publisher's session present: {body!r}")
    s.sendall(raw_v5_qos2_publish(7, b"restart5/q2", b"once", dup=True))
    kind, body = read_packet(s)
    check(kind == 0x50 and body[:2] == b"\x00\x07", f"PUBREC again: {kind:#x} {body!r}")
    s.sendall(b"\x62\x02\x00\x07")  # PUBREL 7
    kind, body = read_packet(s)
    check(kind == 0x70 and body[:2] == b"\x00\x07" and body[2:3] in (b"", b"\x00"),
          f"PUBCOMP 7 success (the id was known): {body!r}")
    s.close()
    member = Client("restart-shared", v5=True, clean=False, expiry=3600)
    check(member.connack[0] == 1, "the shared member's session present")
    check(member.get().payload == b"kept for the group", "the group's message kept across the restart")
    member.close()
    Client("restart-shared", v5=True, clean=True).close()
    sub = Client("restart-q2-sub", clean=False)
    check(sub.get().payload == b"once", "the QoS 2 message")
    sub.nothing(0.5)  # exactly once: the resend after the restart was not published again
    sub.close()
    Client("restart-q2-sub", clean=True).close()
    Client("restart-q2-pub", clean=True).close()


@scenario
def sys_topics():
    """$SYS topics (the broker runs with sys_interval_s: 1): a subscriber to $SYS/# gets every
    value at once (retained) and again each second, the counts move with the traffic, and a
    '#' subscriber (MQTT or an AMQP queue bound to amq.topic with '#') never sees them."""
    everything = Client(unique("all"))
    everything.subscribe("#", 0)
    conn = amqp_connection(AMQP_PORT)
    ch = conn.channel()
    amqp_all = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(amqp_all, "amq.topic", routing_key="#")

    def snapshot(c, wanted):
        got = {}
        until = time.monotonic() + DEADLINE
        while not wanted <= got.keys() and time.monotonic() < until:
            m = c.get()
            got[m.topic] = (m.payload.decode(), m.retain)
        check(wanted <= got.keys(), f"$SYS topics seen: {sorted(got)}")
        return got

    names = {"$SYS/broker/version", "$SYS/broker/uptime", "$SYS/broker/clients/connected",
             "$SYS/broker/messages/received", "$SYS/broker/messages/sent",
             "$SYS/broker/publish/messages/received", "$SYS/broker/publish/messages/sent",
             "$SYS/broker/retained messages/count"}
    sysc = Client(unique("sys"))
    sysc.subscribe("$SYS/#", 0)
    first = snapshot(sysc, names)
    check(first["$SYS/broker/version"][0].startswith("plexus "), f"version {first['$SYS/broker/version']}")
    check(first["$SYS/broker/uptime"][0].endswith(" seconds"), f"uptime {first['$SYS/broker/uptime']}")
    check(all(retain for _, retain in first.values()), "the first values come as retained messages")
    until = time.monotonic() + DEADLINE
    connected = first
    while int(connected["$SYS/broker/clients/connected"][0]) < 2:  # the retained value may predate us
        check(time.monotonic() < until, f"clients connected stays {connected['$SYS/broker/clients/connected']}")
        connected = snapshot(sysc, {"$SYS/broker/clients/connected"})

    t = unique("count")
    for i in range(20):
        everything.publish(f"{t}/{i}", b"x", 1)
    before = int(first["$SYS/broker/publish/messages/received"][0])
    until = time.monotonic() + DEADLINE
    while True:
        later = snapshot(sysc, {"$SYS/broker/publish/messages/received"})
        if int(later["$SYS/broker/publish/messages/received"][0]) >= before + 20:
            break
        check(time.monotonic() < until, "the PUBLISH count grew by the 20 publishes")
    check(not later["$SYS/broker/publish/messages/received"][1], "updates are live messages, not retained copies")

    for _ in range(20):
        m = everything.get()
        check(not m.topic.startswith("$"), f"'#' got {m.topic}")
    everything.nothing(1.2)  # a $SYS round passed meanwhile
    _, _, body = ch.basic_get(amqp_all, auto_ack=True)
    while body is not None:
        check(body == b"x", f"the AMQP '#' queue got {body!r}")
        _, _, body = ch.basic_get(amqp_all, auto_ack=True)
    conn.close()
    now = int(snapshot(sysc, {"$SYS/broker/clients/connected"})["$SYS/broker/clients/connected"][0])
    everything.close()
    until = time.monotonic() + DEADLINE
    while int(snapshot(sysc, {"$SYS/broker/clients/connected"})["$SYS/broker/clients/connected"][0]) != now - 1:
        check(time.monotonic() < until, "clients connected fell by one when a client left")
    sysc.close()


@scenario
def max_keep_alive():
    """The broker runs with max_keep_alive_s: 2. A v5 client asking for more is told 2 in
    CONNACK (Server Keep Alive); one asking for none too, and a silent one is then closed
    after 1.5 x 2 s with 0x8D. A 3.1.1 client asking for more is refused (return code 2, as
    Mosquitto does); one within the limit is served."""
    c = Client(unique("ka5"), v5=True, keepalive=30)
    check(c.connack[2].ServerKeepAlive == 2, f"Server Keep Alive {c.connack[2]}")
    c.close()

    s = raw_socket()
    s.sendall(raw_connect(True, unique("ka0").encode()).replace(b"\x02\x00\x1e", b"\x02\x00\x00", 1))
    started = time.monotonic()
    kind, body = read_packet(s)
    check(kind == 0x20 and b"\x13\x00\x02" in body, f"CONNACK with Server Keep Alive 2: {body!r}")
    rest = read_until_closed(s)
    waited = time.monotonic() - started
    check(disconnect_reason(rest) == 0x8D, f"DISCONNECT keep alive timeout: {rest!r}")
    check(2.5 < waited < 6, f"closed after {waited:.1f} s, 1.5 x 2 s expected")
    s.close()

    refused = Client(unique("ka3"), keepalive=30, connect=False)
    refused.connect(expect_rc=2)
    refused.c.loop_stop()
    ok = Client(unique("ka3ok"), keepalive=2)
    ok.publish(unique("t"), b"served", 1)
    ok.close()


@scenario
def retained_before():
    """Half of a restart test: retained messages set, one replaced and one cleared."""
    pub = Client(unique("p"))
    pub.publish("restart/retained/kept", b"first", 1, retain=True)
    pub.publish("restart/retained/kept", b"kept", 1, retain=True)
    pub.publish("restart/retained/cleared", b"gone soon", 1, retain=True)
    pub.publish("restart/retained/cleared", b"", 1, retain=True)
    pub.close()


@scenario
def retained_after():
    c = Client(unique("s"))
    c.subscribe("restart/retained/#", 1)
    m = c.get()
    check(m.topic == "restart/retained/kept" and m.payload == b"kept" and m.retain, f"{m.topic} {m.payload}")
    c.nothing(0.5)  # the cleared one stays cleared
    c.close()


@scenario
def persist_after():
    c = Client("restart-device", clean=False)
    check(c.connack[0] == 1, "session present after the restart")
    m = c.get()
    check(m.topic == "restart/x" and m.payload == b"survives" and m.qos == 1, f"{m.topic} {m.payload} {m.qos}")
    c.close()
    Client("restart-device", clean=True).close()


# ---- v5 ---------------------------------------------------------------------------------------


@scenario
def connack_v5():
    """CONNACK properties: limits, features, and the id assigned to an empty client id."""
    c = Client("", v5=True)
    p = c.connack[2]
    check(p.AssignedClientIdentifier.startswith("plexus-"), "assigned client id")
    check(p.ReceiveMaximum == 1024 and p.TopicAliasMaximum == 64, "receive / topic alias maximum")
    check(p.MaximumPacketSize == 1 << 20, "maximum packet size")
    check(p.RetainAvailable == 1 and p.WildcardSubscriptionAvailable == 1, "retain and wildcards")
    check(p.SubscriptionIdentifierAvailable == 1 and p.SharedSubscriptionAvailable == 1, "ids and shared")
    check(not hasattr(p, "MaximumQoS"), "maximum QoS absent: 2")
    c.close()


@scenario
def properties_v5():
    """Content type, response topic, correlation data, user properties (order and duplicates),
    payload format and message expiry arrive as sent; a topic alias stands for its topic."""
    t = unique("props")
    s = Client(unique("s"), v5=True)
    s.subscribe(t, 1)
    pub = Client(unique("p"), v5=True)
    pp = props(ContentType="application/json", ResponseTopic=f"{t}/reply", CorrelationData=b"\x00\x01id",
               UserProperty=[("a", "1"), ("b", "2"), ("a", "3")], PayloadFormatIndicator=1,
               MessageExpiryInterval=120)
    pub.publish(t, b'{"x": 1}', 1, properties=pp)
    m = s.get()
    q = m.properties
    check(q.ContentType == "application/json", "content type")
    check(q.ResponseTopic == f"{t}/reply", "response topic")
    check(q.CorrelationData == b"\x00\x01id", "correlation data")
    check(q.UserProperty == [("a", "1"), ("b", "2"), ("a", "3")], f"user properties {q.UserProperty}")
    check(q.PayloadFormatIndicator == 1, "payload format")
    check(0 < q.MessageExpiryInterval <= 120, f"expiry {q.MessageExpiryInterval}")
    # Topic alias: set with the topic, then used alone.
    pub.publish(t, b"aliased-1", 1, properties=props(TopicAlias=3))
    pub.publish("", b"aliased-2", 1, properties=props(TopicAlias=3))
    check(s.get().payload == b"aliased-1" and s.get().payload == b"aliased-2", "topic alias")
    s.close()
    pub.close()


def parse_v5_publish(body):
    """(topic, topic alias or None, payload) of a QoS 0 v5 PUBLISH body."""
    n = struct.unpack(">H", body[:2])[0]
    topic, i = body[2:2 + n], 2 + n
    props_len = body[i]  # below 128 here
    props, payload = body[i + 1:i + 1 + props_len], body[i + 1 + props_len:]
    alias, j = None, 0
    while j < len(props):
        if props[j] == 0x23:
            alias = struct.unpack(">H", props[j + 1:j + 3])[0]
            j += 3
        else:
            raise AssertionError(f"unexpected property {props[j]:#x} in {props!r}")
    return topic.decode(), alias, payload


@scenario
def outbound_alias_size():
    """A topic alias never takes a delivery over the client's Maximum Packet Size: a packet that
    fits only without one goes out with its topic and no alias; once the topic has an alias, a
    packet of that size fits with the alias alone."""
    limit = 100
    topic = unique("sz")
    s = raw_socket()
    props = b"\x22" + struct.pack(">H", 4) + b"\x27" + struct.pack(">I", limit)
    cid = unique("raw-alias").encode()
    body = b"\x00\x04MQTT\x05\x02\x00\x1e" + bytes([len(props)]) + props + struct.pack(">H", len(cid)) + cid
    s.sendall(b"\x10" + bytes([len(body)]) + body)
    kind, _ = read_packet(s)
    check(kind == 0x20, "CONNACK")
    sub = struct.pack(">H", 1) + b"\x00" + struct.pack(">H", len(topic)) + topic.encode() + b"\x00"
    s.sendall(b"\x82" + bytes([len(sub)]) + sub)
    kind, _ = read_packet(s)
    check(kind == 0x90, "SUBACK")
    # Exactly `limit` bytes without an alias: fixed header 2, topic 2 + len, properties 1.
    exact = b"e" * (limit - 2 - 2 - len(topic) - 1)
    pub = Client(unique("alias-pub"), v5=True)
    for payload in (exact, b"small", exact):
        pub.publish(topic, payload, 1)
    got = [parse_v5_publish(read_packet(s)[1]) for _ in range(3)]
    check(got[0] == (topic, None, exact), f"the full-size packet without an alias: {got[0]!r}")
    check(got[1] == (topic, 1, b"small"), f"the next one sets alias 1: {got[1]!r}")
    check(got[2] == ("", 1, exact), f"the full-size one by alias: {got[2]!r}")
    pub.close()
    s.close()


@scenario
def message_expiry():
    """A message that expires while its subscriber is offline is not delivered."""
    cid = unique("exp")
    t = unique("t")
    c = Client(cid, v5=True, expiry=60)
    c.subscribe(t, 1)
    c.close()
    pub = Client(unique("p"), v5=True)
    pub.publish(t, b"short", 1, properties=props(MessageExpiryInterval=1))
    pub.publish(t, b"long", 1, properties=props(MessageExpiryInterval=60))
    time.sleep(1.3)
    back = Client(cid, v5=True, clean=False, expiry=0)
    check(back.get().payload == b"long", "only the message that has not expired")
    back.nothing(0.3)
    back.close()
    pub.close()


@scenario
def auth():
    """guest/guest is accepted from loopback; anything else is refused with the right code."""
    Client(unique("g"), username="guest", password="guest").close()
    bad = Client(unique("b"), username="guest", password="nope", connect=False)
    bad.connect(expect_rc=4)
    bad.c.loop_stop()
    bad5 = Client(unique("b5"), v5=True, username="someone", password="x", connect=False)
    bad5.connect(expect_rc=0x86)
    bad5.c.loop_stop()


# ---- interop ----------------------------------------------------------------------------------


@scenario
def mqtt_to_amqp():
    """An MQTT publish reaches an AMQP queue bound to amq.topic, properties mapped."""
    t = unique("i")
    conn = amqp_connection(AMQP_PORT)
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.queue_bind(q, "amq.topic", f"{t}.sensors.*")
    pub = Client(unique("p"), v5=True)
    pub.publish(f"{t}/sensors/v1.2", b"reading", 1,
                properties=props(ContentType="text/plain", CorrelationData=b"corr-7",
                                 ResponseTopic="replies/here", UserProperty=[("site", "north")]))
    until = time.monotonic() + DEADLINE
    got = None
    while got is None and time.monotonic() < until:
        method, p, body = ch.basic_get(q, auto_ack=True)
        if method:
            got = (method, p, body)
        else:
            time.sleep(0.02)
    check(got is not None, "the AMQP queue got the message")
    method, p, body = got
    check(body == b"reading", "body")
    check(method.routing_key == f"{t}.sensors.v1/2", f"routing key {method.routing_key}")
    check(p.content_type == "text/plain", "content_type")
    check(p.correlation_id == "corr-7", f"correlation_id {p.correlation_id}")
    check(p.reply_to == "replies/here", "reply_to")
    check(p.headers.get("site") in ("north", b"north"), f"headers {p.headers}")
    check(p.delivery_mode == 2, "QoS 1 is persistent")
    conn.close()
    pub.close()


@scenario
def follow_subscriber_shard():
    """Sessions that only publish move to the shard of their subscriber's queue (plexusd logs
    each move; the test counts them): every message still arrives once, in each publisher's
    order, QoS 1 acks keep coming after the move, keep-alive holds on the new shard, and a
    takeover finds a moved session. A client that also subscribes stays where it is."""
    sub = Client(unique("follow-sub"), v5=True)
    sub.subscribe("follow/#", 1)
    per_publisher = 300
    publishers = []
    for n in range(12):  # on the subscriber's shard or the other one, as the OS spreads them
        publishers.append((n, Client(unique(f"follow-pub{n}"), v5=n % 3 == 0, keepalive=2)))
    for i in range(per_publisher):
        for n, p in publishers:
            p.publish(f"follow/{n}", f"{n}:{i}".encode(), qos=n % 2, wait=False)
    for n, p in publishers:
        p.publish(f"follow/{n}", f"{n}:{per_publisher}".encode(), qos=1)  # acked after the move
    total = len(publishers) * (per_publisher + 1)
    got = []
    while len(got) < total:
        got.append(sub.get().payload.decode())
    sub.nothing(0.2)
    for n, _p in publishers:
        mine = [int(b.split(":")[1]) for b in got if b.split(":")[0] == str(n)]
        check(mine == list(range(per_publisher + 1)), f"publisher {n} arrived out of order or lost some")
    # A publisher that also subscribes keeps its subscription's shard.
    mixed = Client(unique("follow-mixed"), v5=True)
    own = unique("follow-own")
    mixed.subscribe(own, 0)
    for i in range(200):
        mixed.publish("follow/mixed", b"mixed", wait=False)
    mixed.publish(own, b"own")
    check(mixed.get().payload == b"own", "the mixed client's own message")
    for _ in range(200):
        check(sub.get().payload == b"mixed", "the mixed client's publishes")
    time.sleep(3.2)  # past 1.5 x the keep-alive of the moved publishers
    for n, p in publishers:
        check(not p.disconnected.is_set(), f"moved publisher {n} was closed")
        p.publish(f"follow/{n}", b"late", qos=1)
        check(sub.get().payload == b"late", f"publisher {n} after the keep-alive interval")
    # A new connection with a moved publisher's client id takes its session over.
    first = publishers[0][1]
    taker = Client(first.c._client_id.decode(), v5=True)
    check(first.disconnected.wait(DEADLINE), "the moved session is taken over")
    first.c.loop_stop()  # paho would connect again and take the session back
    check(not taker.disconnected.is_set(), "the taker stays")
    taker.close()
    for _n, p in publishers[1:]:
        p.close()
    mixed.close()
    sub.close()


@scenario
def amqp_to_mqtt():
    """An AMQP publish to amq.topic reaches MQTT subscribers, properties mapped."""
    import pika
    t = unique("j")
    s = Client(unique("s"), v5=True)
    s.subscribe(f"{t}/+/events", 1)
    conn = amqp_connection(AMQP_PORT)
    ch = conn.channel()
    ch.basic_publish("amq.topic", f"{t}.orders.events", b"from amqp",
                     pika.BasicProperties(content_type="application/json", correlation_id="c-1",
                                          reply_to="answers", headers={"n": 5, "s": "v"}))
    m = s.get()
    check(m.topic == f"{t}/orders/events" and m.payload == b"from amqp", f"{m.topic} {m.payload}")
    check(m.qos == 1, "granted QoS decides for other protocols")
    q = m.properties
    check(q.ContentType == "application/json", "content type")
    check(q.CorrelationData == b"c-1", "correlation data")
    check(q.ResponseTopic == "answers", "response topic")
    check(("n", "5") in q.UserProperty and ("s", "v") in q.UserProperty, f"user properties {q.UserProperty}")
    conn.close()
    s.close()


# ---- malformed input --------------------------------------------------------------------------


def raw_connect(v5=False, client_id=b"raw"):
    body = b"\x00\x04MQTT" + (b"\x05" if v5 else b"\x04") + b"\x02\x00\x1e"
    if v5:
        body += b"\x00"
    body += struct.pack(">H", len(client_id)) + client_id
    return b"\x10" + bytes([len(body)]) + body


def skip_connack(s):
    """Reads the server's CONNACK off `s`; returns any bytes that came after it."""
    data = b""
    while len(data) < 2 or len(data) < data[1] + 2:
        chunk = s.recv(4096)
        check(chunk, "CONNACK")
        data += chunk
    check(data[0] == 0x20, f"CONNACK first: {data!r}")
    return data[data[1] + 2:]


def raw_socket():
    s = socket.create_connection(("127.0.0.1", MQTT_PORT), timeout=DEADLINE)
    return s


def read_until_closed(s):
    """Everything the server sends until it closes the connection."""
    data = b""
    until = time.monotonic() + DEADLINE
    while time.monotonic() < until:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            return data
        if not chunk:
            return data
        data += chunk
    raise AssertionError("the server did not close the connection")


def after_connack(data):
    """What the server sent after its CONNACK."""
    check(len(data) >= 2 and data[0] == 0x20, f"CONNACK first: {data!r}")
    return data[data[1] + 2:]


def disconnect_reason(rest):
    """The reason code of the v5 DISCONNECT at the start of `rest`."""
    check(len(rest) >= 3 and rest[0] == 0xE0, f"a DISCONNECT: {rest!r}")
    i = 1
    while rest[i] & 0x80:  # the remaining length
        i += 1
    return rest[i + 1]


def malformed(name, v5, packet, connect=True):
    """Sends `packet` (after a CONNECT when `connect`) on a raw socket; returns what the server
    sent after its CONNACK until it closed. A bystander client keeps working throughout."""
    bystander = Client(unique("by"))
    t = unique(name)
    bystander.subscribe(t, 1)
    s = raw_socket()
    if connect:
        s.sendall(raw_connect(v5, unique("raw").encode()))
    s.sendall(packet)
    data = read_until_closed(s)
    s.close()
    bystander.publish(t, b"alive", 1)
    check(bystander.get().payload == b"alive", "other clients keep working")
    bystander.close()
    return after_connack(data) if connect else data


@scenario
def malformed_remaining_length():
    """Five remaining-length bytes: v5 hears 0x81, 3.1.1 is just closed."""
    check(disconnect_reason(malformed("mrl", True, b"\x30\xff\xff\xff\xff\x01")) == 0x81, "0x81")
    check(malformed("mrl3", False, b"\x30\xff\xff\xff\xff\x01") == b"", "3.1.1: closed without a word")


@scenario
def malformed_packet_type():
    check(disconnect_reason(malformed("mpt", True, b"\x00\x00")) == 0x81, "reserved type 0: 0x81")
    check(malformed("mpt3", False, b"\xf0\x00") == b"", "AUTH in 3.1.1: closed")


@scenario
def malformed_publish_before_connect():
    check(malformed("pbc", False, b"\x30\x05\x00\x01ahi", connect=False) == b"", "closed, nothing sent")


@scenario
def malformed_utf8_topic():
    check(malformed("utf", False, b"\x30\x06\x00\x02\xc3\x28hi") == b"", "3.1.1: closed")
    check(disconnect_reason(malformed("utf5", True, b"\x30\x07\x00\x02\xc3\x28\x00hi")) == 0x81, "v5: 0x81")


@scenario
def malformed_v5_reasons():
    """v5 hears why: 0x82 for a packet only servers send, 0x90 for a wildcard in a PUBLISH
    topic, 0x94 for a topic alias above the maximum, 0x95 for a packet over the maximum size."""
    cases = (
        (b"\xd0\x00", 0x82),
        (b"\x30\x06\x00\x03a/#\x00", 0x90),
        (b"\x30\x09\x00\x01a\x03\x23\x03\xe8hi", 0x94),
        (b"\x30\xff\xff\x7f", 0x95),
    )
    for packet, code in cases:
        got = disconnect_reason(malformed("v5r", True, packet))
        check(got == code, f"expected {code:#x}, got {got:#x}")


@scenario
def malformed_connect():
    """A CONNECT for an unknown protocol level gets return code 1; a bad one just a close."""
    s = raw_socket()
    s.sendall(b"\x10\x0d\x00\x04MQTT\x07\x02\x00\x1e\x00\x01x")
    check(read_until_closed(s) == b"\x20\x02\x00\x01", "CONNACK 0x01")
    s.close()
    s = raw_socket()
    s.sendall(b"\x10\x0d\x00\x04MQTT\x04\x03\x00\x1e\x00\x01x")  # the reserved flag
    check(read_until_closed(s) == b"", "3.1.1: a malformed CONNECT is closed without CONNACK")
    s.close()
    s = raw_socket()
    s.sendall(b"\x10\x0e\x00\x04MQTT\x05\x03\x00\x1e\x00\x00\x01x")
    data = read_until_closed(s)
    check(len(data) >= 4 and data[0] == 0x20 and data[3] == 0x81, f"v5: CONNACK 0x81, got {data!r}")
    s.close()


def main():
    global MQTT_PORT, AMQP_PORT
    (MQTT_PORT, AMQP_PORT), names = ports_and_names(sys.argv, 2)
    run(names)


if __name__ == "__main__":
    main()
