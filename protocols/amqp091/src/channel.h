// One AMQP channel: its methods in order, its errors, and (channel_*.cc) what it declares,
// publishes and consumes.
//
// Order: AMQP answers a channel's methods in the order they were sent, but the kernel answers
// asynchronously. A method that waits for the kernel (a declare, a bind, a consume, a get)
// makes the channel busy; whatever arrives meanwhile, publishes included, queues behind it and
// runs when the answer is in. Publishes themselves never make the channel busy: their
// confirms are tracked separately (confirm_tracker.h). In tx mode publishes and acks are held
// until tx.commit, which is such a wait (channel_tx.cc).
//
// Errors: a 4xx closes only this channel (channel.close, then everything but close and
// close-ok is discarded until the client's close-ok); a 5xx goes to the session and closes
// the connection.
//
// Lifecycle: created on channel.open; finished() once closed from either side, and the
// session then drops it; shutdown() when the connection goes. Kernel callbacks hold a
// weak_ptr and do nothing once the channel is gone or closing.
//
// Threading: the session's shard, like everything of a connection.
#pragma once

#include "amqp_error.h"
#include "confirm_tracker.h"
#include "delivery_ledger.h"
#include "methods.h"
#include "properties.h"
#include "plexus/sdk/kernel.h"

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace plexus::protocol::amqp091 {

class consumer;
class session;

class channel : public std::enable_shared_from_this<channel>
{
  public:
    channel(session& s, std::uint16_t number);
    ~channel();
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    void on_method(method&& m);
    void on_content_header(const sdk::buffer_chain& payload);
    void on_content_body(const sdk::buffer_chain& payload);
    void on_writable();
    /// Closed from either side: the session may forget the channel.
    bool finished() const noexcept { return _state == state::finished; }
    /// The connection is going away: release everything without a word to the client.
    void shutdown();

    // The connection's move to another shard (session_move.cc).
    /// Consumers, a transaction or unsettled gets: state the kernel ties to this shard.
    bool holds_shard_state() const noexcept;
    /// Kernel answers or posted work still to come on this shard.
    bool has_pending() const noexcept;
    /// The new shard's facade, after the move.
    void rebind(sdk::kernel& k) noexcept { _kernel = &k; }

    std::uint16_t number() const noexcept { return _number; }

    // --- from consumers (kernel callbacks, on this shard) ------------------------------------
    void deliver(consumer& c, std::vector<sdk::delivery> batch);
    /// The kernel ended `c` (its queue was deleted, …).
    void consumer_cancelled(consumer& c, const sdk::status& why);
    /// Pauses or resumes every consumer for the connection's backpressure or channel.flow.
    void update_pauses();

  private:
    enum class state : std::uint8_t
    {
        open,
        closing, // we sent channel.close; waiting for close-ok
        finished,
    };
    struct header_frame
    {
        sdk::buffer_chain payload;
    };
    struct body_frame
    {
        sdk::buffer_chain payload;
    };
    using input = std::variant<method, header_frame, body_frame>;

    void accept(input in);
    void run(input&& in);
    void run_method(method&& m);
    /// Marks the channel busy until done() (a kernel answer is awaited).
    void wait();
    /// The awaited answer is in: run what queued up meanwhile.
    void done();
    bool live() const noexcept { return _state == state::open; }

    /// Closes this channel for `e` (or the connection, for a connection-level code).
    void fail(amqp_error e);
    void fail(const sdk::status& st, failed_call call, method_id in);
    void release();

    // channel_definitions.cc
    void on_exchange_declare(exchange_declare&& m);
    void on_exchange_delete(exchange_delete&& m);
    void on_queue_declare(queue_declare&& m);
    void on_queue_bind(queue_bind&& m);
    void on_exchange_bind(exchange_bind&& m);
    void on_exchange_unbind(exchange_unbind&& m);
    void on_queue_unbind(queue_unbind&& m);
    void on_queue_purge(queue_purge&& m);
    void on_queue_delete(queue_delete&& m);
    /// Runs `then` unless `queue` is another connection's exclusive queue (405 then).
    void unless_locked(const std::string& queue, method_id in, sdk::callback<void()> then);
    /// An empty queue name means the channel's last declared queue (spec: queue.bind & co).
    bool resolve_queue(std::string& name, method_id in);

    enum class settle_kind : std::uint8_t
    {
        ack,
        requeue,
        drop
    };

    // channel_publish.cc
    struct pending_publish
    {
        basic_publish method;
        std::optional<basic_properties> properties;
        std::uint64_t body_size = 0;
        sdk::buffer_chain body;
    };
    void on_basic_publish(basic_publish&& m);
    void on_content(input&& in);
    void publish(pending_publish&& p);
    void published(std::uint64_t seq, bool mandatory, const sdk::message_ptr& msg, sdk::result<sdk::publish_ack> r);
    void on_confirm_select(const confirm_select& m);
    void schedule_confirms();
    void send_confirms();

    // channel_tx.cc
    struct tx_publish
    {
        sdk::message_ptr msg;
        bool mandatory = false;
    };
    struct tx_settle
    {
        std::vector<delivery_ledger::entry> entries;
        settle_kind kind;
    };
    struct commit_state;
    void on_tx_select();
    void on_tx_commit();
    void on_tx_rollback();
    void committed(const std::shared_ptr<commit_state>& c);

    // channel_consume.cc
    void on_basic_qos(const basic_qos& m);
    void on_basic_consume(basic_consume&& m);
    void on_basic_cancel(const basic_cancel& m);
    void on_basic_get(basic_get&& m);
    void settle(std::uint64_t tag, bool multiple, settle_kind kind, method_id in);
    void settle_entries(std::vector<delivery_ledger::entry> entries, settle_kind kind);
    void on_basic_recover(bool requeue, bool async);
    void forget_if_settled(const std::shared_ptr<consumer>& c);
    void release_consumers();
    /// Frames one delivery to the client, in the ledger unless `owner` is null (no-ack).
    void send_delivery(consumer& c, const std::shared_ptr<consumer>& owner, const sdk::delivery& d);
    /// Unacked consumer deliveries of the channel: what basic.qos global limits.
    std::uint64_t window_used() const noexcept;
    bool window_full() const noexcept;
    /// Sends held deliveries while the shared window has room; requeues those whose consumer
    /// is gone or cancelled.
    void release_held();
    /// Requeues the held deliveries of `c` (cancelled by the client).
    void requeue_held(const consumer& c);

    /// Sends `m` on this channel (out of line: session is incomplete here).
    void send(const method& m);
    /// A weak handle for kernel callbacks.
    std::weak_ptr<channel> weak() { return weak_from_this(); }
    /// The completion of a definition method's kernel call. Nothing happens when the channel
    /// went away meanwhile; a failure that `tolerated` does not excuse closes the channel
    /// (`call` picks the code); otherwise `make_ok(channel, answer)` builds the ok method, sent
    /// unless `no_wait`, and the channel goes on with what queued behind it.
    template<class Answer, class MakeOk>
    auto answer_with(method_id in,
                     failed_call call,
                     bool no_wait,
                     MakeOk make_ok,
                     bool (*tolerated)(const sdk::status&) = nullptr);

    session& _session;
    sdk::kernel* _kernel; // the shard's facade: another one after a move
    std::uint16_t _number;
    state _state = state::open;
    bool _busy = false;
    std::deque<input> _waiting;
    bool _flow_active = true;
    std::string _last_queue;

    std::optional<pending_publish> _publishing;
    bool _confirming = false;
    confirm_tracker _confirms;
    bool _confirms_posted = false;
    std::uint32_t _publishes_in_flight = 0; ///< publishes whose answer is still to come

    bool _transactional = false; // tx.select: publishes and acks wait for tx.commit
    std::vector<tx_publish> _tx_publishes;
    std::vector<tx_settle> _tx_settles;

    std::uint16_t _prefetch = 0;        // basic.qos for consumers started from now on
    std::uint16_t _global_prefetch = 0; // basic.qos global: one window shared by the consumers
    /// Deliveries the kernel sent while the shared window was full, in arrival order. The
    /// kernel's credit is per subscription (and may span shards), so the channel enforces the
    /// shared window itself: what arrives beyond it waits here, consumers paused, until acks
    /// free room. Still unsettled in the kernel, so a closing channel requeues them.
    struct held_delivery
    {
        std::shared_ptr<consumer> to;
        sdk::delivery d;
    };
    std::deque<held_delivery> _held;
    std::uint64_t _next_delivery_tag = 1;
    delivery_ledger _ledger;
    std::map<std::string, std::shared_ptr<consumer>> _consumers;
    std::vector<std::shared_ptr<consumer>> _draining; // cancelled, acks still to come
};

/// The status of a kernel answer: a status itself, or a result's (ok for a value).
inline sdk::status status_of(const sdk::status& st)
{
    return st;
}
template<class T>
sdk::status status_of(const sdk::result<T>& r)
{
    return r.error();
}

template<class Answer, class MakeOk>
auto channel::answer_with(method_id in,
                          failed_call call,
                          bool no_wait,
                          MakeOk make_ok,
                          bool (*tolerated)(const sdk::status&))
{
    return [w = weak(), in, call, no_wait, make_ok = std::move(make_ok), tolerated](Answer answer) mutable {
        auto self = w.lock();
        if (!self || !self->live()) {
            return;
        }
        const sdk::status st = status_of(answer);
        if (!st.ok() && (tolerated == nullptr || !tolerated(st))) {
            self->fail(st, call, in);
            return;
        }
        auto ok = make_ok(*self, answer);
        if (!no_wait) {
            self->send(method{ std::move(ok) });
        }
        self->done();
    };
}

} // namespace plexus::protocol::amqp091
