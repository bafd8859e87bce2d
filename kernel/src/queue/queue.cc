#include "kernel/src/queue/queue.h"

#include <algorithm>
#include <chrono>

namespace plexus::kernel {
namespace {

// Read-ahead bounds: enough to keep consumers busy, small enough that a backlog stays in the
// engine (paged), not in RAM.
constexpr std::size_t read_ahead_records = 4096;
constexpr std::size_t read_ahead_bytes = 4u << 20;
constexpr std::size_t max_delivery_batch = 256;

std::int64_t wall_ms() noexcept
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t steady_ms() noexcept
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::uint64_t body_bytes(const sdk::message_ptr& m) noexcept
{
    return m ? m->body.size() : 0;
}

} // namespace

queue::queue(queue_options options,
             std::unique_ptr<sdk::log> log,
             sdk::executor& exec,
             sdk::kv_store* cursors,
             std::string cursor_key,
             queue_hooks hooks)
  : _options(std::move(options))
  , _log(std::move(log))
  , _exec(exec)
  , _acks(_log->offsets().start)
  , _read_next(_log->offsets().start)
  , _get_consumer{ 0, {}, nullptr, {}, 0, 1, false }
  , _trimmed_to(_log->offsets().start)
  , _recovered_end(_log->offsets().next)
  , _cursors(cursors)
  , _cursor_key(std::move(cursor_key))
  , _hooks(std::move(hooks))
  , _arrivals(wall_ms())
  , _last_used_ms(steady_ms())
{
    if (_cursors == nullptr) {
        return;
    }
    // Acks saved before a restart: what was acked above the log's start stays acked.
    if (auto stored = _cursors->get(_cursor_key); stored && *stored) {
        if (auto acks = ack_tracker::decode(**stored, _log->offsets().start)) {
            _acks = std::move(*acks);
        }
    }
}

void queue::save_cursor()
{
    if (_cursors == nullptr || _acks.version() == _saved_version) {
        return;
    }
    _saved_version = _acks.version();
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ _cursor_key, _acks.encode() });
    // Best effort: a lost save only means redelivery after a crash (at-least-once).
    _cursors->apply(std::move(writes), [](sdk::status) {});
}

queue::~queue() = default;

void queue::schedule()
{
    if (_scheduled || _shut_down) {
        return;
    }
    _scheduled = true;
    _exec.post([self = shared_from_this()] { self->run(); });
}

void queue::run()
{
    _scheduled = false;
    if (_shut_down) {
        return;
    }
    if (!_pending.empty()) {
        append_pending();
    }
    dispatch();
    serve_gets();
    enforce_max_length();
    trim_log();
    arm_expiry_timer();
}

void queue::enqueue(sdk::message_ptr msg, sdk::ack_level level, append_done done)
{
    if (_shut_down) {
        if (done) {
            done(sdk::status(sdk::errc::not_found, "queue '" + _options.name + "' was deleted"));
        }
        return;
    }
    _pending.push_back({ std::move(msg), level, std::move(done) });
    schedule();
}

