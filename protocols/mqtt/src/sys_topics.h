// The $SYS topics, as Mosquitto publishes them: every `sys_interval_s` the broker's uptime,
// connected clients, packets and PUBLISHes received and sent, and retained messages, each a
// retained message, so a subscriber to `$SYS/#` gets the latest values at once and every
// update after.
//
// They go through their own topic exchange (`mqtt.sys`), to which only filters that begin
// with `$SYS` are bound: a `#` subscriber of amq.topic (MQTT or AMQP) never sees them, and an
// AMQP queue may read them by binding there. The counters are the sessions' (sys_counters:
// relaxed atomics, one cache line each, so the shards do not share a line per message).
#pragma once

#include "retained_store.h"

#include "plexus/sdk/executor.h"
#include "plexus/sdk/kernel.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plexus::protocol::mqtt {

inline constexpr std::string_view sys_exchange = "mqtt.sys";
/// The gateway's version: the plugin descriptor's and $SYS/broker/version's.
#define PLEXUS_MQTT_GATEWAY_VERSION "0.1.0"

/// The exchange a subscription to `filter` binds to: mqtt.sys for `$SYS` filters, amq.topic
/// for the rest.
std::string_view exchange_for(std::string_view filter) noexcept;

struct sys_counters
{
    alignas(64) std::atomic<std::int64_t> clients_connected{ 0 };
    alignas(64) std::atomic<std::uint64_t> packets_received{ 0 };
    alignas(64) std::atomic<std::uint64_t> packets_sent{ 0 };
    alignas(64) std::atomic<std::uint64_t> publishes_received{ 0 };
    alignas(64) std::atomic<std::uint64_t> publishes_sent{ 0 };

    static void bump(std::atomic<std::uint64_t>& c) noexcept { c.fetch_add(1, std::memory_order_relaxed); }
};

/// (topic, value) for every $SYS topic, from the counters and the retained count.
std::vector<std::pair<std::string, std::string>> sys_values(const sys_counters& c,
                                                            std::chrono::seconds uptime,
                                                            std::size_t retained_messages,
                                                            std::string_view version);

/// Publishes the values on a shard's timer. Started once, by the gateway's first connection.
class sys_publisher
{
  public:
    /// `vhosts` says where the topics go: every vhost an mqtt listener serves.
    sys_publisher(sys_counters& counters,
                  retained_store& retained,
                  std::chrono::seconds interval,
                  std::function<std::set<std::string>()> vhosts);
    ~sys_publisher() { *_alive = false; }
    sys_publisher(const sys_publisher&) = delete;
    sys_publisher& operator=(const sys_publisher&) = delete;
    /// Declares the exchange in each vhost and publishes now and every interval on `shard`
    /// (through `k`, that shard's facade). Does nothing when the interval is 0.
    void start(sdk::kernel& k, sdk::executor& shard);

  private:
    void tick();

    sys_counters& _counters;
    retained_store& _retained;
    const std::chrono::seconds _interval;
    const std::function<std::set<std::string>()> _vhosts_of_listeners;
    std::set<std::string> _vhosts; ///< where the exchange was declared
    const std::chrono::steady_clock::time_point _started = std::chrono::steady_clock::now();
    sdk::kernel* _kernel = nullptr;
    sdk::executor* _shard = nullptr;
    std::shared_ptr<bool> _alive = std::make_shared<bool>(true);
    std::unique_ptr<sdk::timer> _timer;
};

} // namespace plexus::protocol::mqtt
