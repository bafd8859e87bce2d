#include "kernel/src/config/config_loader.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using plexus::kernel::parse_config;

namespace {
std::string error_of(std::string_view yaml, std::vector<std::string> overrides = {})
{
    auto r = parse_config(yaml, "plexus.yaml", overrides);
    REQUIRE_FALSE(r.ok());
    return std::string(r.error().message());
}
} // namespace

TEST_CASE("a full configuration is read into the broker config", "[unit][config]")
{
    auto r = parse_config(R"(
shards: 2
data_dir: /var/lib/plexus
plugin_dirs: [/a, /b]
ports_file: /tmp/ports.json
log: { level: debug, components: { kernel.queue: trace } }
admin: { enabled: false, host: 0.0.0.0, port: 0 }
storage:
  default: memory
  engines: { memory: { max_bytes_per_log: 1024, label: "042", on: true } }
routing: { types: { direct: {}, topic: } }
listeners:
  - { name: amqp, protocol: amqp091, port: 5672, config: { frame_max: 131072, tags: [a, b] } }
  - { protocol: mqtt, host: 127.0.0.1, port: 0 }
vhosts: ["/", tenants]
net: { read_coalesce_us: 0 }
)",
                          "plexus.yaml");
    REQUIRE(r.ok());
    const auto& c = *r;
    CHECK(c.shards == 2);
    CHECK(c.data_dir == "/var/lib/plexus");
    CHECK(c.plugin_dirs == std::vector<std::string>{ "/a", "/b" });
    CHECK(c.log_level == "debug");
    CHECK_FALSE(c.admin_enabled);
    CHECK(c.admin_host == "0.0.0.0");
    CHECK(c.admin_port == 0);
    CHECK(c.default_storage == "memory");
    // Plugin sections cross as JSON text: numbers, quoted strings and booleans keep their types.
    CHECK(c.storage_engines.at("memory") == R"({"max_bytes_per_log":1024,"label":"042","on":true})");
    CHECK(c.routing_types.at("direct") == "{}");
    CHECK(c.routing_types.at("topic") == "{}");
    REQUIRE(c.listeners.size() == 2);
    CHECK(c.listeners[0].name == "amqp");
    CHECK(c.listeners[0].config_json == R"({"frame_max":131072,"tags":["a","b"]})");
    CHECK(c.listeners[1].name == "mqtt"); // defaults to the protocol
    CHECK(c.listeners[1].host == "127.0.0.1");
    CHECK(c.vhosts == std::vector<std::string>{ "/", "tenants" });
    CHECK(c.read_coalesce_us == 0);
}

TEST_CASE("an empty file gives the defaults", "[unit][config]")
{
    auto r = parse_config("", "plexus.yaml");
    REQUIRE(r.ok());
    CHECK(r->data_dir == "./data");
    CHECK(r->admin_port == 15672);
    CHECK(r->default_storage == "file");
    CHECK(r->storage_engines.size() == 1);
    CHECK(r->storage_engines.count("file") == 1);
    CHECK(r->routing_types.size() == 4);
    CHECK(r->read_coalesce_us == 200);
}

TEST_CASE("unknown keys are refused with their path", "[unit][config]")
{
    CHECK(error_of("colour: blue\n") == "plexus.yaml: colour: unknown key");
    CHECK(error_of("storage: { enginez: {} }\n") == "plexus.yaml: storage.enginez: unknown key");
    CHECK(error_of("listeners:\n  - { protocol: mqtt, port: 1, tls: on }\n") ==
          "plexus.yaml: listeners[0].tls: unknown key");
}

