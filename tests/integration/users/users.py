#!/usr/bin/python3
"""Logins against the broker's configured users, through every gateway, with real clients.

Usage: users.py AMQP_PORT MQTT_PORT STOMP_PORT

plexusd runs with users app/s3cret (vhost "/") and limited/pw (vhost "other" only), so the
default guest does not exist. Prints "ok" and exits 0, or raises on the first failed check.
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

(amqp_port, mqtt_port, stomp_port), _ = ports_and_names(sys.argv, 3)


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


# MQTT: the same users (CONNACK 0 / 4 for 3.1.1).
def mqtt_connect(user, password):
    result = {}
    client = mqtt.Client(client_id=f"users-{user}-{time.monotonic_ns()}", protocol=mqtt.MQTTv311)
    client.username_pw_set(user, password)
    client.on_connect = lambda _c, _u, _f, rc: result.setdefault("rc", rc)
    client.connect("127.0.0.1", mqtt_port)
    client.loop_start()
    until = time.monotonic() + 10
    while "rc" not in result and time.monotonic() < until:
        time.sleep(0.01)
    client.loop_stop()
    client.disconnect()
    return result.get("rc")


check(mqtt_connect("app", "s3cret") == 0, "MQTT login as app")
check(mqtt_connect("app", "wrong") == 4, "MQTT wrong password is bad user name or password")
check(mqtt_connect("guest", "guest") == 4, "MQTT guest is not a configured user")


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