void queue::append_pending()
{
    std::vector<pending_append> pending;
    pending.swap(_pending);
    const auto& policy = _options.policy;
    if (policy.has_length_limit() && policy.overflow != overflow_policy::drop_head) {
        // Refused here, before the append: a full queue keeps what it has (reject-publish).
        std::vector<pending_append> accepted;
        std::uint64_t count = 0;
        std::uint64_t bytes = 0;
        for (auto& p : pending) {
            if (over_max_length(count + 1, bytes + body_bytes(p.msg))) {
                if (policy.overflow == overflow_policy::reject_publish_dlx) {
                    dead_letter(p.msg, death_reason::maxlen);
                }
                if (p.done) {
                    p.done(sdk::status(sdk::errc::resource_exhausted,
                                       "queue '" + _options.name + "' in vhost '" + _options.vhost +
                                         "' is full and its overflow policy rejects publishes"));
                }
                continue;
            }
            ++count;
            bytes += body_bytes(p.msg);
            accepted.push_back(std::move(p));
        }
        pending.swap(accepted);
        if (pending.empty()) {
            return;
        }
    }
    sdk::record_batch batch;
    batch.records.reserve(pending.size());
    for (auto& p : pending) {
        batch.records.push_back(p.msg);
    }
    auto appended = _log->append(std::move(batch));
    if (!appended) {
        for (auto& p : pending) {
            if (p.done) {
                p.done(appended.error());
            }
        }
        return;
    }
    _arrivals.record(appended->first, wall_ms());
    for (const auto& p : pending) {
        _ready_bytes += body_bytes(p.msg);
    }
    // Fresh records go straight into the read-ahead window when nothing older is waiting in
    // the log, so the common case never reads back what it just wrote.
    if (_read_next == appended->first && _fresh.size() + pending.size() <= read_ahead_records) {
        sdk::offset o = appended->first;
        for (auto& p : pending) {
            _fresh.push_back({ o, p.msg, 0 });
            ++o;
        }
        _read_next = o;
    }
    bool wants_durable = false;
    for (auto& p : pending) {
        if (p.level == sdk::ack_level::durable) {
            wants_durable = true;
        } else if (p.done) {
            p.done(sdk::ack_level::stored);
        }
    }
    if (wants_durable) {
        auto waiting = std::make_shared<std::vector<append_done>>();
        for (auto& p : pending) {
            if (p.level == sdk::ack_level::durable && p.done) {
                waiting->push_back(std::move(p.done));
            }
        }
        _log->flush([waiting](sdk::result<sdk::offset> r) {
            for (auto& d : *waiting) {
                if (r) {
                    d(sdk::ack_level::durable);
                } else {
                    d(r.error());
                }
            }
        });
    }
}

void queue::refill()
{
    if (_reading || _read_next >= _log->offsets().next || _fresh.size() >= read_ahead_records / 2) {
        return;
    }
    _reading = true;
    _in_read_call = true;
    _log->read(_read_next, read_ahead_bytes, [self = shared_from_this()](sdk::result<sdk::record_batch> r) {
        self->_reading = false;
        if (self->_shut_down) {
            return;
        }
        if (r && !r->empty() && r->base_offset == self->_read_next) {
            sdk::offset o = r->base_offset;
            for (auto& m : r->records) {
                // What the log held when the queue opened (a restart) may have been delivered
                // before: it goes out redelivered, as AMQP allows ("may have been").
                const std::uint32_t earlier = o < self->_recovered_end ? 1 : 0;
                if (!self->_acks.is_settled(o)) { // acked before a restart
                    if (earlier != 0) {
                        self->_ready_bytes += body_bytes(m); // appended before the restart: not counted yet
                    }
                    self->_fresh.push_back({ o, std::move(m), earlier });
                }
                ++o;
            }
            self->_read_next = o;
        } else if (!r && r.error().code() == sdk::errc::not_found) {
            // Trimmed below us (retention): skip to what the log still has.
            self->_read_next = std::max(self->_read_next, self->_log->offsets().start);
        }
        if (!self->_in_read_call) {
            self->schedule();
        }
    });
    _in_read_call = false;
}

bool queue::has_ready()
{
    for (;;) {
        if (_requeued.empty() && _fresh.empty()) {
            refill();
            if (_fresh.empty()) {
                return false;
            }
        }
        if (!expire_head(0)) {
            return true;
        }
    }
}

queue::ready_entry* queue::head() noexcept
{
    if (!_requeued.empty()) {
        return &_requeued.begin()->second;
    }
    return _fresh.empty() ? nullptr : &_fresh.front();
}

queue::ready_entry queue::pop_ready()
{
    ready_entry e;
    if (!_requeued.empty()) {
        auto it = _requeued.begin();
        e = std::move(it->second);
        _requeued.erase(it);
    } else {
        e = std::move(_fresh.front());
        _fresh.pop_front();
        if (_fresh.size() < read_ahead_records / 4) {
            refill();
        }
    }
    const auto bytes = body_bytes(e.msg);
    _ready_bytes -= std::min(_ready_bytes, bytes);
    return e;
}

void queue::requeue(ready_entry&& e)
{
    _ready_bytes += body_bytes(e.msg);
    const auto position = e.position();
    _requeued.emplace(position, std::move(e));
}

// ---- TTL, max length, dead-lettering -------------------------------------------------------

std::optional<std::int64_t> queue::deadline(const ready_entry& e) const noexcept
{
    std::optional<std::int64_t> ttl = _options.policy.message_ttl_ms;
    if (e.msg && e.msg->properties.ttl_ms) {
        ttl = ttl ? std::min(*ttl, *e.msg->properties.ttl_ms) : *e.msg->properties.ttl_ms;
    }
    if (!ttl) {
        return std::nullopt;
    }
    return _arrivals.arrival(e.position) + *ttl;
}