TEST_CASE("bad values are refused naming key, expectation and value", "[unit][config]")
{
    CHECK(error_of("listeners:\n  - { protocol: mqtt, port: 1 }\n  - { protocol: stomp, port: abc }\n") ==
          "plexus.yaml: listeners[1].port: expected an integer 0..65535, got 'abc'");
    CHECK(error_of("admin: { port: 70000 }\n") == "plexus.yaml: admin.port: expected an integer 0..65535, got '70000'");
    CHECK(error_of("admin: { enabled: maybe }\n") == "plexus.yaml: admin.enabled: expected true or false, got 'maybe'");
    CHECK(error_of("shards: -1\n").find("shards: expected an integer") != std::string::npos);
    CHECK(error_of("log: { level: loud }\n").find("log.level: expected trace|debug") != std::string::npos);
    CHECK(error_of("log: { components: { kernel: loud } }\n").find("log.components.kernel") != std::string::npos);
    CHECK(error_of("plugin_dirs: /one\n") == "plexus.yaml: plugin_dirs: expected a list, got /one");
    CHECK(error_of("storage: { default: rocksdb, engines: { memory: {} } }\n") ==
          "plexus.yaml: storage.default: 'rocksdb' is not one of storage.engines");
    CHECK(error_of("listeners:\n  - { protocol: mqtt, port: 1 }\n  - { protocol: mqtt, port: 2 }\n") ==
          "plexus.yaml: listeners[1].name: duplicate listener name 'mqtt'");
    CHECK(error_of("listeners:\n  - { port: 1 }\n").find("listeners[0].protocol: missing") != std::string::npos);
    CHECK(error_of("routing: { types: { topic: [1, 2] } }\n").find("routing.types.topic: expected a map") !=
          std::string::npos);
    CHECK(error_of("net: { read_coalesce_us: 100001 }\n") ==
          "plexus.yaml: net.read_coalesce_us: expected an integer 0..100000, got '100001'");
    CHECK(error_of("net: { nagle: on }\n") == "plexus.yaml: net.nagle: unknown key");
    CHECK(error_of("[1, 2]\n") == "plexus.yaml: expected a map at the top level");
    CHECK(error_of("admin: {\n").find("plexus.yaml: line") == 0);
}

TEST_CASE("set overrides keys, creating maps and indexing lists", "[unit][config]")
{
    auto r = parse_config(
      "listeners:\n  - { protocol: mqtt, port: 1883 }\n",
      "plexus.yaml",
      { "admin.port=0", "listeners[0].port=0", "storage.engines.memory.max_bytes_per_log=10", "data_dir=/tmp/x" });
    REQUIRE(r.ok());
    CHECK(r->admin_port == 0);
    CHECK(r->listeners.at(0).port == 0);
    CHECK(r->storage_engines.at("memory") == R"({"max_bytes_per_log":10})");
    CHECK(r->data_dir == "/tmp/x");
    CHECK(error_of("", { "admin.port" }).find("--set: expected key=value") != std::string::npos);
    CHECK(error_of("", { "listeners[3].port=1" }).find("has no element 3") != std::string::npos);
    CHECK(error_of("", { "admin.colour=red" }) == "plexus.yaml: admin.colour: unknown key");
}

TEST_CASE("the embedded default lists a listener for every protocol plugin present", "[unit][config]")
{
    auto none = plexus::kernel::embedded_default_config({ "/nonexistent" });
    CHECK(none.find("listeners") == std::string::npos);
    auto r = parse_config(none, "embedded default");
    REQUIRE(r.ok());
    CHECK(r->admin_port == 15672);
    CHECK(r->data_dir == "./data");
    // Durable file storage by default, with memory and RocksDB there for per-queue choice.
    CHECK(r->default_storage == "file");
    for (const char* engine : { "file", "memory", "rocksdb" }) {
        CHECK(r->storage_engines.count(engine) == 1);
    }
}

