// The broker's state and its control plane, shared by the per-shard facades, the admin API
// and the broker's lifecycle code.
//
// Definitions (vhosts, exchanges, queues, streams, bindings) have one authoritative copy, the
// catalog, touched only on the control shard (shard 0). Every change runs there as one
// control operation at a time, creates or destroys objects on their owner shards, and then
// updates each shard's replica (names → ids, one router clone per exchange) by posting to
// that shard — so the data path reads its own shard's replica without locks.
#pragma once

#include "kernel/src/auth/user_store.h"
#include "kernel/src/config/broker_config.h"
#include "kernel/src/exchange/delay_store.h"
#include "kernel/src/observability/logging.h"
#include "kernel/src/observability/metrics_registry.h"
#include "kernel/src/plugin/registry.h"
#include "kernel/src/queue/queue.h"
#include "kernel/src/server/disk_alarm.h"
#include "kernel/src/server/plugin_store.h"
#include "kernel/src/server/shard_set.h"
#include "kernel/src/stream/stream_partition.h"
#include "plexus/sdk/kernel.h"
#include "plexus/sdk/routing.h"
#include "plexus/sdk/storage.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace plexus::kernel {

template<class T>
using awaitable = boost::asio::awaitable<T>;

/// Transparent hash so that maps keyed by std::string are searched with a string_view.
struct string_hash
{
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
};
template<class V>
using string_map = std::unordered_map<std::string, V, string_hash, std::equal_to<>>;

/// Destination ids carry their owner shard and kind, so the data path needs no lookup to know
/// where to send a message: bits 0-7 shard, 8-9 kind, the rest a sequence number.
enum class destination_kind : std::uint8_t
{
    queue = 0,
    stream = 1,
    partition = 2,
    exchange = 3 ///< the destination of an exchange-to-exchange binding
};
inline sdk::destination_id make_destination(std::uint64_t seq, unsigned shard, destination_kind k)
{
    return sdk::destination_id((seq << 10) | (static_cast<std::uint64_t>(k) << 8) | shard);
}
inline unsigned owner_shard(sdk::destination_id d)
{
    return static_cast<unsigned>(d() & 0xff);
}
inline destination_kind kind_of(sdk::destination_id d)
{
    return static_cast<destination_kind>((d() >> 8) & 0x3);
}

// ---- per-shard replica -------------------------------------------------------------------

struct exchange_replica
{
    std::unique_ptr<sdk::router> router;
    sdk::destination_id id;
    bool internal = false;
    bool delayed = false;  ///< x-delayed-message: `x-delay` holds a message in the owner shard's delay_store
    std::string alternate; ///< alternate-exchange: where what this exchange cannot route goes
};

struct stream_replica
{
    sdk::destination_id id;
    std::string storage; ///< engine holding the partitions and the group offsets
};

struct vhost_replica
{
    string_map<exchange_replica> exchanges;
    /// The same exchanges by id, for exchange-to-exchange bindings (nodes of `exchanges`).
    std::unordered_map<std::uint64_t, exchange_replica*> exchanges_by_id;
    string_map<sdk::destination_id> queues;
    string_map<stream_replica> streams;
};

/// Everything one shard owns or reads. Touched only on that shard.
struct shard_state
{
    string_map<vhost_replica> vhosts;
    std::unordered_map<std::uint64_t, std::vector<sdk::destination_id>> stream_partitions;
    std::unordered_map<std::uint64_t, std::shared_ptr<queue>> queues;
    std::unordered_map<std::uint64_t, std::shared_ptr<stream_partition>> partitions;
    std::unordered_map<std::uint64_t, std::shared_ptr<delay_store>> delay_stores; ///< by exchange id
    sdk::destination_set routed;                                                  ///< scratch for route()
    sdk::destination_set one_hop;              ///< scratch for exchange-to-exchange routing
    std::vector<const exchange_replica*> hops; ///< scratch: exchanges still to route through
    std::unique_ptr<sdk::timer> retention_timer;
};

// ---- catalog (control shard only) ----------------------------------------------------------

struct exchange_def
{
    sdk::exchange_spec spec;
    bool builtin = false;
    sdk::destination_id id;
};

struct queue_def
{
    queue_options options;
};

struct stream_def
{
    sdk::stream_spec spec;
    sdk::destination_id id;
    std::vector<sdk::destination_id> partitions;
};

struct binding_def
{
    sdk::binding_spec spec;
    sdk::destination_id destination;
};

struct vhost_def
{
    std::map<std::string, exchange_def> exchanges;
    std::map<std::string, queue_def> queues;
    std::map<std::string, stream_def> streams;
    std::vector<binding_def> bindings;
};

class broker_core
{
  public:
    broker_core(const broker_config& config, plugin_registry& plugins, log_registry& logs);
    ~broker_core();

    const broker_config& config() const noexcept { return _config; }
    shard_set& shards() noexcept { return _shards; }
    shard_state& state(unsigned shard) noexcept { return *_states[shard]; }
    metrics_registry& metrics() noexcept { return _metrics; }
    log_registry& logs() noexcept { return _logs; }
    sdk::logger& log() noexcept { return _log; }
    plugin_registry& plugins() noexcept { return _plugins; }

