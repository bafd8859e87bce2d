// A queue: engine logs plus cursors shared by competing consumers (ARCHITECTURE.md §3).
//
// Published messages are appended in batches (one append per event-loop turn), kept in a
// bounded read-ahead window and delivered round-robin to consumers with credit; delivered
// messages stay unacked per consumer until acked (settled in the ack tracker, which lets the
// log be trimmed), requeued (redelivered before newer messages, with delivery_count + 1) or
// dropped. A consumer that goes away requeues what it had not acked.
//
// Priorities (x-max-priority): one lane (queue_lane.h: a log, its cursor and its read-ahead)
// per level 0..max; a queue without priorities has one lane. The head that goes out next is
// the highest lane's: a higher lane whose messages are still in its log is read first, never
// passed over, so the order is exact however much of the backlog is paged out.
//
// The queue's policy (queue_policy.h) adds: messages whose TTL ran out leave from the head
// of their lane (checked as the head is reached, and by a timer while nobody consumes); a
// queue over its max length drops its head (the message that would go out next, as RabbitMQ
// does, so a high priority may make way for a low one) or refuses the publish; what is
// rejected, expired or dropped is republished to the dead-letter exchange through
// `queue_hooks::dead_letter`; and a queue unused for x-expires asks to be deleted through
// `queue_hooks::expired`.
//
// Threading: owned by one shard; every method runs there. Deliveries are posted to each
// subscriber's shard through its subscriber_link.
#pragma once

#include "kernel/src/queue/dead_letter.h"
#include "kernel/src/queue/queue_lane.h"
#include "kernel/src/queue/queue_policy.h"
#include "plexus/sdk/kernel.h"
#include "plexus/sdk/storage.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plexus::kernel {

/// The subscriber's end of a consumer, shared by the queue (which posts deliveries to it) and
/// the subscription handle. `alive` is read and written only on `home`.
struct subscriber_link
{
    sdk::executor* home = nullptr;
    sdk::delivery_sink* sink = nullptr;
    bool alive = true;
};

/// Outcome of one append, reported on the owner shard: the level reached, or the failure.
using append_done = sdk::callback<void(sdk::result<sdk::ack_level>)>;

enum class settle_kind : std::uint8_t
{
    ack,
    requeue,
    drop
};

struct queue_options
{
    std::string vhost;
    std::string name;
    sdk::destination_id id;
    bool durable = false;
    bool exclusive = false;
    bool auto_delete = false;
    std::uint64_t owner = 0; ///< connection of an exclusive queue
    bool single_active_consumer = false;
    std::string storage;
    sdk::headers arguments; ///< as declared (x-message-ttl, …); stored with a durable queue
    queue_policy policy;    ///< parsed from `arguments`
};

/// What the queue asks of the broker, on the queue's shard.
struct queue_hooks
{
    /// Publishes a dead-lettered copy (make_dead_letter) into the queue's vhost.
    std::function<void(sdk::message_ptr)> dead_letter;
    /// The queue was unused for its x-expires: delete it if it still is (queue::expired()).
    std::function<void()> expired;
};

struct consumer_options
{
    std::string tag;
    std::uint64_t connection = 0;
    bool exclusive = false;
    bool auto_ack = false;
    std::uint32_t prefetch = 0;
    std::int32_t priority = 0; ///< consumer priority: higher ones are served first
};

class queue : public std::enable_shared_from_this<queue>
{
  public:
    /// `lanes`: one per priority 0..options.policy.max_priority, lowest first, each with its log
    /// and (for a durable queue) where its acks are kept across restarts.
    queue(queue_options options, std::vector<lane_storage> lanes, sdk::executor& exec, queue_hooks hooks = {});
    ~queue();
    queue(const queue&) = delete;
    queue& operator=(const queue&) = delete;

    const queue_options& options() const noexcept { return _options; }

    /// Appends `msg` at the end of this event-loop turn; `done` (may be empty) gets the level.
    void enqueue(sdk::message_ptr msg, sdk::ack_level level, append_done done);

    /// Adds a consumer; returns its id. forbidden when an exclusive consumer is in the way.
    sdk::result<std::uint64_t> add_consumer(const consumer_options& options, std::shared_ptr<subscriber_link> link);
    /// Removes a consumer and requeues its unacked messages. Returns true when that left the
    /// queue without consumers (auto-delete queues then go away).
    bool remove_consumer(std::uint64_t consumer);
    void settle(std::uint64_t consumer, std::uint64_t tag, bool multiple, settle_kind kind);
    void set_prefetch(std::uint64_t consumer, std::uint32_t prefetch);
    void pause(std::uint64_t consumer, bool paused);