TEST_CASE("the embedded default serves STOMP and MQTT over WebSockets beside them, on 15674 and 15675",
          "[unit][config]")
{
    namespace fs = std::filesystem;
    const auto dir = fs::temp_directory_path() / ("plexus-embedded-default-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    for (const char* plugin : { "libplexus_protocol_stomp.so", "libplexus_protocol_mqtt.so" }) {
        std::ofstream(dir / plugin) << "";
    }
    auto r = parse_config(plexus::kernel::embedded_default_config({ dir.string() }), "embedded default");
    fs::remove_all(dir);
    REQUIRE(r.ok());
    std::vector<std::string> seen;
    for (const auto& l : r->listeners) {
        seen.push_back(l.name + " " + l.protocol + " " + std::to_string(l.port) +
                       (l.config_json.find("websocket") != std::string::npos ? " websocket" : ""));
    }
    CHECK(seen == std::vector<std::string>{ "mqtt mqtt 1883",
                                            "stomp stomp 61613",
                                            "web-stomp stomp 15674 websocket",
                                            "web-mqtt mqtt 15675 websocket" });
}

TEST_CASE("a lone storage engine is the default, among several, storage.default picks", "[unit][config]")
{
    auto lone = parse_config("storage: { engines: { rocksdb: {} } }\n", "plexus.yaml");
    REQUIRE(lone.ok());
    CHECK(lone->default_storage == "rocksdb");
    CHECK(error_of("storage: { engines: { rocksdb: {}, memory: {} } }\n") ==
          "plexus.yaml: storage.default: 'file' is not one of storage.engines");
    auto picked = parse_config("storage: { default: memory, engines: { rocksdb: {}, memory: {} } }\n", "plexus.yaml");
    REQUIRE(picked.ok());
    CHECK(picked->default_storage == "memory");
}

TEST_CASE("storage.transient names the engine of non-durable queues and must be among the engines", "[unit][config]")
{
    auto unset = parse_config("storage: { engines: { file: {}, memory: {} }, default: file }\n", "plexus.yaml");
    REQUIRE(unset.ok());
    CHECK(unset->transient_storage.empty()); // then the default engine serves them too
    auto set =
      parse_config("storage: { engines: { file: {}, memory: {} }, default: file, transient: memory }\n", "plexus.yaml");
    REQUIRE(set.ok());
    CHECK(set->transient_storage == "memory");
    CHECK(error_of("storage: { engines: { file: {} }, transient: memory }\n") ==
          "plexus.yaml: storage.transient: 'memory' is not one of storage.engines");
}

TEST_CASE("users: a password is kept only hashed, and bad entries are refused naming the key", "[unit][config]")
{
    auto r = parse_config(R"(
users:
  - { name: app, password: s3cret, tags: [monitoring], vhosts: ["/", orders] }
  - { name: ops, password_hash: AQIDBDB9kM21iEUzN1lZ+6VReCsdNqS0sERdAQTcY6Xs3PMz, loopback_only: true }
)",
                          "plexus.yaml",
                          {});
    REQUIRE(r.ok());
    REQUIRE(r->users.size() == 2);
    const auto& app = r->users[0];
    CHECK(app.name == "app");
    CHECK(app.password_hash != "s3cret");
    CHECK(app.password_hash.size() == 48);
    CHECK(app.tags == std::vector<std::string>{ "monitoring" });
    CHECK(app.vhosts == std::vector<std::string>{ "/", "orders" });
    CHECK_FALSE(app.loopback_only);
    CHECK(r->users[1].vhosts == std::vector<std::string>{ "/" }); // the default
    CHECK(r->users[1].loopback_only);

    CHECK(error_of("users: []\n").find("users: expected a non-empty list") != std::string::npos);
    CHECK(error_of("users: [{ name: a }]\n") == "plexus.yaml: users[0]: missing password or password_hash");
    CHECK(error_of("users: [{ name: a, password: x, password_hash: y }]\n") ==
          "plexus.yaml: users[0]: give password or password_hash, not both");
    CHECK(error_of("users: [{ name: a, password_hash: plain }]\n").find("users[0].password_hash: not a salted") !=
          std::string::npos);
    CHECK(error_of("users: [{ name: a, password: x }, { name: a, password: y }]\n")
            .find("users[1].name: 'a' is empty or a duplicate") != std::string::npos);
    CHECK(error_of("users: [{ name: a, password: x, role: admin }]\n").find("users[0].role") != std::string::npos);
}