    /// Creates every configured engine; fails naming the engine.
    sdk::status create_engines();
    sdk::storage_engine* engine(std::string_view name) noexcept;
    std::vector<std::pair<std::string, sdk::storage_engine*>> engines();
    /// What declare_stream() and the other stream calls answer about a stream of this spec.
    sdk::stream_info stream_info_of(const sdk::stream_spec& spec) noexcept;
    sdk::blocking_pool& blocking() noexcept;
    /// Plugins' key-value spaces in the default engine's metadata (after create_engines()).
    sdk::kv_store& plugin_store(std::string_view space) { return _plugin_stores->space(space); }

    std::uint64_t next_connection_id() noexcept { return ++_connection_ids; }

    /// The disk-space alarm; read on any shard, checked by the control shard every second.
    const disk_alarm& disk() const noexcept { return _disk_alarm; }
    /// The users; read on any shard (never changes after startup).
    const user_store& users() const noexcept { return _users; }
    sdk::resource_alarms alarms() const noexcept { return { _disk_alarm.raised() }; }
    /// Registers shard `shard`'s listener for alarm changes (its facade, at construction);
    /// it is called on that shard.
    void on_alarms_changed(unsigned shard, std::function<void(sdk::resource_alarms)> listener);
    /// Checks the free space now and logs a raised or cleared alarm (control shard, or the
    /// main thread before the shards serve).
    void check_disk();

    /// Runs `op` on the control shard after every control operation queued before it.
    void run_control(std::function<awaitable<void>()> op);

    /// Runs `f` on `shard` and resumes the caller on its own executor with the result.
    template<class F>
    auto on_shard(unsigned shard, F f) -> awaitable<decltype(f())>
    {
        using R = decltype(f());
        // GCC 12 destroys a lambda temporary inside a co_await expression twice: every lambda
        // handed to a coroutine here is bound to a named local first (see on_every_shard's
        // callers too).
        auto task = [f = std::move(f)]() mutable -> awaitable<R> { co_return f(); };
        co_return co_await boost::asio::co_spawn(_shards.context(shard), std::move(task), boost::asio::use_awaitable);
    }
    /// Runs `f(state)` on every shard, one after the other.
    awaitable<void> on_every_shard(const std::function<void(unsigned, shard_state&)>& f);

    // --- control operations: coroutines on the control shard, under run_control ---
    awaitable<sdk::status> declare_vhost(std::string name);
    awaitable<sdk::status> delete_vhost(std::string name);
    awaitable<sdk::status> declare_exchange(sdk::exchange_spec spec);
    awaitable<sdk::status> delete_exchange(std::string vhost, std::string name, bool if_unused);
    /// A new queue is owned by `near` when given (the declaring connection's shard, as
    /// RabbitMQ's client-local leader locator: its consumer, usually the declarer, is then
    /// served without a hop between shards), else by the shard its name hashes to.
    awaitable<sdk::result<sdk::queue_info>> declare_queue(sdk::queue_spec spec, std::optional<unsigned> near = {});
    awaitable<sdk::result<std::uint64_t>> delete_queue(std::string vhost,
                                                       std::string name,
                                                       bool if_unused,
                                                       bool if_empty);
    awaitable<sdk::result<std::uint64_t>> purge_queue(std::string vhost, std::string name);
    awaitable<sdk::result<sdk::stream_info>> declare_stream(sdk::stream_spec spec);
    awaitable<sdk::status> delete_stream(std::string vhost, std::string name);
    awaitable<sdk::result<sdk::stream_info>> set_stream_config(std::string vhost,
                                                               std::string name,
                                                               sdk::stream_config config);
    awaitable<sdk::result<sdk::stream_info>> add_stream_partitions(std::string vhost,
                                                                   std::string name,
                                                                   std::int32_t partitions);
    /// Opens partition `p` of the stream `spec` describes on its owner shard (declare_stream,
    /// add_stream_partitions).
    awaitable<sdk::result<sdk::destination_id>> open_partition(const sdk::stream_spec& spec,
                                                               std::int32_t p,
                                                               sdk::storage_engine* engine);
    awaitable<sdk::status> bind(sdk::binding_spec spec);
    awaitable<sdk::status> unbind(sdk::binding_spec spec);
    awaitable<void> release_connection(std::uint64_t connection);
    /// After the last consumer of an auto-delete queue left.
    awaitable<void> auto_delete_queue(std::string vhost, std::string name);

    /// The facade of `shard`, which queues on that shard publish their dead letters through;
    /// null detaches it (the facade goes away).
    void attach_publisher(unsigned shard, sdk::kernel* publisher) noexcept;

    /// Re-creates every definition stored in the default engine's metadata (after the
    /// configured vhosts exist), then removes the logs of queues and streams that were not
    /// durable. Fails with corruption for an unreadable definition and precondition_failed
    /// for one that cannot be re-created (e.g. its engine is no longer configured).
    awaitable<sdk::status> restore_definitions();

