#!/usr/bin/python3
"""One message, four protocols: STOMP ⇄ MQTT ⇄ AMQP 0-9-1 through amq.topic, MQTT → Kafka
through a stream bound to amq.topic, and Kafka → MQTT and AMQP through a stream that forwards to
amq.topic (declared through AMQP, and created through Kafka with the topic config
plexus.forward.exchange), with the properties docs/interop.md maps, driven by stomp.py,
paho-mqtt, pika and kafka-python.

Usage: interop.py AMQP_PORT MQTT_PORT STOMP_PORT KAFKA_PORT   (prints "ok" and exits 0, or raises)
"""

import decimal
import os
import queue
import sys
import time

import kafka
from kafka.admin import KafkaAdminClient, NewTopic
import paho.mqtt.client as mqtt
import pika
import stomp
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from scenario_support import DEADLINE, check, amqp_connection, ports_and_names  # noqa: E402

(amqp_port, mqtt_port, stomp_port, kafka_port), _ = ports_and_names(sys.argv, 4)


class MqttSubscriber:
    def __init__(self, topic):
        self.got = queue.Queue()
        self.c = mqtt.Client(client_id=f"interop-{time.monotonic_ns()}", protocol=mqtt.MQTTv5)
        self.c.on_message = lambda _c, _u, m: self.got.put(m)
        subscribed = queue.Queue()
        self.c.on_subscribe = lambda *_a: subscribed.put(True)
        self.c.connect("127.0.0.1", mqtt_port)
        self.c.loop_start()
        self.c.subscribe(topic, qos=1)
        subscribed.get(timeout=DEADLINE)

    def next(self):
        return self.got.get(timeout=DEADLINE)

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


class StompSubscriber(stomp.ConnectionListener):
    def __init__(self, destination):
        self.got = queue.Queue()
        self.conn = stomp.Connection12([("127.0.0.1", stomp_port)], vhost="/", auto_decode=False)
        self.conn.set_listener("s", self)
        self.conn.connect("guest", "guest", wait=True)
        self.receipts = queue.Queue()
        self.conn.subscribe(destination, "s1", ack="auto", headers={"receipt": "sub"})
        self.receipts.get(timeout=DEADLINE)

    def on_receipt(self, frame):
        self.receipts.put(frame)

    def on_message(self, frame):
        self.got.put(frame)

    def next(self):
        return self.got.get(timeout=DEADLINE)

    def close(self):
        self.conn.disconnect()


def stomp_send(destination, body, **headers):
    conn = stomp.Connection12([("127.0.0.1", stomp_port)], vhost="/")
    done = queue.Queue()

    class receipts(stomp.ConnectionListener):
        def on_receipt(self, frame):
            done.put(frame)

    conn.set_listener("r", receipts())
    conn.connect("guest", "guest", wait=True)
    conn.send(destination, body, headers=dict(headers, receipt="sent"))
    done.get(timeout=DEADLINE)
    conn.disconnect()


# STOMP → MQTT: /topic/a.b is MQTT topic a/b; content-type and custom headers carried.
sub = MqttSubscriber("interop/stomp")
stomp_send("/topic/interop.stomp", "from stomp", **{"content-type": "text/plain", "tenant": "acme",
                                                   "correlation-id": "c-1"})
m = sub.next()
check(m.topic == "interop/stomp" and m.payload == b"from stomp", f"MQTT got {m.topic} {m.payload}")
props = m.properties
check(getattr(props, "ContentType", None) == "text/plain", f"content type {props}")
check(("tenant", "acme") in getattr(props, "UserProperty", []), f"user properties {props}")
check(getattr(props, "CorrelationData", None) == b"c-1", f"correlation data {props}")
sub.close()

# MQTT → STOMP: a v5 publish to a/b reaches /topic/a.b with its properties as headers.
ssub = StompSubscriber("/topic/interop.mqtt")
pub = mqtt.Client(client_id=f"interop-pub-{time.monotonic_ns()}", protocol=mqtt.MQTTv5)
pub.connect("127.0.0.1", mqtt_port)
pub.loop_start()
p = Properties(PacketTypes.PUBLISH)
p.ContentType = "application/json"
p.UserProperty = [("origin", "device-7")]
pub.publish("interop/mqtt", b'{"t": 21.5}', qos=1, properties=p).wait_for_publish(DEADLINE)
f = ssub.next()
check(f.body == b'{"t": 21.5}', f"STOMP got {f.body!r}")
check(f.headers.get("content-type") == "application/json", f"content-type {f.headers}")
check(f.headers.get("origin") == "device-7", f"user property as a header {f.headers}")
check(f.headers.get("destination") == "/topic/interop.mqtt", f"destination {f.headers}")
pub.loop_stop()
pub.disconnect()
ssub.close()

# AMQP → MQTT and STOMP at once: amq.topic routing key a.b reaches both.
msub = MqttSubscriber("interop/amqp")
ssub = StompSubscriber("/topic/interop.amqp")
c = amqp_connection(amqp_port)
ch = c.channel()
# A decimal header needs the AMQP gateway's type hint (an x-plexus- header) to come back as a
# decimal; MQTT and STOMP clients must not see such internal headers.
ch.basic_publish("amq.topic", "interop.amqp", b"from amqp",
                 pika.BasicProperties(content_type="text/csv",
                                      headers={"batch": "9", "rate": decimal.Decimal("1.5")}))
