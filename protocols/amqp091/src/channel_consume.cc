// Consuming: basic.qos, consume / cancel, deliveries, basic.get, ack / nack / reject and
// recover. Delivery tags belong to the channel (delivery_ledger.h); the kernel's tags belong
// to each subscription.
#include "arguments.h"
#include "channel.h"
#include "consumer.h"
#include "message_mapping.h"
#include "session.h"

#include <fmt/format.h>

#include <limits>
#include <random>

namespace plexus::protocol::amqp091 {
namespace {

std::string generated_tag()
{
    static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    std::random_device rd;
    std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
    std::string tag = "amq.ctag-";
    for (int i = 0; i < 22; ++i) {
        tag += alphabet[rng() % (sizeof(alphabet) - 1)];
    }
    return tag;
}

/// x-stream-offset on basic.consume: where a stream consumer starts.
std::variant<sdk::stream_start, amqp_error> stream_start_of(const field_value& v)
{
    sdk::stream_start s;
    if (const auto* str = std::get_if<std::string>(&v.value)) {
        if (*str == "first") {
            s.from = sdk::stream_start::kind::first;
        } else if (*str == "last") {
            s.from = sdk::stream_start::kind::last;
        } else if (*str == "next") {
            s.from = sdk::stream_start::kind::next;
        } else {
            return amqp_error{ reply_code::precondition_failed,
                               "invalid arg 'x-stream-offset': '" + *str +
                                 "' (expected first, last, next, an offset "
                                 "or a timestamp)",
                               basic_consume::id.class_id,
                               basic_consume::id.method };
        }
        return s;
    }
    if (const auto* i = std::get_if<std::int64_t>(&v.value)) {
        if (v.tag == 'T') {
            s.from = sdk::stream_start::kind::at_timestamp;
            s.ts = sdk::timestamp_ms(*i * 1000);
        } else {
            s.from = sdk::stream_start::kind::at_offset;
            s.at = sdk::offset(*i);
        }
        return s;
    }
    return amqp_error{ reply_code::precondition_failed,
                       "invalid arg 'x-stream-offset': expected a string, an integer or a timestamp",
                       basic_consume::id.class_id,
                       basic_consume::id.method };
}

std::uint32_t clamp32(std::uint64_t n)
{
    return static_cast<std::uint32_t>(std::min<std::uint64_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

} // namespace

// ---- qos, consume, cancel ------------------------------------------------------------------

void channel::on_basic_qos(const basic_qos& m)
{
    if (m.prefetch_size != 0) {
        fail({ reply_code::not_implemented,
               fmt::format("prefetch_size!=0 ({})", m.prefetch_size),
               basic_qos::id.class_id,
               basic_qos::id.method });
        return;
    }
    if (m.global) {
        // One window shared by every consumer of the channel (RabbitMQ's global qos): each
        // subscription's own credit is that window too, and the channel holds back what the
        // subscriptions together deliver beyond it (release_held).
        _global_prefetch = m.prefetch_count;
        for (auto& [tag, c] : _consumers) {
            if (c->subscription) {
                c->subscription->set_prefetch(_prefetch != 0 ? _prefetch : _global_prefetch);
            }
        }
        release_held();
    } else {
        _prefetch = m.prefetch_count; // RabbitMQ's per_consumer_qos: consumers started from now on
    }
    _session.send(_number, basic_qos_ok{});
}

void channel::on_basic_consume(basic_consume&& m)
{
    static constexpr method_id in = basic_consume::id;
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    std::string tag = m.consumer_tag.empty() ? generated_tag() : m.consumer_tag;
    if (_consumers.count(tag) != 0) {
        fail({ reply_code::not_allowed, "attempt to reuse consumer tag '" + tag + "'", in.class_id, in.method });
        return;
    }
    sdk::subscribe_request req;
    req.vhost = _session.vhost();
    req.queue = m.queue;
    req.consumer_tag = tag;
    req.connection = _session.connection_id();
    req.exclusive = m.exclusive;
    req.auto_ack = m.no_ack;
    req.prefetch = _prefetch != 0 ? _prefetch : _global_prefetch;
    if (const auto* priority = find_field(m.arguments, "x-priority")) {
        // RabbitMQ's consumer priorities: an integer; anything else is 406.
        const auto* p = std::get_if<std::int64_t>(&priority->value);
        if (p == nullptr || *p < std::numeric_limits<std::int32_t>::min() ||
            *p > std::numeric_limits<std::int32_t>::max()) {
            fail({ reply_code::precondition_failed,
                   "invalid arg 'x-priority': expected a 32-bit integer",
                   in.class_id,
                   in.method });
            return;
        }
        req.priority = static_cast<std::int32_t>(*p);
    }
    if (const auto* offset = find_field(m.arguments, "x-stream-offset")) {
        auto start = stream_start_of(*offset);
        if (auto* e = std::get_if<amqp_error>(&start)) {
            fail(std::move(*e));
            return;
        }
        req.stream = std::get<sdk::stream_start>(start);
    }
    auto c = std::make_shared<consumer>(weak(), tag, m.queue, m.no_ack);
    _consumers.emplace(tag, c);
    wait();
    _kernel->subscribe(
      req, *c, [w = weak(), c, no_wait = m.no_wait](sdk::result<std::unique_ptr<sdk::subscription>> r) mutable {
          auto self = w.lock();
          if (!self || !self->live()) {
              return; // the subscription, if any, ends with `r`
          }
          if (!r) {
              self->_consumers.erase(c->tag);
              self->fail(r.error(), failed_call::consume, in);
              return;
          }
          c->attach(std::move(*r));
          c->phase = consumer::state::active;
          if (!no_wait) {
              self->_session.send(self->_number, basic_consume_ok{ c->tag });
          }
          self->update_pauses();
          if (!c->early.empty()) {
              self->deliver(*c, std::exchange(c->early, {}));
          }
          self->done();
      });
}

void channel::on_basic_cancel(const basic_cancel& m)
{
    auto it = _consumers.find(m.consumer_tag);
    if (it != _consumers.end()) {
        auto c = it->second;
        _consumers.erase(it);
        requeue_held(*c);
        if (c->no_ack || c->unacked == 0) {
            c->subscription.reset();
        } else {
            // What it delivered may still be acked on this channel (spec): paused, not ended.
            c->phase = consumer::state::cancelled;
            c->set_paused(true);
            _draining.push_back(c);
        }
    }
    // Cancelling an unknown tag is answered all the same, as RabbitMQ does.
    if (!m.no_wait) {
        _session.send(_number, basic_cancel_ok{ m.consumer_tag });
    }
}

void channel::consumer_cancelled(consumer& c, const sdk::status& why)
{
    auto keep_alive = c.shared_from_this(); // the maps below may hold its last owners
    auto it = _consumers.find(c.tag);
    const bool active = it != _consumers.end() && it->second.get() == &c;
    if (active) {
        _consumers.erase(it);
    }
    std::erase_if(_draining, [&](const auto& d) { return d.get() == &c; });
    requeue_held(c);
    c.subscription.reset();
    if (_global_prefetch != 0) {
        release_held(); // its unacked deliveries no longer count against the shared window
    }
    PLEXUS_LOG(_session.log(),
               debug,
               "connection {} channel {}: consumer '{}' cancelled by the broker: {}",
               _session.peer().address,
               _number,
               c.tag,
               why.to_string());
    if (active && live() && _session.client().consumer_cancel_notify) {
        _session.send(_number, basic_cancel{ c.tag, true });
    }
}

void channel::update_pauses()
{
    const bool paused = _session.consumers_paused() || !_flow_active || window_full();
    for (auto& [tag, c] : _consumers) {
        c->set_paused(paused);
    }
}

// ---- deliveries ----------------------------------------------------------------------------

void channel::deliver(consumer& c, std::vector<sdk::delivery> batch)
{
    if (!live()) {
        return;
    }
    if (c.phase == consumer::state::subscribing) {
        for (auto& d : batch) {
            c.early.push_back(std::move(d));
        }
        return;
    }
    if (c.phase == consumer::state::cancelled) {
        // In flight when the client cancelled: back to the queue, not to the client.
        if (c.subscription) {
            for (const auto& d : batch) {
                c.subscription->nack(d.tag, false, true);
            }
        }
        return;
    }
    std::shared_ptr<consumer> owner;
    if (!c.no_ack) {
        owner = c.shared_from_this();
    }
    bool held = false;
    for (auto& d : batch) {
        if (owner && _global_prefetch != 0 && (!_held.empty() || window_used() >= _global_prefetch)) {
            _held.push_back({ owner, std::move(d) });
            held = true;
            continue;
        }
        send_delivery(c, owner, d);
    }
    _session.deliveries_written();
    if (held || window_full()) {
        update_pauses();
    }
}

void channel::send_delivery(consumer& c, const std::shared_ptr<consumer>& owner, const sdk::delivery& d)
{
    const std::uint64_t tag = _next_delivery_tag++;
    if (owner) {
        _ledger.add({ tag, owner, d.tag, {} });
        ++c.unacked;
    }
    const auto& msg = *d.msg;
    _session.send_content(
      _number, basic_deliver{ c.tag, tag, d.redelivered, msg.exchange, msg.routing_key }, to_properties(msg), msg.body);
}

std::uint64_t channel::window_used() const noexcept
{
    std::uint64_t used = 0;
    for (const auto& [tag, c] : _consumers) {
        used += c->unacked;
    }
    for (const auto& c : _draining) {
        used += c->unacked;
    }
    return used;
}

bool channel::window_full() const noexcept
{
    return _global_prefetch != 0 && window_used() + _held.size() >= _global_prefetch;
}

void channel::release_held()
{
    bool sent = false;
    while (!_held.empty() && (_global_prefetch == 0 || window_used() < _global_prefetch)) {
        auto h = std::move(_held.front());
        _held.pop_front();
        if (h.to->phase != consumer::state::active) {
            if (h.to->subscription) {
                h.to->subscription->nack(h.d.tag, false, true);
            }
            continue;
        }
        send_delivery(*h.to, h.to, h.d);
        sent = true;
    }
    if (sent) {
        _session.deliveries_written();
    }
    update_pauses();
}

void channel::requeue_held(const consumer& c)
{
    if (c.subscription) {
        for (const auto& h : _held) {
            if (h.to.get() == &c) {
                c.subscription->nack(h.d.tag, false, true);
            }
        }
    }
    std::erase_if(_held, [&](const held_delivery& h) { return h.to.get() == &c; });
}

void channel::on_basic_get(basic_get&& m)
{
    static constexpr method_id in = basic_get::id;
    if (!resolve_queue(m.queue, in)) {
        return;
    }
    wait();
    _kernel->get(_session.vhost(),
                 m.queue,
                 m.no_ack,
                 [w = weak(), queue = m.queue, no_ack = m.no_ack](sdk::result<std::optional<sdk::fetched_message>> r) {
                     auto self = w.lock();
                     if (!self) {
                         return;
                     }
                     if (!self->live()) {
                         if (r && *r && !no_ack) {
                             // Taken for a channel that closed meanwhile: give it back.
                             self->_kernel->settle(
                               self->_session.vhost(), queue, (*r)->d.tag, sdk::settlement::requeue);
                         }
                         return;
                     }
                     if (!r) {
                         self->fail(r.error(), failed_call::other, in);
                         return;
                     }
                     if (!*r) {
                         self->_session.send(self->_number, basic_get_empty{});
                         self->done();
                         return;
                     }
                     const auto& f = **r;
                     const std::uint64_t tag = self->_next_delivery_tag++;
                     if (!no_ack) {
                         self->_ledger.add({ tag, nullptr, f.d.tag, queue });
                     }
                     const auto& msg = *f.d.msg;
                     self->_session.send_content(
                       self->_number,
                       basic_get_ok{ tag, f.d.redelivered, msg.exchange, msg.routing_key, clamp32(f.remaining) },
                       to_properties(msg),
                       msg.body);
                     self->done();
                 });
}

// ---- acks ----------------------------------------------------------------------------------

void channel::settle(std::uint64_t tag, bool multiple, settle_kind kind, method_id in)
{
    auto entries = _ledger.take(tag, multiple);
    if (entries.empty()) {
        if (multiple && tag == 0) {
            return; // "everything outstanding" with nothing outstanding
        }
        fail({ reply_code::precondition_failed, fmt::format("unknown delivery tag {}", tag), in.class_id, in.method });
        return;
    }
    if (_transactional) {
        _tx_settles.push_back({ std::move(entries), kind });
        return;
    }
    settle_entries(std::move(entries), kind);
}

void channel::settle_entries(std::vector<delivery_ledger::entry> entries, settle_kind kind)
{
    // One call per subscription: the highest kernel tag, with multiple when it covers more
    // than one delivery. Kernel tags rise with channel tags within a subscription, so "up to
    // the highest" names exactly the deliveries taken here.
    struct run
    {
        consumer* c;
        std::uint64_t highest;
        std::uint64_t count;
    };
    std::vector<run> runs;
    const sdk::settlement got_outcome = kind == settle_kind::ack       ? sdk::settlement::ack
                                        : kind == settle_kind::requeue ? sdk::settlement::requeue
                                                                       : sdk::settlement::reject;
    for (auto& e : entries) {
        if (!e.from) {
            _kernel->settle(_session.vhost(), e.queue, e.kernel_tag, got_outcome);
            continue;
        }
        auto it = std::find_if(runs.begin(), runs.end(), [&](const run& r) { return r.c == e.from.get(); });
        if (it == runs.end()) {
            runs.push_back({ e.from.get(), e.kernel_tag, 1 });
        } else {
            it->highest = std::max(it->highest, e.kernel_tag);
            ++it->count;
        }
    }
    for (const auto& r : runs) {
        if (r.c->subscription) {
            if (kind == settle_kind::ack) {
                r.c->subscription->ack(r.highest, r.count > 1);
            } else {
                r.c->subscription->nack(r.highest, r.count > 1, kind == settle_kind::requeue);
            }
        }
        r.c->unacked -= std::min(r.c->unacked, r.count);
    }
    for (auto& e : entries) {
        if (e.from) {
            forget_if_settled(e.from);
        }
    }
    if (_global_prefetch != 0) {
        release_held();
    }
}

void channel::forget_if_settled(const std::shared_ptr<consumer>& c)
{
    if (c->phase == consumer::state::cancelled && c->unacked == 0) {
        c->subscription.reset();
        std::erase(_draining, c);
    }
}

void channel::on_basic_recover(bool requeue, bool async)
{
    // requeue=false would redeliver to the same consumer; RabbitMQ does not support it either,
    // and redelivery through the queue is what both end up doing here.
    (void)requeue;
    settle_entries(_ledger.take_all(), settle_kind::requeue);
    if (!async) {
        _session.send(_number, basic_recover_ok{});
    }
}

void channel::release_consumers()
{
    // Subscriptions that end requeue what they delivered; basic.get deliveries go back by hand.
    for (auto& e : _ledger.take_all()) {
        if (!e.from) {
            _kernel->settle(_session.vhost(), e.queue, e.kernel_tag, sdk::settlement::requeue);
        }
    }
    _held.clear(); // unsettled in the kernel: they go back with their subscriptions
    auto consumers = std::move(_consumers);
    _consumers.clear();
    for (auto& [tag, c] : consumers) {
        c->subscription.reset();
    }
    auto draining = std::move(_draining);
    _draining.clear();
    for (auto& c : draining) {
        c->subscription.reset();
    }
}

} // namespace plexus::protocol::amqp091