    /// Read access to the catalog for listings (control shard only).
    const std::map<std::string, vhost_def>& catalog() const noexcept { return _catalog; }

    /// Flushes and shuts down every queue and partition (each on its shard). Blocking; called
    /// by stop() while the shards still run.
    void drain_and_flush(std::chrono::milliseconds deadline);
    /// Destroys every queue and partition, closing their logs. After the shards stopped and
    /// before the engines close: a log must not outlive its engine.
    void release_destinations();
    /// Starts the periodic retention pass on every shard.
    void start_retention_timers();

  private:
    struct control_runner;

    /// The definitions of `vhost`, or not_found naming it. Control plane only.
    sdk::result<vhost_def*> find_vhost(const std::string& vhost);
    /// The definition of stream `name` in `vhost`, or not_found naming the vhost or the stream.
    sdk::result<stream_def*> find_stream(const std::string& vhost, const std::string& name);

    awaitable<sdk::status> remove_queue(std::string vhost, std::string name);
    /// Removes the queue when `still_true` holds for it on its shard (auto-delete, x-expires:
    /// the queue may have been used again since it asked).
    awaitable<void> remove_queue_if(std::string vhost, std::string name, std::function<bool(const queue&)> still_true);
    queue_hooks make_queue_hooks(unsigned owner, const queue_options& opts);
    /// Publishes a message into `vhost` from `shard` (through its facade), without a confirm:
    /// how dead letters and released delayed messages re-enter routing.
    std::function<void(sdk::message_ptr)> republisher(unsigned shard, std::string vhost);
    /// What a partition of `stream` calls with each record it appended when the stream
    /// forwards to `exchange`: a copy marked with forwarded_from_header, republished from
    /// `shard` (the partition's owner).
    std::function<void(const sdk::message_ptr&)> forwarder(unsigned shard,
                                                           std::string vhost,
                                                           std::string stream,
                                                           std::string exchange);
    /// For an x-delayed-message exchange, the router of its x-delayed-type and the store that
    /// holds delayed messages (created on the exchange's owner shard).
    awaitable<sdk::status> create_delay_store(const sdk::exchange_spec& spec, sdk::destination_id id);
    awaitable<void> remove_delay_store(std::string vhost, std::string name, sdk::destination_id id);
    awaitable<sdk::status> remove_bindings_to(std::string vhost, sdk::destination_id dest);
    sdk::result<std::unique_ptr<sdk::router>> make_router(const sdk::exchange_spec& spec);
    /// The engine a destination is stored in: the one asked for, else (non-durable queues)
    /// storage.transient, else storage.default.
    std::string resolve_storage(const std::string& requested, const sdk::headers& args, bool durable) const;
    /// Applies `writes` to the definitions store and waits until they are durable; a no-op
    /// while restoring (what is being re-created is already stored).
    awaitable<sdk::status> persist(std::vector<sdk::kv_store::write> writes);
    /// persist() of one write (`value` nullopt deletes `key`).
    awaitable<sdk::status> persist_one(std::string key, std::optional<std::string> value);
    /// True when a binding from `exchange` to `destination` must survive a restart (both
    /// ends durable, as in AMQP).
    bool binding_is_durable(const vhost_def& vh, const sdk::binding_spec& spec) const;
    void remove_stray_logs();
    /// Rewrites the committed offsets stored under legacy keys (group_offset_keys.h) in every
    /// engine, after the streams are restored (group_offset_migration.cc).
    awaitable<sdk::status> migrate_group_offsets();
    /// Applies `writes` to `store` and waits until they are durable (back on shard 0).
    awaitable<sdk::status> apply_and_wait(sdk::kv_store& store, std::vector<sdk::kv_store::write> writes);

    broker_config _config;
    plugin_registry& _plugins;
    log_registry& _logs;
    sdk::logger& _log;
    // Before the shards and their state: destroyed after them, so a log that a pending
    // handler still holds never outlives its engine.
    std::map<std::string, std::unique_ptr<sdk::storage_engine>> _engines;
    shard_set _shards;
    metrics_registry _metrics;
    /// Decoders of the encoded batches protocol plugins append to streams (ADR 0019).
    record_format_set _formats;
    std::vector<std::unique_ptr<shard_state>> _states;
    std::map<std::string, vhost_def> _catalog;
    std::uint64_t _next_destination = 1;
    bool _restoring = false; ///< restore_definitions() is re-creating stored definitions
    std::atomic<std::uint64_t> _connection_ids{ 0 };
    std::unique_ptr<control_runner> _control;
    disk_alarm _disk_alarm;
    std::unique_ptr<plugin_stores> _plugin_stores;
    user_store _users;
    sdk::gauge& _disk_alarm_gauge;
    std::vector<std::function<void(sdk::resource_alarms)>> _alarm_listeners; ///< one per shard
    std::vector<sdk::kernel*> _publishers;                                   ///< one per shard
    struct pool;
    std::unique_ptr<pool> _pool;
};

} // namespace plexus::kernel
