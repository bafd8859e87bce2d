// The kernel facade: the verbs a protocol plugin may use. Plugins never see the kernel's
// objects (queues, shards, engines), only these calls and the handles they return.
//
// Threading: each shard has its own facade. A session uses the facade it was given, on its own
// shard; every callback the facade takes runs later on that same shard (never inline), so a
// plugin never needs a lock. The kernel hops to the shard that owns a queue and back.
#pragma once

#include "plexus/sdk/callback.h"
#include "plexus/sdk/executor.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/message.h"
#include "plexus/sdk/metrics.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"
#include "plexus/sdk/storage.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plexus::sdk {

/// Who is on the other end of a connection.
struct peer_info
{
    std::string address; ///< "127.0.0.1:53122"
    bool loopback = false;
    /// The broker's end of the connection, as the client addressed it: the address a gateway
    /// advertises when its config names none (Kafka's Metadata), which reaches the broker
    /// from wherever this client is, also on a listener bound to 0.0.0.0 or to port 0.
    std::string local_host; ///< "127.0.0.1", "10.0.0.5", "::1"
    std::uint16_t local_port = 0;
};

/// A user the broker knows (config `users`), as authenticate() found it.
struct user_identity
{
    std::string name;
    std::vector<std::string> tags; ///< e.g. "administrator", as RabbitMQ tags users
};

struct exchange_spec
{
    std::string vhost = "/";
    std::string name;
    std::string type = "direct"; ///< a routing plugin name
    bool durable = true;
    bool auto_delete = false;
    bool internal = false;
    bool passive = false; ///< only check that it exists (AMQP passive declare)
    headers arguments;
};

struct queue_spec
{
    std::string vhost = "/";
    std::string name; ///< empty: the kernel picks a unique name ("amq.gen-…")
    bool durable = false;
    bool exclusive = false;   ///< only `owner` may use it; deleted when the owner goes away
    bool auto_delete = false; ///< deleted when its last consumer leaves
    bool passive = false;
    std::uint64_t owner = 0; ///< connection id for exclusive queues
    std::string storage;     ///< engine name; empty: the configured default
    /// x-message-ttl, x-max-length, x-single-active-consumer, x-dead-letter-exchange, …
    headers arguments;
};

struct queue_info
{
    std::string name;
    std::uint64_t messages = 0; ///< ready (not delivered and unacked)
    std::uint64_t unacked = 0;
    std::uint32_t consumers = 0;
};

/// How long a compacted stream keeps a tombstone when it names no time: a day, as Kafka's
/// delete.retention.ms.
inline constexpr std::int64_t default_delete_retention_ms = 86400000;

struct stream_spec
{
    std::string vhost = "/";
    std::string name;
    std::int32_t partitions = 1;
    bool passive = false;
    std::string storage;
    std::optional<std::int64_t> retention_ms;    ///< drop segments older than this
    std::optional<std::int64_t> retention_bytes; ///< per partition
    /// Keep only the newest record of each key (Kafka's cleanup.policy=compact); retention by
    /// time and size applies as well when set.
    bool compact = false;
    /// How long a compacted stream keeps a tombstone (a record marked as one by its format:
    /// a Kafka null value) once it is the newest of its key; none: default_delete_retention_ms.
    std::optional<std::int64_t> delete_retention_ms;
    /// The segment size of each partition's log on an engine that keeps segments; 0: the
    /// engine's own (storage_caps::segment_bytes). Fixed once the stream exists.
    std::uint64_t segment_bytes = 0;
    /// An exchange of the vhost that also gets every record appended (with its routing key),
    /// so a stream (a Kafka topic) feeds queues and subscribers of other protocols; "" none.
    /// The copy never comes back into this stream, and a copy is not forwarded again.
    std::string forward_exchange;
};

struct stream_info
{
    std::string name;
    std::int32_t partitions = 1;
    std::optional<std::int64_t> retention_ms; ///< as declared or last set; none: kept forever
    std::optional<std::int64_t> retention_bytes;
    bool compact = false;                            ///< as declared or last set
    std::optional<std::int64_t> delete_retention_ms; ///< as declared or last set; none: the default
    std::string storage;          ///< the engine that keeps it (the configured default when none was named)
    std::string forward_exchange; ///< as declared; "" none
    /// Its logs' segment size: the declared one, else its engine's storage_caps::segment_bytes
    /// (0: not segmented).
    std::uint64_t segment_bytes = 0;
    std::uint64_t declared_segment_bytes = 0; ///< stream_spec::segment_bytes as declared
};