    /// Takes one message (basic.get). `done` runs on this shard, possibly before get returns.
    void get(bool auto_ack, sdk::callback<void(std::optional<sdk::fetched_message>)> done);

    /// Drops every ready (not unacked) message; returns how many.
    std::uint64_t purge();
    sdk::queue_info info() const;
    std::uint32_t consumer_count() const noexcept { return static_cast<std::uint32_t>(_consumers.size()); }
    bool ever_consumed() const noexcept { return _ever_consumed; }
    std::string storage_engine() const { return _options.storage; }

    /// Cancels every consumer with `why` and stops; the log is closed. Call before removal.
    void shutdown(const sdk::status& why);
    /// The queue was used (declared again, consumed, read): x-expires counts from now.
    void touch();
    /// True when x-expires has run out with nobody using the queue.
    bool expired() const noexcept;

    /// Waits until everything appended is durable.
    void flush(sdk::callback<void(sdk::status)> done);
    /// Stores the acks when they changed since the last save (called every second and at
    /// shutdown), so that a restart does not deliver again what was acked out of order.
    void save_cursor();

  private:
    struct unacked_entry
    {
        std::uint64_t tag;
        ready_entry entry;
        bool settled = false;
    };
    struct consumer_state
    {
        std::uint64_t id;
        consumer_options options;
        std::shared_ptr<subscriber_link> link;
        std::deque<unacked_entry> unacked; // in tag order; settled entries leave from the front
        std::uint32_t outstanding = 0;     // unacked and not settled
        std::uint64_t next_tag = 1;
        bool paused = false;
        bool has_credit() const noexcept
        {
            return !paused && (options.prefetch == 0 || outstanding < options.prefetch);
        }
    };
    struct pending_append
    {
        sdk::message_ptr msg;
        sdk::ack_level level;
        append_done done;
    };
    struct pending_get
    {
        bool auto_ack;
        sdk::callback<void(std::optional<sdk::fetched_message>)> done;
    };

    void schedule();
    void run();
    /// The lane a message goes to: its priority, at most the queue's max.
    std::uint8_t lane_of(const sdk::message_ptr& msg) const noexcept;
    /// The lane whose head goes out next: the highest with a message in memory, unless a
    /// higher one still has messages in its log — then none until that read lands (it
    /// schedules a run).
    queue_lane* next_lane();
    /// next_lane() after taking out heads whose TTL ran out; null when nothing can go now.
    queue_lane* ready_lane();
    /// When `e` expires (ms since the epoch); nullopt when no TTL applies to it.
    std::optional<std::int64_t> deadline(const ready_entry& e) const noexcept;
    /// Takes the lane's head out when its TTL ran out; true when it did.
    bool expire_head(queue_lane& lane, std::int64_t now_ms);
    /// Takes out the expired heads of every lane, not only the one being delivered from.
    void expire_heads();
    /// Arms the TTL timer for the earliest deadline among the lanes' heads.
    void arm_expiry_timer();
    void arm_unused_timer();
    /// Drops the head while the queue is over its max length.
    void enforce_max_length();
    bool over_max_length(std::uint64_t extra_messages, std::uint64_t extra_bytes) const noexcept;
    /// Settles `e` as gone for `reason`, republishing it to the dead-letter exchange if any.
    void dead_letter(sdk::message_ptr msg, death_reason reason);
    void discard(ready_entry&& e, death_reason reason);
    void requeue(ready_entry&& e);
    void append_pending();
    void dispatch();
    void serve_gets();
    bool any_lane_reading() const noexcept;
    ready_entry pop_ready(queue_lane& lane);
    void read_ahead(queue_lane& lane);
    consumer_state* next_consumer();
    consumer_state* find_consumer(std::uint64_t id);
    void settle_entry(unacked_entry& e, settle_kind kind);
    void trim_log();
    std::uint64_t ready_count() const noexcept;
    std::uint64_t ready_bytes() const noexcept;

    queue_options _options;
    std::vector<std::unique_ptr<queue_lane>> _lanes; // index = priority; stable addresses
    sdk::executor& _exec;

    std::vector<pending_append> _pending;
    bool _scheduled = false;
    bool _shut_down = false;
    bool _ever_consumed = false;

    std::vector<std::unique_ptr<consumer_state>> _consumers;
    std::size_t _round_robin = 0;
    std::uint64_t _next_consumer_id = 1;
    consumer_state _get_consumer; // owns what basic.get handed out unacked
    std::vector<pending_get> _pending_gets;

    queue_hooks _hooks;
    std::unique_ptr<sdk::timer> _expiry_timer;
    std::int64_t _expiry_at = 0;
    std::unique_ptr<sdk::timer> _unused_timer;
    std::int64_t _last_used_ms = 0; ///< steady clock
    bool _expiry_requested = false;
};

} // namespace plexus::kernel