bool queue::expire_head(std::int64_t now_ms)
{
    ready_entry* h = head();
    if (h == nullptr) {
        return false;
    }
    auto due = deadline(*h);
    if (!due) {
        return false;
    }
    if (now_ms == 0) {
        now_ms = wall_ms();
    }
    if (now_ms <= *due) {
        return false; // a TTL of 0 still lets a waiting consumer have it in the same millisecond
    }
    discard(pop_ready(), death_reason::expired);
    return true;
}

void queue::arm_expiry_timer()
{
    ready_entry* h = _shut_down ? nullptr : head();
    auto due = h == nullptr ? std::nullopt : deadline(*h);
    if (!due || (_expiry_timer && _expiry_at <= *due)) {
        return;
    }
    _expiry_at = *due;
    const auto delay = std::max<std::int64_t>(0, *due - wall_ms() + 1);
    _expiry_timer = _exec.post_after(std::chrono::milliseconds(delay), [w = weak_from_this()] {
        if (auto self = w.lock()) {
            self->_expiry_timer.reset();
            self->schedule();
        }
    });
}

bool queue::over_max_length(std::uint64_t extra_messages, std::uint64_t extra_bytes) const noexcept
{
    const auto& p = _options.policy;
    return (p.max_length && ready_count() + extra_messages > *p.max_length) ||
           (p.max_length_bytes && _ready_bytes + extra_bytes > *p.max_length_bytes);
}

void queue::enforce_max_length()
{
    const auto& p = _options.policy;
    if (!p.has_length_limit() || p.overflow != overflow_policy::drop_head) {
        return;
    }
    while (over_max_length(0, 0)) {
        if (head() == nullptr) {
            // The head is still in the log: drop it once the read-ahead has it (the read
            // schedules another run).
            refill();
            if (head() == nullptr) {
                return;
            }
        }
        discard(pop_ready(), death_reason::maxlen);
    }
}

void queue::dead_letter(sdk::message_ptr msg, death_reason reason)
{
    const auto& dlx = _options.policy.dead_letter_exchange;
    if (!dlx || !_hooks.dead_letter || !msg) {
        return;
    }
    const dead_letter_route route{ *dlx, _options.policy.dead_letter_routing_key };
    if (auto copy = make_dead_letter(*msg, _options.name, reason, route, wall_ms())) {
        _hooks.dead_letter(std::move(copy));
    }
}

void queue::discard(ready_entry&& e, death_reason reason)
{
    dead_letter(std::move(e.msg), reason);
    _acks.settle(e.position);
}

// ---- x-expires -------------------------------------------------------------------------------

void queue::touch()
{
    _last_used_ms = steady_ms();
    arm_unused_timer();
}

bool queue::expired() const noexcept
{
    const auto& expires = _options.policy.expires_ms;
    return expires && !_shut_down && _consumers.empty() && steady_ms() - _last_used_ms >= *expires;
}

void queue::arm_unused_timer()
{
    const auto& expires = _options.policy.expires_ms;
    if (!expires || _shut_down || !_consumers.empty() || _expiry_requested) {
        return;
    }
    const auto left = std::max<std::int64_t>(0, _last_used_ms + *expires - steady_ms());
    _unused_timer = _exec.post_after(std::chrono::milliseconds(left), [w = weak_from_this()] {
        auto self = w.lock();
        if (!self) {
            return;
        }
        if (self->expired()) {
            self->_expiry_requested = true; // once: the broker deletes it, or it was used again
            if (self->_hooks.expired) {
                self->_hooks.expired();
            }
        } else {
            self->arm_unused_timer();
        }
    });
}

queue::consumer_state* queue::next_consumer()
{
    if (_consumers.empty()) {
        return nullptr;
    }
    if (_options.single_active_consumer) {
        // Only the first consumer (the active one) receives; the others wait their turn.
        auto* c = _consumers.front().get();
        return c->has_credit() ? c : nullptr;
    }
    for (std::size_t i = 0; i < _consumers.size(); ++i) {
        auto* c = _consumers[(_round_robin + i) % _consumers.size()].get();
        if (c->has_credit()) {
            _round_robin = (_round_robin + i + 1) % _consumers.size();
            return c;
        }
    }
    return nullptr;
}