/// What a stream's owner may change once it exists (Kafka's AlterConfigs); as in stream_spec.
struct stream_config
{
    std::optional<std::int64_t> retention_ms;
    std::optional<std::int64_t> retention_bytes;
    bool compact = false;
    std::optional<std::int64_t> delete_retention_ms;
};

/// A binding from an exchange to a queue, a stream or another exchange, by name.
struct binding_spec
{
    std::string vhost = "/";
    std::string exchange;
    std::string destination;
    bool destination_is_stream = false;
    bool destination_is_exchange = false; ///< what `exchange` routes goes on through this one
    std::string key;
    headers arguments;
};

/// How far a publish must get before it is confirmed.
enum class ack_level : std::uint8_t
{
    none,    ///< fire and forget: no confirm is needed
    stored,  ///< appended to every destination's log (readable)
    durable, ///< made durable by every destination's engine (fsync policy)
};

struct publish_request
{
    std::string vhost = "/";
    message_ptr msg; ///< msg->exchange and msg->routing_key select the route
    ack_level level = ack_level::none;
};

struct publish_ack
{
    ack_level reached = ack_level::none; ///< the lowest level reached by every destination
    std::uint32_t routed = 0;            ///< destinations the message reached; 0 = unroutable
    /// The shard owning every queue the message was routed to; none when it went to queues of
    /// several shards, to a stream, or nowhere. A connection that publishes there steadily
    /// saves a hand-off between threads per message by moving there (connection::move_to()).
    std::optional<shard_id> home_shard;
};

/// What a stream fetch returns.
enum class batch_form : std::uint8_t
{
    messages,  ///< messages, encoded batches decoded by their record_format
    as_stored, ///< messages or encoded records, as they were appended
};

/// Where a stream consumer starts.
struct stream_start
{
    enum class kind : std::uint8_t
    {
        first,
        last,
        next,
        at_offset,
        at_timestamp
    } from = kind::next;
    offset at{ 0 };
    timestamp_ms ts{ 0 };
};

struct subscribe_request
{
    std::string vhost = "/";
    std::string queue;
    std::string consumer_tag;
    std::uint64_t connection = 0; ///< for exclusive-queue checks
    bool exclusive = false;       ///< no other consumer may subscribe
    bool auto_ack = false;        ///< messages count as acked when delivered
    std::uint32_t prefetch = 0;   ///< max unacked deliveries; 0 = unlimited
    /// Consumer priority (AMQP x-priority): while a consumer of a higher priority has credit,
    /// those of lower priorities get nothing; equal priorities share round-robin.
    std::int32_t priority = 0;
    std::optional<stream_start> stream; ///< set to consume a stream (partition 0) instead
};

struct delivery
{
    std::uint64_t tag = 0; ///< unique within the subscription, increasing; used to ack
    message_ptr msg;
    offset position{ 0 }; ///< offset in the queue's or stream's log
    std::uint32_t delivery_count = 1;
    bool redelivered = false;
};

/// Receives deliveries for one subscription on the subscriber's shard.
class delivery_sink
{
  public:
    /// A batch of deliveries in order. Never more than the credit left.
    virtual void deliver(std::vector<delivery> batch) noexcept = 0;
    /// The kernel ended the subscription (queue deleted, consumer cancelled by another, …).
    virtual void cancelled(const status& why) noexcept = 0;

  protected:
    ~delivery_sink() = default;
};

/// A consumer on a queue. Destroying it cancels the consumer and requeues its unacked
/// deliveries (as a lost connection does).
class subscription
{
  public:
    virtual ~subscription() = default;
    /// Acks `tag`, or every unacked tag up to it when `multiple`.
    virtual void ack(std::uint64_t tag, bool multiple) noexcept = 0;
    /// Negative ack: requeue (delivery count + 1) or drop / dead-letter.
    virtual void nack(std::uint64_t tag, bool multiple, bool requeue) noexcept = 0;
    /// Changes the prefetch window (0 = unlimited).
    virtual void set_prefetch(std::uint32_t prefetch) noexcept = 0;
    /// Stops delivering; unacked deliveries stay unacked until acked or the subscription dies.
    virtual void pause(bool paused) noexcept = 0;
};

/// The broker's resource alarms. While one is raised the kernel refuses publishes and stream
/// appends with resource_exhausted; gateways that can should push back first, in their own
/// protocol's terms (AMQP connection.blocked, Kafka throttling, MQTT/STOMP refusals).
struct resource_alarms
{
    bool disk_space = false; ///< free disk space below storage.disk_free_limit_bytes

    bool any() const noexcept { return disk_space; }
    bool operator==(const resource_alarms&) const = default;
};

