#!/usr/bin/python3
"""Logins against the broker's configured users, through every gateway, with real clients.

Usage: users.py AMQP_PORT MQTT_PORT STOMP_PORT MQTT_OTHER_PORT

plexusd runs with users app/s3cret (vhost "/") and limited/pw (vhost "other" only), so the
default guest does not exist; MQTT_OTHER_PORT is an MQTT listener of vhost "other". Prints "ok" and exits 0, or raises on the first failed check.
"""

import os
import sys
import time

import paho.mqtt.client as mqtt
import pika
import pika.exceptions
import stomp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import check, amqp_connection, ports_and_names  # noqa: E402

(amqp_port, mqtt_port, stomp_port, mqtt_other_port), _ = ports_and_names(sys.argv, 4)


def amqp(user, password, vhost="/"):
    return amqp_connection(amqp_port, virtual_host=vhost, credentials=pika.PlainCredentials(user, password))


def amqp_refused(user, password, vhost, expected):
    try:
        amqp(user, password, vhost).close()
    except pika.exceptions.AMQPConnectionError as e:
        said = " ".join(str(x) for x in (e, *e.args, e.__cause__, e.__context__))
        check(expected in said, f"expected {expected} in {said}")
        return
    raise AssertionError(f"{user} on {vhost} was let in")


# AMQP 0-9-1: the configured user works; a wrong password, an unknown user (guest, which the
# config does not define) and a vhost the user may not use are refused.
c = amqp("app", "s3cret")
ch = c.channel()
ch.queue_declare("users-q")
ch.basic_publish("", "users-q", b"from app")
m, _, body = ch.basic_get("users-q", auto_ack=True)
check(body == b"from app", "app can publish and get")
c.close()
amqp_refused("app", "wrong", "/", "ACCESS_REFUSED")
amqp_refused("guest", "guest", "/", "ACCESS_REFUSED")
amqp_refused("limited", "pw", "/", "access to vhost '/' refused for user 'limited'")
amqp("limited", "pw", "other").close()


# MQTT: the same users (CONNACK 0 / 4 / 5 for 3.1.1), and a listener's vhost.
def mqtt_client(user, password, port=None, client_id=None):
    """A connected paho client (its CONNACK code in .rc, what it receives in .got) or one
    whose CONNACK refused (.rc), its network loop running."""
    client = mqtt.Client(client_id=client_id or f"users-{user}-{time.monotonic_ns()}", protocol=mqtt.MQTTv311)
    client.username_pw_set(user, password)
    client.rc = None
    client.got = []
    client.gone = False
    client.on_connect = lambda _c, _u, _f, rc: setattr(client, "rc", rc)
    client.on_message = lambda _c, _u, m: client.got.append(m.payload)
    client.on_disconnect = lambda *a: setattr(client, "gone", True)
    client.connect("127.0.0.1", port or mqtt_port)
    client.loop_start()
    until = time.monotonic() + 10
    while client.rc is None and time.monotonic() < until:
        time.sleep(0.01)
    return client


def mqtt_connect(user, password, port=None):
    client = mqtt_client(user, password, port)
    client.loop_stop()
    client.disconnect()
    return client.rc


check(mqtt_connect("app", "s3cret") == 0, "MQTT login as app")
check(mqtt_connect("app", "wrong") == 4, "MQTT wrong password is bad user name or password")
check(mqtt_connect("guest", "guest") == 4, "MQTT guest is not a configured user")
check(mqtt_connect("limited", "pw") == 5, "MQTT: limited may not use the '/' listener's vhost")
check(mqtt_connect("limited", "pw", mqtt_other_port) == 0, "MQTT: limited on the 'other' listener")
check(mqtt_connect("app", "s3cret", mqtt_other_port) == 5, "MQTT: app may not use vhost 'other'")

# Two vhosts are two brokers to MQTT clients: a retained message of one is not seen in the
# other, and one client id names a session in each (neither takes the other over).
pub = mqtt_client("app", "s3cret")
pub.publish("users/state", b"in /", qos=1, retain=True).wait_for_publish(10)
there = mqtt_client("limited", "pw", mqtt_other_port)
there.subscribe("users/#", 1)
here = mqtt_client("app", "s3cret")
here.subscribe("users/#", 1)
until = time.monotonic() + 10
while not here.got and time.monotonic() < until:
    time.sleep(0.01)
check(here.got == [b"in /"], f"the '/' subscriber got the retained message: {here.got}")
time.sleep(0.5)
check(there.got == [], f"the 'other' subscriber got nothing of '/': {there.got}")
first = mqtt_client("app", "s3cret", mqtt_port, client_id="users-same-id")
second = mqtt_client("limited", "pw", mqtt_other_port, client_id="users-same-id")
check(first.rc == 0 and second.rc == 0, "one client id in each vhost")
time.sleep(0.5)
check(not first.gone, "the '/' session was not taken over by the 'other' one")
pub.publish("users/state", b"", qos=1, retain=True).wait_for_publish(10)
for c in (pub, there, here, first, second):
    c.loop_stop()
    c.disconnect()


# STOMP 1.2.
def stomp_connect(user, password):
    conn = stomp.Connection12([("127.0.0.1", stomp_port)], vhost="/")
    try:
        conn.connect(user, password, wait=True)
    except stomp.exception.ConnectFailedException:
        return False
    ok = conn.is_connected()
    conn.disconnect()
    return ok


check(stomp_connect("app", "s3cret"), "STOMP login as app")
check(not stomp_connect("app", "wrong"), "STOMP wrong passcode is refused")
print("ok")
