#!/usr/bin/env bash
# Installs every Debian package that building and testing Plexus needs. Idempotent: when
# nothing is missing it prints nothing and returns in well under a second.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build ccache pkg-config make git python3
  # libraries (Boost 1.81 for Asio's C++20 coroutine helpers; Debian's default is 1.74)
  libboost1.81-dev libprotobuf-dev protobuf-compiler libpoco-dev libspdlog-dev libfmt-dev
  libyaml-cpp-dev librocksdb-dev libssl-dev
  # plexusd's allocator: the per-message objects of every gateway made glibc malloc a quarter
  # of plexusd's instructions (bench/protocols/README.md)
  libjemalloc-dev
  # the record batch codecs of the kafka gateway (Produce inflates compressed batches)
  zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev
  # tests and benchmarks
  catch2 libbenchmark-dev
  # real AMQP 0-9-1 clients for the amqp091 integration tests (run with /usr/bin/python3);
  # rabbitmq-c is also plexus-bench's AMQP driver, run by the bench smoke test
  python3-pika amqp-tools librabbitmq-dev
  # real MQTT clients for the mqtt integration tests: paho-mqtt (scenarios.py), Mosquitto's
  # mosquitto_pub / mosquitto_sub, and Paho C++ (paho_cpp_test.cc); Paho C is also
  # plexus-bench's MQTT driver, run by the bench smoke test
  python3-paho-mqtt mosquitto-clients libpaho-mqttpp-dev libpaho-mqtt-dev
  # a real STOMP client (stomp.py) for the stomp integration tests (run with /usr/bin/python3)
  python3-stomp
  # websocket-client, which carries stomp.py's frames in the STOMP-over-WebSockets integration
  # tests (Debian's stomp.py 8.0 has no WebSocket transport of its own)
  python3-websocket
  # real Kafka clients for the kafka integration tests: kcat (librdkafka) and kafka-python
  # (scenarios.py, run with /usr/bin/python3); librdkafka's headers are also plexus-bench's
  # Kafka driver, run by the bench smoke test
  kcat python3-kafka librdkafka-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
