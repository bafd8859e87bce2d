#include "kernel/src/queue/queue.h"

#include <algorithm>
#include <chrono>
#include <map>

namespace plexus::kernel {
namespace {

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

queue::queue(queue_options options, std::vector<lane_storage> lanes, sdk::executor& exec, queue_hooks hooks)
  : _options(std::move(options))
  , _exec(exec)
  , _get_consumer{ 0, {}, nullptr, {}, 0, 1, false }
  , _hooks(std::move(hooks))
  , _last_used_ms(steady_ms())
{
    const auto opened = wall_ms();
    _lanes.reserve(lanes.size());
    for (std::size_t p = 0; p < lanes.size(); ++p) {
        _lanes.push_back(std::make_unique<queue_lane>(static_cast<std::uint8_t>(p), std::move(lanes[p]), opened));
    }
}

void queue::save_cursor()
{
    for (auto& l : _lanes) {
        l->save_cursor();
    }
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
    expire_heads();
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

std::uint8_t queue::lane_of(const sdk::message_ptr& msg) const noexcept
{
    // Above the max counts as the max; no priority is 0 (RabbitMQ).
    const std::uint8_t wanted = msg ? msg->properties.priority : 0;
    return std::min<std::uint8_t>(wanted, static_cast<std::uint8_t>(_lanes.size() - 1));
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
    // One append per lane that got messages, each in publish order. The maps stay empty (no
    // allocation) unless an append fails or a publish waits for durability.
    const auto now = wall_ms();
    std::map<std::uint8_t, sdk::status> failed;
    auto append = [&](std::uint8_t lane, std::vector<sdk::message_ptr> msgs) {
        if (auto appended = _lanes[lane]->append(std::move(msgs), now); !appended) {
            failed.emplace(lane, appended.error());
        }
    };
    if (_lanes.size() == 1) {
        std::vector<sdk::message_ptr> msgs;
        msgs.reserve(pending.size());
        for (const auto& p : pending) {
            msgs.push_back(p.msg);
        }
        append(0, std::move(msgs));
    } else {
        std::vector<std::vector<sdk::message_ptr>> by_lane(_lanes.size());
        for (const auto& p : pending) {
            by_lane[lane_of(p.msg)].push_back(p.msg);
        }
        for (std::size_t lane = 0; lane < by_lane.size(); ++lane) {
            if (!by_lane[lane].empty()) {
                append(static_cast<std::uint8_t>(lane), std::move(by_lane[lane]));
            }
        }
    }
    // Confirms in publish order; a durable one waits for its lane's flush.
    std::map<std::uint8_t, std::shared_ptr<std::vector<append_done>>> waiting;
    for (auto& p : pending) {
        if (!p.done) {
            continue;
        }
        const auto lane = lane_of(p.msg);
        if (auto f = failed.find(lane); f != failed.end()) {
            p.done(f->second);
        } else if (p.level == sdk::ack_level::durable) {
            auto& w = waiting[lane];
            if (!w) {
                w = std::make_shared<std::vector<append_done>>();
            }
            w->push_back(std::move(p.done));
        } else {
            p.done(sdk::ack_level::stored);
        }
    }
    for (auto& [lane, w] : waiting) {
        _lanes[lane]->log().flush([w = std::move(w)](sdk::result<sdk::offset> r) {
            for (auto& d : *w) {
                if (r) {
                    d(sdk::ack_level::durable);
                } else {
                    d(r.error());
                }
            }
        });
    }
}

void queue::read_ahead(queue_lane& lane)
{
    if (lane.can_read_ahead()) {
        lane.read_ahead([self = shared_from_this()] { self->schedule(); });
    }
}

queue_lane* queue::next_lane()
{
    for (auto it = _lanes.rbegin(); it != _lanes.rend(); ++it) {
        queue_lane& lane = **it;
        while (!lane.has_in_memory() && lane.has_unread()) {
            // Its messages come before any lower priority's: wait for them rather than pass
            // them over.
            const auto before = lane.read_next();
            read_ahead(lane);
            if (lane.read_next() == before) {
                return nullptr; // under way (its landing schedules a run), or failed
            }
        }
        if (lane.has_in_memory()) {
            return &lane;
        }
    }
    return nullptr;
}

queue_lane* queue::ready_lane()
{
    for (;;) {
        queue_lane* lane = next_lane();
        if (lane == nullptr || !expire_head(*lane, 0)) {
            return lane;
        }
    }
}

bool queue::any_lane_reading() const noexcept
{
    return std::any_of(_lanes.begin(), _lanes.end(), [](const auto& l) { return l->reading(); });
}

ready_entry queue::pop_ready(queue_lane& lane)
{
    ready_entry e = lane.pop();
    if (lane.low_on_read_ahead()) {
        read_ahead(lane);
    }
    return e;
}

void queue::requeue(ready_entry&& e)
{
    _lanes[e.lane]->requeue(std::move(e));
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
    return _lanes[e.lane]->arrival(e.position) + *ttl;
}

bool queue::expire_head(queue_lane& lane, std::int64_t now_ms)
{
    ready_entry* h = lane.head();
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
    discard(pop_ready(lane), death_reason::expired);
    return true;
}

void queue::expire_heads()
{
    if (_lanes.size() == 1) {
        return; // the one lane's head is the queue's: ready_lane() checks it as it is reached
    }
    const auto now = wall_ms();
    for (auto& lane : _lanes) {
        bool expired = false;
        while (expire_head(*lane, now)) {
            expired = true;
        }
        if (expired && !lane->has_in_memory()) {
            read_ahead(*lane); // more may have run out behind them: the landing runs this again
        }
    }
}

void queue::arm_expiry_timer()
{
    if (_shut_down) {
        return;
    }
    std::optional<std::int64_t> due;
    for (auto& lane : _lanes) {
        if (const ready_entry* h = lane->head()) {
            if (auto d = deadline(*h); d && (!due || *d < *due)) {
                due = d;
            }
        }
    }
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
           (p.max_length_bytes && ready_bytes() + extra_bytes > *p.max_length_bytes);
}

void queue::enforce_max_length()
{
    const auto& p = _options.policy;
    if (!p.has_length_limit() || p.overflow != overflow_policy::drop_head) {
        return;
    }
    while (over_max_length(0, 0)) {
        // The head is the message that would go out next, the highest priority's; when it is
        // still in its log it goes once the read-ahead has it (the read schedules a run).
        queue_lane* lane = next_lane();
        if (lane == nullptr) {
            return;
        }
        discard(pop_ready(*lane), death_reason::maxlen);
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
    _lanes[e.lane]->settle(e.position);
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
    // The highest priority among consumers with credit is served, round-robin within it.
    std::optional<std::int32_t> best;
    for (const auto& c : _consumers) {
        if (c->has_credit() && (!best || c->options.priority > *best)) {
            best = c->options.priority;
        }
    }
    if (!best) {
        return nullptr;
    }
    for (std::size_t i = 0; i < _consumers.size(); ++i) {
        auto* c = _consumers[(_round_robin + i) % _consumers.size()].get();
        if (c->has_credit() && c->options.priority == *best) {
            _round_robin = (_round_robin + i + 1) % _consumers.size();
            return c;
        }
    }
    return nullptr;
}

void queue::dispatch()
{
    while (ready_lane() != nullptr) {
        consumer_state* c = next_consumer();
        if (c == nullptr) {
            return;
        }
        std::vector<sdk::delivery> batch;
        queue_lane* lane = nullptr;
        while (batch.size() < max_delivery_batch && c->has_credit() && (lane = ready_lane()) != nullptr) {
            ready_entry e = pop_ready(*lane);
            ++e.deliveries;
            sdk::delivery d;
            d.tag = c->next_tag++;
            d.msg = e.msg;
            d.position = e.position;
            d.delivery_count = e.deliveries;
            d.redelivered = e.deliveries > 1;
            if (c->options.auto_ack) {
                lane->settle(e.position);
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
        queue_lane* lane = ready_lane();
        if (lane == nullptr) {
            if (any_lane_reading()) {
                return; // answered when the read completes
            }
            break;
        }
        pending_get g = std::move(_pending_gets.front());
        _pending_gets.erase(_pending_gets.begin());
        ready_entry e = pop_ready(*lane);
        ++e.deliveries;
        sdk::fetched_message f;
        f.d.tag = _get_consumer.next_tag++;
        f.d.msg = e.msg;
        f.d.position = e.position;
        f.d.delivery_count = e.deliveries;
        f.d.redelivered = e.deliveries > 1;
        if (g.auto_ack) {
            lane->settle(e.position);
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
        _lanes[e.entry.lane]->settle(e.entry.position);
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
    std::uint64_t n = _pending.size();
    for (const auto& l : _lanes) {
        n += l->ready_count();
    }
    return n;
}

std::uint64_t queue::ready_bytes() const noexcept
{
    std::uint64_t n = 0;
    for (const auto& l : _lanes) {
        n += l->ready_bytes();
    }
    return n;
}

std::uint64_t queue::purge()
{
    if (!_pending.empty()) {
        append_pending();
    }
    std::uint64_t n = 0;
    for (auto& l : _lanes) {
        n += l->purge();
    }
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
    for (auto& l : _lanes) {
        l->trim();
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
    for (auto& l : _lanes) {
        l->close();
    }
    _shut_down = true;
}

void queue::flush(sdk::callback<void(sdk::status)> done)
{
    if (!_pending.empty()) {
        append_pending();
    }
    if (_lanes.size() == 1) {
        _lanes[0]->log().flush([done = std::move(done)](sdk::result<sdk::offset> r) mutable { done(r.error()); });
        return;
    }
    // Done once every lane's log is durable, with the first failure if any.
    struct all_lanes
    {
        std::size_t left;
        sdk::status first_error;
        sdk::callback<void(sdk::status)> done;
    };
    auto joined = std::make_shared<all_lanes>(all_lanes{ _lanes.size(), {}, std::move(done) });
    for (auto& l : _lanes) {
        l->log().flush([joined](sdk::result<sdk::offset> r) {
            if (!r && joined->first_error.ok()) {
                joined->first_error = r.error();
            }
            if (--joined->left == 0) {
                joined->done(joined->first_error);
            }
        });
    }
}

} // namespace plexus::kernel
