// SUBSCRIBE, UNSUBSCRIBE, MESSAGE, ACK and NACK. A subscription consumes one kernel queue:
// /queue/q declares q (durable) and consumes it, /amq/queue/q consumes an existing q, /topic/k
// and /exchange/x/k bind a queue of their own (private and auto-deleted, or durable and
// named for the subscription with durable:true / persistent:true) and consume it.
//
// message-id (and, in 1.2, the ack header) is T_<subscription>@@session-<n>@@<number>, the
// shape RabbitMQ uses; the number after the last @@ is what ACK and NACK name.
#include "message_mapping.h"
#include "session.h"

#include "queue_arguments.h"
#include "stomp_error.h"

#include "frame_encoder.h"

#include <charconv>

namespace plexus::protocol::stomp {
namespace {

constexpr std::string_view temp_prefix = "/temp-queue/";

std::optional<std::uint64_t> number_after_last_at(const std::string& id)
{
    const auto at = id.rfind("@@");
    const std::string_view digits =
      at == std::string::npos ? std::string_view(id) : std::string_view(id).substr(at + 2);
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
        return std::nullopt;
    }
    return n;
}

bool is_true(const std::string* h)
{
    return h != nullptr && *h == "true";
}

} // namespace

struct session::subscribe_state
{
    std::shared_ptr<subscriber> s;
    destination target;
    frame f;
    bool durable = false;
    std::uint32_t prefetch = 0;
    sdk::headers arguments;                  ///< x-message-ttl, x-queue-type, … of a declared queue
    std::optional<sdk::stream_start> stream; ///< x-stream-offset
    enum class step : std::uint8_t
    {
        resolve,
        bind,
        consume,
    } next = step::resolve;
};

void session::on_subscribe(frame&& f)
{
    const auto* dest = f.header("destination");
    if (dest == nullptr) {
        fail({ "Missing destination", "SUBSCRIBE frames need a destination header" }, &f);
        return;
    }
    const auto* id_header = f.header("id");
    if (id_header == nullptr && _version != version::v1_0) {
        fail({ "Missing 'id' header", "SUBSCRIBE frames need an id header in STOMP 1.1 and 1.2" }, &f);
        return;
    }
    // 1.0 subscriptions without an id are known by their destination (as RabbitMQ).
    const std::string id = id_header != nullptr ? *id_header : *dest;
    if (_subscribers.contains(id)) {
        fail({ "Duplicated subscription identifier", "subscription id '" + id + "' is already in use" }, &f);
        return;
    }
    ack_mode mode = ack_mode::auto_ack;
    if (const auto* ack = f.header("ack")) {
        if (*ack == "client") {
            mode = ack_mode::client;
        } else if (*ack == "client-individual") {
            mode = ack_mode::client_individual;
        } else if (*ack != "auto") {
            fail({ "Bad ack mode", "ack '" + *ack + "' is not auto, client or client-individual" }, &f);
            return;
        }
    }
    std::uint32_t prefetch = 0;
    if (const auto* pc = f.header("prefetch-count")) {
        auto [end, ec] = std::from_chars(pc->data(), pc->data() + pc->size(), prefetch);
        if (pc->empty() || ec != std::errc() || end != pc->data() + pc->size()) {
            fail({ "Bad prefetch-count", "prefetch-count '" + *pc + "' is not a number" }, &f);
            return;
        }
    }
    auto target = parse_destination(*dest);
    if (auto* e = std::get_if<frame_error>(&target)) {
        fail(*e, &f);
        return;
    }
    auto& t = std::get<destination>(target);
    if (t.kind == destination_kind::temp_queue) {
        fail({ "Invalid destination",
               "'" + *dest + "': /temp-queue/ destinations are consumed by naming them in reply-to, not by SUBSCRIBE" },
             &f);
        return;
    }
    auto args = queue_arguments(f);
    auto start = stream_offset(f);
    if (auto* e = std::get_if<frame_error>(&args)) {
        fail(*e, &f);
        return;
    }
    if (auto* e = std::get_if<frame_error>(&start)) {
        fail(*e, &f);
        return;
    }
    auto st = std::make_shared<subscribe_state>();
    st->arguments = std::get<sdk::headers>(std::move(args));
    st->stream = std::get<std::optional<sdk::stream_start>>(start);
    st->s = std::make_shared<subscriber>(*this, _alive, id, *dest, mode);
    st->target = std::move(t);
    st->durable = is_true(f.header("durable")) || is_true(f.header("persistent"));
    st->prefetch = prefetch;
    st->f = std::move(f);
    st->s->set_paused(_paused);
    _subscribers[id] = st->s;
    wait();
    subscribe_step(std::move(st));
}

