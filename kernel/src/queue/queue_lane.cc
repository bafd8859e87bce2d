#include "kernel/src/queue/queue_lane.h"

#include <algorithm>

namespace plexus::kernel {
namespace {

// Read-ahead bounds: enough to keep consumers busy, small enough that a backlog stays in the
// engine (paged), not in RAM. Per lane: a priority queue holds at most this per priority.
constexpr std::size_t read_ahead_records = 4096;
constexpr std::size_t read_ahead_bytes = 4u << 20;

std::uint64_t body_bytes(const sdk::message_ptr& m) noexcept
{
    return m ? m->body.size() : 0;
}

} // namespace

queue_lane::queue_lane(std::uint8_t priority, lane_storage storage, std::int64_t opened_ms)
  : _priority(priority)
  , _log(std::move(storage.log))
  , _acks(_log->offsets().start)
  , _read_next(_log->offsets().start)
  , _trimmed_to(_log->offsets().start)
  , _recovered_end(_log->offsets().next)
  , _arrivals(opened_ms)
  , _cursors(storage.cursors)
  , _cursor_key(std::move(storage.cursor_key))
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

sdk::result<sdk::offset> queue_lane::append(std::vector<sdk::message_ptr> msgs, std::int64_t now_ms)
{
    sdk::record_batch batch;
    batch.records = msgs; // the log keeps its own references; `msgs` may join the window
    auto appended = _log->append(std::move(batch));
    if (!appended) {
        return appended.error();
    }
    _arrivals.record(appended->first, now_ms);
    for (const auto& m : msgs) {
        _ready_bytes += body_bytes(m);
    }
    // Fresh records go straight into the read-ahead window when nothing older is waiting in
    // the log, so the common case never reads back what it just wrote.
    if (_read_next == appended->first && _fresh.size() + msgs.size() <= read_ahead_records) {
        sdk::offset o = appended->first;
        for (auto& m : msgs) {
            _fresh.push_back({ o, std::move(m), 0, _priority });
            ++o;
        }
        _read_next = o;
    }
    return appended->first;
}

bool queue_lane::can_read_ahead() const noexcept
{
    return !_reading && has_unread() && _fresh.size() < read_ahead_records / 2;
}

bool queue_lane::low_on_read_ahead() const noexcept
{
    return _fresh.size() < read_ahead_records / 4;
}

void queue_lane::read_ahead(sdk::callback<void()> landed)
{
    if (!can_read_ahead()) {
        return;
    }
    _reading = true;
    _in_read_call = true;
    // `landed` owns the queue, which owns this lane: `this` stays valid until it has run.
    _log->read(
      _read_next, read_ahead_bytes, [this, landed = std::move(landed)](sdk::result<sdk::record_batch> r) mutable {
          _reading = false;
          if (_closed) {
              return;
          }
          take_read(std::move(r));
          if (!_in_read_call) {
              landed();
          }
      });
    _in_read_call = false;
}

void queue_lane::take_read(sdk::result<sdk::record_batch> r)
{
    if (r && !r->empty() && r->base_offset == _read_next) {
        sdk::offset o = r->base_offset;
        for (auto& m : r->records) {
            // What the log held when the lane opened (a restart) may have been delivered
            // before: it goes out redelivered, as AMQP allows ("may have been").
            const std::uint32_t earlier = o < _recovered_end ? 1 : 0;
            if (!_acks.is_settled(o)) { // acked before a restart
                if (earlier != 0) {
                    _ready_bytes += body_bytes(m); // appended before the restart: not counted yet
                }
                _fresh.push_back({ o, std::move(m), earlier, _priority });
            }
            ++o;
        }
        _read_next = o;
    } else if (!r && r.error().code() == sdk::errc::not_found) {
        // Trimmed below us (retention): skip to what the log still has.
        _read_next = std::max(_read_next, _log->offsets().start);
    }
}

ready_entry* queue_lane::head() noexcept
{
    if (!_requeued.empty()) {
        return &_requeued.begin()->second;
    }
    return _fresh.empty() ? nullptr : &_fresh.front();
}

ready_entry queue_lane::pop()
{
    ready_entry e;
    if (!_requeued.empty()) {
        auto it = _requeued.begin();
        e = std::move(it->second);
        _requeued.erase(it);
    } else {
        e = std::move(_fresh.front());
        _fresh.pop_front();
    }
    _ready_bytes -= std::min(_ready_bytes, body_bytes(e.msg));
    return e;
}

void queue_lane::requeue(ready_entry&& e)
{
    _ready_bytes += body_bytes(e.msg);
    const auto position = e.position();
    _requeued.emplace(position, std::move(e));
}

std::uint64_t queue_lane::ready_count() const noexcept
{
    const auto unread = _log->offsets().next - _read_next;
    return static_cast<std::uint64_t>(unread) + _fresh.size() + _requeued.size();
}

std::uint64_t queue_lane::purge()
{
    const std::uint64_t n = ready_count();
    for (auto& e : _fresh) {
        _acks.settle(e.position);
    }
    for (auto& [o, e] : _requeued) {
        _acks.settle(e.position);
    }
    _fresh.clear();
    _requeued.clear();
    _ready_bytes = 0;
    const sdk::offset end = _log->offsets().next;
    for (sdk::offset o = _read_next; o < end; ++o) {
        _acks.settle(o);
    }
    _read_next = end;
    return n;
}

void queue_lane::trim()
{
    const sdk::offset keep_from = _acks.mark_delete() + 1;
    if (keep_from > _trimmed_to) {
        if (_log->truncate_prefix(keep_from).ok()) {
            _trimmed_to = keep_from;
            _arrivals.forget_below(keep_from);
        }
    }
}

void queue_lane::save_cursor()
{
    if (_cursors == nullptr || _acks.version() == _saved_version) {
        return;
    }
    _saved_version = _acks.version();
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ _cursor_key, _acks.encode() });
    _cursors->apply(std::move(writes), [](sdk::status) {});
}

} // namespace plexus::kernel
