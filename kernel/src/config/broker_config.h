// The broker's configuration after parsing and validation (see config_loader.h): what the
// kernel consumes. Plugin sections stay JSON text; each plugin validates its own.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace plexus::kernel {

struct listener_config
{
    std::string name;     ///< unique; defaults to the protocol name
    std::string protocol; ///< protocol plugin name: amqp091, mqtt, stomp, kafka
    std::string host = "0.0.0.0";
    std::uint16_t port = 0; ///< 0 in tests: the OS picks one; the bound port is reported
    std::string config_json = "{}";
};

/// A user who may log in through any gateway (config `users`).
struct user_config
{
    std::string name;
    std::string password_hash;       ///< RabbitMQ's salted SHA-256 format (password_hash.h)
    std::vector<std::string> tags;   ///< e.g. administrator
    std::vector<std::string> vhosts; ///< the vhosts it may use; "*" is every vhost
    bool loopback_only = false;      ///< refused unless it connects over loopback
};

struct broker_config
{
    unsigned shards = 0; ///< 0 = one per core
    std::string data_dir = "./data";
    std::vector<std::string> plugin_dirs;
    std::string log_level = "info";
    std::map<std::string, std::string> log_components; ///< component → level overrides
    /// Written after startup with the bound ports as JSON ({"admin":15672,"amqp":5672,...}),
    /// so tests that listen on port 0 can find them. Empty: not written.
    std::string ports_file;

    bool admin_enabled = true;
    std::string admin_host = "127.0.0.1";
    std::uint16_t admin_port = 15672;

    std::string default_storage = "file";
    /// The engine of non-durable queues that name none; empty: default_storage. Their
    /// messages go when the queue does (at the latest at a restart), so they need not be
    /// written to disk (RabbitMQ keeps them in memory too).
    std::string transient_storage;
    std::map<std::string, std::string> storage_engines; ///< engine name -> config JSON
    /// Publishes are refused while data_dir's filesystem has less free space (0: never).
    std::uint64_t disk_free_limit_bytes = 50ull << 20;
    /// How often a compacted stream's partition is cleaned (when enough was appended since).
    std::int64_t compaction_interval_ms = 15000;
    std::map<std::string, std::string> routing_types; ///< router plugin name -> config JSON
    std::vector<listener_config> listeners;
    std::vector<std::string> vhosts{ "/" };
    /// Empty: RabbitMQ's default, one user guest / guest, from loopback only, on every vhost.
    std::vector<user_config> users;

    /// How long a connection streaming small unanswered frames waits before its next read, so
    /// that one recv takes several (kernel/src/net/read_coalescer.h); 0: never.
    std::int64_t read_coalesce_us = 200;

    /// Seconds SIGTERM waits for connections to drain before closing them.
    unsigned shutdown_grace_seconds = 5;
};

} // namespace plexus::kernel