void session::subscribe_step(std::shared_ptr<subscribe_state> st)
{
    auto& s = *st->s;
    auto failed = [this, st](const sdk::status& why) {
        auto it = _subscribers.find(st->s->id);
        if (it != _subscribers.end() && it->second == st->s) {
            _subscribers.erase(it);
        }
        fail(from_status(why, "subscribing to " + st->s->destination), &st->f);
        done();
    };
    auto resume = [this, alive = _alive, st, failed](sdk::status why) {
        if (!*alive) {
            return;
        }
        if (!why.ok()) {
            failed(why);
            return;
        }
        subscribe_step(st);
    };
    const auto& t = st->target;
    switch (st->next) {
        case subscribe_state::step::resolve:
            st->next = subscribe_state::step::consume;
            switch (t.kind) {
                case destination_kind::queue:
                    s.queue = t.name;
                    ensure_queue(t.name, st->arguments, resume);
                    return;
                case destination_kind::amq_queue:
                case destination_kind::reply_queue:
                    s.queue = t.name;
                    subscribe_step(st);
                    return;
                case destination_kind::topic:
                case destination_kind::exchange: {
                    st->next = subscribe_state::step::bind;
                    sdk::queue_spec spec;
                    spec.vhost = _vhost;
                    if (st->durable) {
                        // A durable subscription outlives the connection: its queue is named
                        // for the subscription so that a reconnecting client finds it again.
                        const auto* name = st->f.header("x-queue-name");
                        spec.name = name != nullptr ? *name : "stomp-subscription-" + s.id;
                        spec.durable = true;
                        s.durable_topic = true;
                    } else {
                        spec.exclusive = true;
                        spec.auto_delete = true;
                        spec.owner = _connection_id;
                    }
                    spec.arguments = st->arguments;
                    _kernel.declare_queue(spec, [alive = _alive, st, resume](sdk::result<sdk::queue_info> r) mutable {
                        if (!*alive) {
                            return;
                        }
                        if (r) {
                            st->s->queue = r->name;
                        }
                        resume(r ? sdk::status() : r.error());
                    });
                    return;
                }
                case destination_kind::temp_queue:
                    return; // refused in on_subscribe
            }
            return;
        case subscribe_state::step::bind: {
            st->next = subscribe_state::step::consume;
            sdk::binding_spec b;
            b.vhost = _vhost;
            b.exchange = t.kind == destination_kind::topic ? std::string(topic_exchange) : t.name;
            b.destination = s.queue;
            b.key = t.key;
            _kernel.bind(b, resume);
            return;
        }
        case subscribe_state::step::consume: {
            sdk::subscribe_request req;
            req.vhost = _vhost;
            req.queue = s.queue;
            req.consumer_tag = s.id;
            req.connection = _connection_id;
            req.auto_ack = s.mode == ack_mode::auto_ack;
            req.prefetch = st->prefetch;
            req.stream = st->stream;
            _kernel.subscribe(
              req, s, [this, alive = _alive, st](sdk::result<std::unique_ptr<sdk::subscription>> r) mutable {
                  if (*alive) {
                      subscribed(st, std::move(r));
                  }
              });
            return;
        }
    }
}

