// The management view of the broker, for the admin HTTP server (and through it plexusctl).
// Calls are blocking and thread-safe: they are made from the HTTP server's threads, never from
// a shard, and each one hops to the shards that own what it touches and waits for the answer.
#pragma once

#include "plexus/sdk/kernel.h"
#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace plexus::kernel {

struct exchange_summary
{
    std::string vhost;
    std::string name;
    std::string type;
    bool durable = false;
    bool auto_delete = false;
    bool internal = false;
    std::uint64_t bindings = 0;
};

struct queue_summary
{
    std::string vhost;
    std::string name;
    bool durable = false;
    bool exclusive = false;
    bool auto_delete = false;
    std::string storage;
    std::uint64_t messages = 0; ///< ready
    std::uint64_t unacked = 0;
    std::uint32_t consumers = 0;
    unsigned shard = 0; ///< the event loop that owns it
};

struct stream_summary
{
    std::string vhost;
    std::string name;
    std::int32_t partitions = 1;
    std::string storage;
    std::uint64_t records = 0; ///< stored over all partitions (next - start)
    std::uint64_t bytes = 0;
};

struct binding_summary
{
    std::string vhost;
    std::string exchange;
    std::string destination;
    bool destination_is_stream = false;
    std::string key;
};

struct broker_status
{
    std::string version;
    unsigned shards = 0;
    std::uint64_t uptime_ms = 0;
    std::vector<std::string> vhosts;
    std::vector<std::pair<std::string, std::uint16_t>> listeners; ///< name, bound port
};

class admin_api
{
  public:
    virtual ~admin_api() = default;

    virtual broker_status status() = 0;

    virtual std::vector<std::string> list_vhosts() = 0;
    virtual sdk::status declare_vhost(const std::string& name) = 0;
    /// Deletes a vhost with everything in it. The default vhost "/" can be deleted too.
    virtual sdk::status delete_vhost(const std::string& name) = 0;

    /// `vhost` empty: every vhost.
    virtual sdk::result<std::vector<exchange_summary>> list_exchanges(const std::string& vhost) = 0;
    virtual sdk::result<std::vector<queue_summary>> list_queues(const std::string& vhost) = 0;
    virtual sdk::result<std::vector<stream_summary>> list_streams(const std::string& vhost) = 0;
    virtual sdk::result<std::vector<binding_summary>> list_bindings(const std::string& vhost) = 0;

    virtual sdk::status declare_exchange(const sdk::exchange_spec& spec) = 0;
    virtual sdk::status delete_exchange(const std::string& vhost, const std::string& name) = 0;
    virtual sdk::result<sdk::queue_info> declare_queue(const sdk::queue_spec& spec) = 0;
    virtual sdk::result<std::uint64_t> delete_queue(const std::string& vhost, const std::string& name) = 0;
    virtual sdk::result<std::uint64_t> purge_queue(const std::string& vhost, const std::string& name) = 0;
    virtual sdk::result<sdk::stream_info> declare_stream(const sdk::stream_spec& spec) = 0;
    virtual sdk::status delete_stream(const std::string& vhost, const std::string& name) = 0;
    virtual sdk::status bind(const sdk::binding_spec& spec) = 0;
    virtual sdk::status unbind(const sdk::binding_spec& spec) = 0;

    /// Publishes a test message and waits for the stored confirm.
    virtual sdk::result<sdk::publish_ack> publish(const std::string& vhost,
                                                  const std::string& exchange,
                                                  const std::string& routing_key,
                                                  const std::string& body,
                                                  const sdk::headers& headers,
                                                  const sdk::message_properties& props) = 0;
    /// Takes up to `count` messages; `ack` removes them, otherwise they are requeued
    /// (RabbitMQ's ackmode ack_requeue_false / ack_requeue_true).
    virtual sdk::result<std::vector<sdk::fetched_message>> get(const std::string& vhost,
                                                               const std::string& queue,
                                                               std::uint32_t count,
                                                               bool ack) = 0;
    /// Prometheus text exposition of every metric.
    virtual std::string metrics_text() = 0;
};

} // namespace plexus::kernel