void queue::dispatch()
{
    while (has_ready()) {
        consumer_state* c = next_consumer();
        if (c == nullptr) {
            return;
        }
        std::vector<sdk::delivery> batch;
        while (batch.size() < max_delivery_batch && c->has_credit() && has_ready()) {
            ready_entry e = pop_ready();
            ++e.deliveries;
            sdk::delivery d;
            d.tag = c->next_tag++;
            d.msg = e.msg;
            d.position = e.position;
            d.delivery_count = e.deliveries;
            d.redelivered = e.deliveries > 1;
            if (c->options.auto_ack) {
                _acks.settle(e.position);
            } else {
                c->unacked.push_back({ d.tag, std::move(e), false });
                ++c->outstanding;
            }
            batch.push_back(std::move(d));
        }
        if (batch.empty()) {
            return;
        }
        c->link->home->post([link = c->link, batch = std::move(batch)]() mutable {
            if (link->alive) {
                link->sink->deliver(std::move(batch));
            }
        });
    }
}

void queue::serve_gets()
{
    while (!_pending_gets.empty()) {
        if (!has_ready()) {
            if (_reading) {
                return; // answered when the read completes
            }
            break;
        }
        pending_get g = std::move(_pending_gets.front());
        _pending_gets.erase(_pending_gets.begin());
        ready_entry e = pop_ready();
        ++e.deliveries;
        sdk::fetched_message f;
        f.d.tag = _get_consumer.next_tag++;
        f.d.msg = e.msg;
        f.d.position = e.position;
        f.d.delivery_count = e.deliveries;
        f.d.redelivered = e.deliveries > 1;
        if (g.auto_ack) {
            _acks.settle(e.position);
        } else {
            _get_consumer.unacked.push_back({ f.d.tag, std::move(e), false });
            ++_get_consumer.outstanding;
        }
        f.remaining = ready_count();
        g.done(std::move(f));
    }
    for (auto& g : _pending_gets) {
        g.done(std::nullopt);
    }
    _pending_gets.clear();
}

void queue::get(bool auto_ack, sdk::callback<void(std::optional<sdk::fetched_message>)> done)
{
    _pending_gets.push_back({ auto_ack, std::move(done) });
    touch();
    if (!_pending.empty()) {
        append_pending(); // a get right after a publish on this shard sees it
    }
    serve_gets();
    trim_log(); // an auto-acked get settles at once: its record may go (and stay gone on restart)
}

sdk::result<std::uint64_t> queue::add_consumer(const consumer_options& options, std::shared_ptr<subscriber_link> link)
{
    if (_options.exclusive && options.connection != _options.owner) {
        return sdk::status(sdk::errc::locked,
                           "cannot obtain exclusive access to locked queue '" + _options.name + "' in vhost '" +
                             _options.vhost + "'");
    }
    for (const auto& c : _consumers) {
        if (c->options.exclusive || (options.exclusive && !_consumers.empty())) {
            return sdk::status(sdk::errc::forbidden,
                               "queue '" + _options.name + "' in vhost '" + _options.vhost + "' in exclusive use");
        }
    }
    auto c = std::make_unique<consumer_state>();
    c->id = _next_consumer_id++;
    c->options = options;
    c->link = std::move(link);
    std::uint64_t id = c->id;
    _consumers.push_back(std::move(c));
    _ever_consumed = true;
    _unused_timer.reset();
    _expiry_requested = false;
    schedule();
    return id;
}

queue::consumer_state* queue::find_consumer(std::uint64_t id)
{
    if (id == 0) {
        return &_get_consumer;
    }
    for (auto& c : _consumers) {
        if (c->id == id) {
            return c.get();
        }
    }
    return nullptr;
}

bool queue::remove_consumer(std::uint64_t consumer)
{
    auto it = std::find_if(_consumers.begin(), _consumers.end(), [&](const auto& c) { return c->id == consumer; });
    if (it == _consumers.end()) {
        return false;
    }
    for (auto& u : (*it)->unacked) {
        if (!u.settled) {
            requeue(std::move(u.entry));
        }
    }
    _consumers.erase(it);
    if (_round_robin >= _consumers.size()) {
        _round_robin = 0;
    }
    if (_consumers.empty()) {
        touch();
    }
    schedule();
    return _consumers.empty();
}