void session::subscribed(const std::shared_ptr<subscribe_state>& st, sdk::result<std::unique_ptr<sdk::subscription>> r)
{
    auto it = _subscribers.find(st->s->id);
    const bool still_wanted = it != _subscribers.end() && it->second == st->s && _state == state::connected;
    if (!r) {
        if (still_wanted) {
            _subscribers.erase(it);
            fail(from_status(r.error(), "subscribing to " + st->s->destination), &st->f);
        }
        done();
        return;
    }
    if (!still_wanted) {
        done(); // the subscription ends with `r`
        return;
    }
    attach(*st->s, std::move(*r));
    receipt_for(st->f);
    done();
}

void session::attach(subscriber& s, std::unique_ptr<sdk::subscription> handle)
{
    s.handle = std::move(handle);
    s.active = true;
    if (_paused) {
        s.handle->pause(true);
    }
    if (!s.early.empty()) {
        deliver(s, std::exchange(s.early, {}));
    }
}

void session::on_unsubscribe(frame&& f)
{
    const auto* id = f.header("id");
    if (id == nullptr && _version == version::v1_0) {
        id = f.header("destination");
    }
    if (id == nullptr) {
        fail({ "Missing 'id' header", "UNSUBSCRIBE frames need an id header" }, &f);
        return;
    }
    auto it = _subscribers.find(*id);
    if (it == _subscribers.end()) {
        fail({ "No subscription found", "UNSUBSCRIBE names subscription '" + *id + "', which does not exist" }, &f);
        return;
    }
    auto s = it->second;
    _subscribers.erase(it);
    forget_unacked_of(*s);
    s->handle.reset(); // requeues what it delivered and was not acked
    const bool drop_queue = s->durable_topic && (is_true(f.header("durable")) || is_true(f.header("persistent")));
    if (!drop_queue) {
        receipt_for(f);
        return;
    }
    // RabbitMQ's way to end a durable subscription for good: UNSUBSCRIBE with durable:true.
    wait();
    _kernel.delete_queue(
      _vhost, s->queue, false, false, [this, alive = _alive, f = std::move(f), s](sdk::result<std::uint64_t> r) {
          if (!*alive) {
              return;
          }
          if (!r) {
              fail(from_status(r.error(), "deleting durable subscription " + s->id), &f);
          } else {
              receipt_for(f);
          }
          done();
      });
}

void session::subscription_cancelled(subscriber& s, const sdk::status& why)
{
    // The kernel ended it (its queue was deleted). STOMP has no frame to say so short of an
    // ERROR that closes the connection; the subscription just ends, as RabbitMQ's does.
    PLEXUS_LOG(_log,
               info,
               "connection {}: subscription '{}' to {} ended by the broker: {}",
               _conn.peer().address,
               s.id,
               s.destination,
               why.to_string());
    auto keep = s.shared_from_this();
    auto it = _subscribers.find(s.id);
    if (it != _subscribers.end() && it->second.get() == &s) {
        _subscribers.erase(it);
    }
    forget_unacked_of(s);
    s.handle.reset();
}

// ---- deliveries ----------------------------------------------------------------------------

void session::deliver(subscriber& s, std::vector<sdk::delivery> batch)
{
    auto it = _subscribers.find(s.id);
    if (_state == state::closed || it == _subscribers.end() || it->second.get() != &s) {
        return; // ending: what it delivered goes back to the queue with the subscription
    }
    if (!s.active) {
        for (auto& d : batch) {
            s.early.push_back(std::move(d));
        }
        return;
    }
    const auto& owner = it->second;
    const std::string prefix = "T_" + s.id + "@@session-" + std::to_string(_connection_id) + "@@";
    for (auto& d : batch) {
        const std::uint64_t n = _next_message++;
        const auto& msg = *d.msg;
        frame m;
        m.cmd = command::message;
        m.add("subscription", s.id);
        m.add("destination",
              s.destination.starts_with(temp_prefix) ? s.destination : destination_of(msg.exchange, msg.routing_key));
        std::string message_id = prefix + std::to_string(n);
        if (s.mode != ack_mode::auto_ack) {
            _unacked.emplace(n, unacked{ owner, d.tag });
            if (_version == version::v1_2) {
                m.add("ack", message_id);
            }
        }
        m.add("message-id", std::move(message_id));
        if (d.redelivered) {
            m.add("redelivered", "true");
        }
        add_message_headers(msg, _version, m);
        m.add("content-length", std::to_string(msg.body.size()));
        m.body = msg.body;
        _out.append(encode(m, _version));
    }
    deliveries_written();
}