/// Keeps a watch_alarms() callback registered; destroying it (on the same shard) ends it.
class alarm_watch
{
  public:
    virtual ~alarm_watch() = default;
};

/// What becomes of a message taken with get() (kernel::settle).
enum class settlement : std::uint8_t
{
    ack,     ///< done with: it leaves the queue
    requeue, ///< back to the queue, delivered again with delivery count + 1
    reject   ///< refused: it leaves the queue, dead-lettered when the queue says so
};

/// A message fetched with get(): ack, requeue or reject it through settle().
struct fetched_message
{
    delivery d;
    std::uint64_t remaining = 0; ///< messages left in the queue
};

class kernel
{
  public:
    // --- definitions (control plane); results run on the caller's shard ---
    virtual void declare_exchange(const exchange_spec& spec, callback<void(status)> done) noexcept = 0;
    virtual void delete_exchange(std::string_view vhost,
                                 std::string_view name,
                                 bool if_unused,
                                 callback<void(status)> done) noexcept = 0;
    virtual void declare_queue(const queue_spec& spec, callback<void(result<queue_info>)> done) noexcept = 0;
    /// Deletes a queue; returns how many messages it held.
    virtual void delete_queue(std::string_view vhost,
                              std::string_view name,
                              bool if_unused,
                              bool if_empty,
                              callback<void(result<std::uint64_t>)> done) noexcept = 0;
    virtual void purge_queue(std::string_view vhost,
                             std::string_view name,
                             callback<void(result<std::uint64_t>)> done) noexcept = 0;
    virtual void declare_stream(const stream_spec& spec, callback<void(result<stream_info>)> done) noexcept = 0;
    virtual void delete_stream(std::string_view vhost, std::string_view name, callback<void(status)> done) noexcept = 0;
    /// Replaces a stream's retention (none: unlimited) and compaction on every partition, from
    /// their next retention pass on, and in the stored definition; answers the stream as it
    /// now is. not_found for an unknown stream or vhost. Kafka's AlterConfigs.
    virtual void set_stream_config(std::string_view vhost,
                                   std::string_view name,
                                   const stream_config& config,
                                   callback<void(result<stream_info>)> done) noexcept = 0;
    /// Grows a stream to `partitions` partitions (Kafka's CreatePartitions). The new ones
    /// start empty and are routed to at once, so a key may land in another partition than
    /// before, as in Kafka. invalid_argument unless `partitions` is more than the stream has
    /// (and at most 100000), not_found for an unknown stream; answers the stream as it now is.
    virtual void add_stream_partitions(std::string_view vhost,
                                       std::string_view name,
                                       std::int32_t partitions,
                                       callback<void(result<stream_info>)> done) noexcept = 0;
    virtual void bind(const binding_spec& spec, callback<void(status)> done) noexcept = 0;
    virtual void unbind(const binding_spec& spec, callback<void(status)> done) noexcept = 0;

    // --- queues ---
    /// Routes the message through its exchange and appends it to every matching destination.
    /// `done` follows once every destination reached `request.level`, or with the first
    /// failure. With ack_level::none it reports the route alone (routed destinations, or why
    /// the message could not be routed) without waiting for the appends, which then fail
    /// silently as a fire-and-forget publish does (a full queue's reject-publish, say).
    virtual void publish(publish_request request, callback<void(result<publish_ack>)> done) noexcept = 0;
    /// Starts a consumer on a queue (or, by name or with `request.stream`, a stream);
    /// deliveries go to `sink`, which must outlive the subscription. Fails with not_found,
    /// locked (another connection's exclusive queue) or forbidden (exclusive consumer).
    virtual void subscribe(const subscribe_request& request,
                           delivery_sink& sink,
                           callback<void(result<std::unique_ptr<subscription>>)> done) noexcept = 0;
    /// Takes one message (AMQP basic.get); nullopt when the queue is empty. With `auto_ack`
    /// the message is removed at once; otherwise settle() it.
    virtual void get(std::string_view vhost,
                     std::string_view queue,
                     bool auto_ack,
                     callback<void(result<std::optional<fetched_message>>)> done) noexcept = 0;
    /// Acks, requeues or rejects a message taken with get().
    virtual void settle(std::string_view vhost,
                        std::string_view queue,
                        std::uint64_t tag,
                        settlement outcome) noexcept = 0;