m = msub.next()
check(m.payload == b"from amqp" and getattr(m.properties, "ContentType", None) == "text/csv", f"MQTT {m.payload}")
f = ssub.next()
check(f.body == b"from amqp" and f.headers.get("content-type") == "text/csv", f"STOMP {f.headers}")
check(f.headers.get("batch") == "9", f"STOMP header {f.headers}")
check(not any(k.startswith("x-plexus-") for k in f.headers), f"internal headers shown to STOMP: {f.headers}")
check(not any(k.startswith("x-plexus-") for k, _ in getattr(m.properties, "UserProperty", [])),
      f"internal headers shown to MQTT: {m.properties}")
c.close()
msub.close()
ssub.close()

# MQTT → Kafka: a stream bound to amq.topic (here by an AMQP client) is a Kafka topic; an MQTT
# publish to sensors/… is a record with the MQTT topic's routing key, its payload the value and
# its user properties the headers.
c = amqp_connection(amqp_port)
ch = c.channel()
ch.queue_declare("interop-sensors", durable=True, arguments={"x-queue-type": "stream"})
ch.queue_bind("interop-sensors", "amq.topic", "interop.sensors.#")
c.close()
pub = mqtt.Client(client_id=f"interop-kpub-{time.monotonic_ns()}", protocol=mqtt.MQTTv5)
pub.connect("127.0.0.1", mqtt_port)
pub.loop_start()
p = Properties(PacketTypes.PUBLISH)
p.UserProperty = [("unit", "celsius")]
pub.publish("interop/sensors/room-1", b"21.5", qos=1, properties=p).wait_for_publish(DEADLINE)
pub.publish("interop/other", b"not for the stream", qos=1).wait_for_publish(DEADLINE)
pub.loop_stop()
pub.disconnect()
consumer = kafka.KafkaConsumer("interop-sensors", bootstrap_servers=f"127.0.0.1:{kafka_port}",
                               auto_offset_reset="earliest", consumer_timeout_ms=int(DEADLINE * 1000),
                               api_version=(2, 5, 0))
records = []
for record in consumer:
    records.append(record)
    break
consumer.close()
check(len(records) == 1, "the Kafka consumer got nothing")
r = records[0]
check(r.value == b"21.5", f"Kafka value {r.value!r}")
check(("unit", b"celsius") in r.headers, f"Kafka headers {r.headers}")

# Kafka → MQTT and AMQP: a stream that forwards to amq.topic (declared here by an AMQP client
# with x-plexus-forward-exchange) publishes each produced record with its topic as the routing
# key, so the Kafka topic interop.kafka reaches MQTT subscribers of interop/kafka and AMQP
# queues bound with interop.kafka.
c = amqp_connection(amqp_port)
ch = c.channel()
ch.queue_declare("interop.kafka", durable=True,
                 arguments={"x-queue-type": "stream", "x-plexus-forward-exchange": "amq.topic"})
q = ch.queue_declare("", exclusive=True).method.queue
ch.queue_bind(q, "amq.topic", "interop.kafka")
msub = MqttSubscriber("interop/kafka")
producer = kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{kafka_port}", api_version=(2, 5, 0))
producer.send("interop.kafka", value=b"from kafka", key=b"k-1", headers=[("origin", b"kafka")]).get(timeout=DEADLINE)
producer.close()
m = msub.next()
check(m.topic == "interop/kafka" and m.payload == b"from kafka", f"MQTT got {m.topic} {m.payload}")
check(("origin", "kafka") in getattr(m.properties, "UserProperty", []), f"MQTT user properties {m.properties}")
msub.close()
until = time.monotonic() + DEADLINE
method, props, body = ch.basic_get(q, auto_ack=True)
while method is None and time.monotonic() < until:
    time.sleep(0.05)
    method, props, body = ch.basic_get(q, auto_ack=True)
check(body == b"from kafka" and method.exchange == "amq.topic", f"AMQP got {body!r}")
check(props.headers.get("origin") == "kafka", f"AMQP headers {props.headers}")
check(not any(k.startswith("x-plexus-") for k in props.headers), f"internal headers shown to AMQP: {props.headers}")
c.close()

# Kafka → AMQP without an AMQP declare: a topic the Kafka admin client creates with the topic
# config plexus.forward.exchange=amq.topic forwards its records there as well.
admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{kafka_port}", api_version=(2, 5, 0))
admin.create_topics([NewTopic("interop.kafka-made", 1, 1, topic_configs={"plexus.forward.exchange": "amq.topic"})])
admin.close()
c = pika.BlockingConnection(pika.ConnectionParameters("127.0.0.1", amqp_port))
ch = c.channel()
q = ch.queue_declare("", exclusive=True).method.queue
ch.queue_bind(q, "amq.topic", "interop.kafka-made")
producer = kafka.KafkaProducer(bootstrap_servers=f"127.0.0.1:{kafka_port}", api_version=(2, 5, 0))
producer.send("interop.kafka-made", value=b"made by kafka", headers=[("origin", b"kafka")]).get(timeout=DEADLINE)
producer.close()
until = time.monotonic() + DEADLINE
method, props, body = ch.basic_get(q, auto_ack=True)
while method is None and time.monotonic() < until:
    time.sleep(0.05)
    method, props, body = ch.basic_get(q, auto_ack=True)
check(method is not None, "AMQP got nothing from the topic created through Kafka")
check(body == b"made by kafka" and method.routing_key == "interop.kafka-made", f"AMQP got {body!r} {method}")
check(props.headers.get("origin") == "kafka", f"AMQP headers {props.headers}")
c.close()
print("ok")