void session::deliveries_written()
{
    flush();
    if (!_paused && _conn.above_high_watermark()) {
        _paused = true;
        update_pauses();
    }
}

void session::update_pauses()
{
    for (auto& [id, s] : _subscribers) {
        s->set_paused(_paused);
    }
}

// ---- ACK and NACK --------------------------------------------------------------------------

bool session::check_settle(const frame& f)
{
    const std::string_view what = f.cmd == command::ack ? "ACK" : "NACK";
    const auto* id = f.header("id");
    if (id == nullptr || _version != version::v1_2) {
        // 1.0 and 1.1 name the message by message-id (1.2 clients may too, lenient).
        if (const auto* mid = f.header("message-id")) {
            id = mid;
        }
    }
    if (id == nullptr) {
        fail({ "Missing 'id' header",
               std::string(what) + " frames need an " + (_version == version::v1_2 ? "id" : "message-id") + " header" },
             &f);
        return false;
    }
    if (!number_after_last_at(*id)) {
        fail({ "Bad ack id", std::string(what) + " names '" + *id + "', which is no message-id this broker sent" }, &f);
        return false;
    }
    return true;
}

void session::on_settle(frame&& f)
{
    if (!check_settle(f)) {
        return;
    }
    if (const auto* tx = f.header("transaction")) {
        auto it = _transactions.find(*tx);
        if (it == _transactions.end()) {
            fail({ "Bad transaction",
                   std::string(name_of(f.cmd)) + " names transaction '" + *tx + "', which was not begun" },
                 &f);
            return;
        }
        receipt_for(f);
        it->second.ops.emplace_back(held_settle{ std::move(f) });
        return;
    }
    settle(f);
    receipt_for(f);
}

void session::settle(const frame& f)
{
    const auto* id = f.header("id");
    if (id == nullptr || _version != version::v1_2) {
        if (const auto* mid = f.header("message-id")) {
            id = mid;
        }
    }
    const auto n = number_after_last_at(*id);
    auto it = _unacked.find(*n);
    if (it == _unacked.end()) {
        return; // settled already (an earlier cumulative ACK covered it) or never ackable
    }
    const auto from = it->second.from;
    const bool ack = f.cmd == command::ack;
    const bool requeue = f.header("requeue") == nullptr || *f.header("requeue") != "false";
    std::uint64_t count = 0;
    const std::uint64_t highest = it->second.kernel_tag;
    if (from->mode == ack_mode::client) {
        // Cumulative: this MESSAGE and every earlier one of the same subscription. Kernel tags
        // rise with message numbers within a subscription, so "up to the highest" is exact.
        for (auto e = _unacked.begin(); e != _unacked.end() && e->first <= *n;) {
            if (e->second.from == from) {
                ++count;
                e = _unacked.erase(e);
            } else {
                ++e;
            }
        }
    } else {
        _unacked.erase(it);
        count = 1;
    }
    if (!from->handle) {
        return;
    }
    if (ack) {
        from->handle->ack(highest, count > 1);
    } else {
        from->handle->nack(highest, count > 1, requeue);
    }
}

void session::forget_unacked_of(const subscriber& s)
{
    std::erase_if(_unacked, [&](const auto& e) { return e.second.from.get() == &s; });
}

} // namespace plexus::protocol::stomp