void queue::settle_entry(unacked_entry& e, settle_kind kind)
{
    e.settled = true;
    if (kind == settle_kind::requeue) {
        requeue(std::move(e.entry));
    } else if (kind == settle_kind::drop) {
        discard(std::move(e.entry), death_reason::rejected);
    } else {
        _acks.settle(e.entry.position);
        e.entry.msg.reset();
    }
}

void queue::settle(std::uint64_t consumer, std::uint64_t tag, bool multiple, settle_kind kind)
{
    consumer_state* c = find_consumer(consumer);
    if (c == nullptr || c->unacked.empty()) {
        return;
    }
    auto by_tag = [](const unacked_entry& e, std::uint64_t t) { return e.tag < t; };
    if (multiple) {
        for (auto& e : c->unacked) {
            if (e.tag > tag) {
                break;
            }
            if (!e.settled) {
                settle_entry(e, kind);
                --c->outstanding;
            }
        }
    } else {
        auto it = std::lower_bound(c->unacked.begin(), c->unacked.end(), tag, by_tag);
        if (it == c->unacked.end() || it->tag != tag || it->settled) {
            return; // unknown or already settled: the gateway reports protocol errors
        }
        settle_entry(*it, kind);
        --c->outstanding;
    }
    while (!c->unacked.empty() && c->unacked.front().settled) {
        c->unacked.pop_front();
    }
    schedule();
}

void queue::set_prefetch(std::uint64_t consumer, std::uint32_t prefetch)
{
    if (auto* c = find_consumer(consumer)) {
        c->options.prefetch = prefetch;
        schedule();
    }
}

void queue::pause(std::uint64_t consumer, bool paused)
{
    if (auto* c = find_consumer(consumer)) {
        c->paused = paused;
        if (!paused) {
            schedule();
        }
    }
}

std::uint64_t queue::ready_count() const noexcept
{
    auto unread = _log->offsets().next - _read_next;
    return static_cast<std::uint64_t>(unread) + _fresh.size() + _requeued.size() + _pending.size();
}

std::uint64_t queue::purge()
{
    if (!_pending.empty()) {
        append_pending();
    }
    std::uint64_t n = ready_count() - _pending.size();
    for (auto& e : _fresh) {
        _acks.settle(e.position);
    }
    for (auto& [o, e] : _requeued) {
        _acks.settle(e.position);
    }
    _fresh.clear();
    _requeued.clear();
    _ready_bytes = 0;
    sdk::offset end = _log->offsets().next;
    for (sdk::offset o = _read_next; o < end; ++o) {
        _acks.settle(o);
    }
    _read_next = end;
    trim_log();
    return n;
}

sdk::queue_info queue::info() const
{
    sdk::queue_info i;
    i.name = _options.name;
    i.messages = ready_count();
    std::uint64_t unacked = _get_consumer.outstanding;
    for (const auto& c : _consumers) {
        unacked += c->outstanding;
    }
    i.unacked = unacked;
    i.consumers = consumer_count();
    return i;
}

void queue::trim_log()
{
    sdk::offset keep_from = _acks.mark_delete() + 1;
    if (keep_from > _trimmed_to) {
        if (_log->truncate_prefix(keep_from).ok()) {
            _trimmed_to = keep_from;
            _arrivals.forget_below(keep_from);
        }
    }
}

void queue::shutdown(const sdk::status& why)
{
    if (_shut_down) {
        return;
    }
    for (auto& c : _consumers) {
        c->link->home->post([link = c->link, why] {
            if (link->alive) {
                link->sink->cancelled(why);
            }
        });
    }
    _consumers.clear();
    for (auto& p : _pending) {
        if (p.done) {
            p.done(why);
        }
    }
    _pending.clear();
    for (auto& g : _pending_gets) {
        g.done(std::nullopt);
    }
    _pending_gets.clear();
    _expiry_timer.reset();
    _unused_timer.reset();
    _shut_down = true;
}

void queue::flush(sdk::callback<void(sdk::status)> done)
{
    if (!_pending.empty()) {
        append_pending();
    }
    _log->flush([done = std::move(done)](sdk::result<sdk::offset> r) mutable { done(r.error()); });
}

} // namespace plexus::kernel