    // --- streams (Kafka-style pull) ---
    virtual void append(std::string_view vhost,
                        std::string_view stream,
                        partition_id partition,
                        record_batch batch,
                        ack_level level,
                        callback<void(result<offset_range>)> done) noexcept = 0;
    /// Records from `from`, as messages (records below `from` left out), or with
    /// batch_form::as_stored in the form they were appended (log::read), for a protocol that
    /// serves its own encoded batches back.
    virtual void fetch(std::string_view vhost,
                       std::string_view stream,
                       partition_id partition,
                       offset from,
                       std::size_t max_bytes,
                       batch_form form,
                       callback<void(result<record_batch>)> done) noexcept = 0;
    virtual void stream_offsets(std::string_view vhost,
                                std::string_view stream,
                                partition_id partition,
                                callback<void(result<log_offsets>)> done) noexcept = 0;
    /// Answers the partition's offsets as soon as a record at `from` can be fetched (its next
    /// offset passed `from`), or once `max_wait` has passed, whatever the offsets are then:
    /// a long-polling fetch waits on this instead of polling. not_found for an unknown
    /// partition and for a wait outstanding when its stream is deleted; unavailable when the
    /// broker stops. A wait cannot be withdrawn: a caller that went away ignores the answer,
    /// so keep `max_wait` short (a caller that must wait longer waits again).
    virtual void wait_for_records(std::string_view vhost,
                                  std::string_view stream,
                                  partition_id partition,
                                  offset from,
                                  std::chrono::milliseconds max_wait,
                                  callback<void(result<log_offsets>)> done) noexcept = 0;
    virtual void offset_for_timestamp(std::string_view vhost,
                                      std::string_view stream,
                                      partition_id partition,
                                      timestamp_ms ts,
                                      callback<void(result<offset>)> done) noexcept = 0;
    /// Consumer-group offsets (Kafka commit / fetch).
    virtual void commit_offset(std::string_view vhost,
                               std::string_view group,
                               std::string_view stream,
                               partition_id partition,
                               offset committed,
                               callback<void(status)> done) noexcept = 0;
    virtual void committed_offset(std::string_view vhost,
                                  std::string_view group,
                                  std::string_view stream,
                                  partition_id partition,
                                  callback<void(result<std::optional<offset>>)> done) noexcept = 0;
    /// Deletes every offset `group` committed on the streams of `vhost` (Kafka's DeleteGroups)
    /// and answers how many there were: 0 when it committed none (the kernel knows a group
    /// only by its offsets; members are the gateway's). not_found for an unknown vhost.
    virtual void delete_group_offsets(std::string_view vhost,
                                      std::string_view group,
                                      callback<void(result<std::uint64_t>)> done) noexcept = 0;

    // --- users ---
    /// Checks a login. unauthenticated for an unknown user or a wrong password (the message
    /// says which, for the broker's log: tell the client less); forbidden for a user allowed
    /// only from loopback (guest by default) connecting from elsewhere, with a message
    /// clients may be shown.
    virtual result<user_identity> authenticate(std::string_view user,
                                               std::string_view password,
                                               const peer_info& peer) noexcept = 0;
    /// forbidden unless `user` may use `vhost` (not_found when there is no such vhost).
    virtual status check_vhost_access(std::string_view user, std::string_view vhost) noexcept = 0;

    // --- resource alarms ---
    /// The alarms as this shard last heard of them.
    virtual resource_alarms alarms() const noexcept = 0;
    /// Calls `changed` on this shard each time the alarms change, until the handle is
    /// destroyed. The current state is what alarms() returns; no call is made for it.
    virtual std::unique_ptr<alarm_watch> watch_alarms(callback<void(resource_alarms)> changed) noexcept = 0;

    // --- services ---
    virtual executor& shard() noexcept = 0;
    /// A new id for a connection (exclusive queues and consumers refer to it).
    virtual std::uint64_t next_connection_id() noexcept = 0;
    /// The connection is gone: its exclusive queues are deleted. Sessions call it from
    /// on_close(); subscriptions must be destroyed before or after, either works.
    virtual void release_connection(std::uint64_t connection) noexcept = 0;
    /// The component's logger ("protocol.mqtt"); lives as long as the kernel.
    virtual logger& log(std::string_view component) noexcept = 0;
    /// Metrics whose names start with plexus_<prefix>_.
    virtual metrics_scope& metrics(std::string_view prefix) noexcept = 0;
    /// A key-value space of the broker's metadata store (the default engine's, so durable when
    /// that engine is) for a plugin's own state, such as MQTT's retained messages. `space`
    /// (the plugin's name, say) keeps its keys apart from the kernel's and from other
    /// spaces'; the same name gives the same store. It lives as long as the kernel and may be
    /// used from any thread.
    virtual kv_store& plugin_store(std::string_view space) noexcept = 0;

  protected:
    ~kernel() = default; // owned by the kernel
};

} // namespace plexus::sdk
