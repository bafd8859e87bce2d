#include "kernel/src/exchange/delay_store.h"

#include <algorithm>
#include <chrono>

namespace plexus::kernel {
namespace {

/// Where the store keeps a message's due time in what it appends.
constexpr std::string_view due_header = "x-plexus-due";
constexpr std::string_view delay_header = "x-delay";
constexpr std::size_t read_back_bytes = 4u << 20;

std::int64_t wall_ms() noexcept
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::optional<std::int64_t> integer_header(const sdk::message& msg, std::string_view key) noexcept
{
    const auto* v = sdk::find_header(msg.headers_, key);
    const auto* i = v == nullptr ? nullptr : std::get_if<std::int64_t>(v);
    return i == nullptr ? std::nullopt : std::optional<std::int64_t>(*i);
}

/// The message as it goes out when due: x-delay negated (the plugin's mark of a delivered
/// delayed message, which also keeps it from being delayed again) and the due time gone.
sdk::message_ptr released(const sdk::message& stored)
{
    auto out = std::make_shared<sdk::message>(stored);
    auto& h = out->headers_;
    std::erase_if(h, [](const sdk::header& e) { return e.key == due_header; });
    for (auto& e : h) {
        if (e.key == delay_header) {
            if (auto* i = std::get_if<std::int64_t>(&e.value)) {
                *i = -*i;
            }
        }
    }
    return out;
}

} // namespace

std::optional<std::int64_t> requested_delay(const sdk::message& msg) noexcept
{
    auto d = integer_header(msg, delay_header);
    return d && *d > 0 ? d : std::nullopt;
}

delay_store::delay_store(std::unique_ptr<sdk::log> log,
                         sdk::executor& exec,
                         sdk::kv_store* cursors,
                         std::string cursor_key,
                         std::function<void(sdk::message_ptr)> release)
  : _log(std::move(log))
  , _exec(exec)
  , _cursors(cursors)
  , _cursor_key(std::move(cursor_key))
  , _release(std::move(release))
  , _acks(_log->offsets().start)
{
    if (_cursors == nullptr) {
        return;
    }
    if (auto stored = _cursors->get(_cursor_key); stored && *stored) {
        if (auto acks = ack_tracker::decode(**stored, _log->offsets().start)) {
            _acks = std::move(*acks);
            _saved_version = _acks.version();
        }
    }
}

delay_store::~delay_store() = default;

void delay_store::start()
{
    read_back(_log->offsets().start);
}

void delay_store::read_back(sdk::offset from)
{
    if (_shut_down || from >= _log->offsets().next) {
        arm();
        return;
    }
    _log->read(from, read_back_bytes, [w = weak_from_this()](sdk::result<sdk::record_batch> r) {
        auto self = w.lock();
        if (!self) {
            return;
        }
        if (!r || r->empty()) {
            // Unreadable past here (a damaged log was cut): release what was read.
            self->arm();
            return;
        }
        sdk::offset o = r->base_offset;
        for (auto& m : r->records) {
            if (!self->_acks.is_settled(o)) {
                const auto due = integer_header(*m, due_header).value_or(0);
                self->_due.emplace(due, held{ o, std::move(m) });
            }
            ++o;
        }
        self->_exec.post([w = self->weak_from_this(), o] {
            if (auto again = w.lock()) {
                again->read_back(o);
            }
        });
    });
}

void delay_store::hold(sdk::message_ptr msg, std::int64_t delay_ms, sdk::ack_level level, append_done done)
{
    if (_shut_down) {
        if (done) {
            done(sdk::status(sdk::errc::not_found, "the delayed exchange was deleted"));
        }
        return;
    }
    const std::int64_t due = wall_ms() + delay_ms;
    auto stored = std::make_shared<sdk::message>(*msg);
    stored->headers_.push_back({ std::string(due_header), due });
    sdk::record_batch batch;
    batch.records.push_back(stored);
    auto appended = _log->append(std::move(batch));
    if (!appended) {
        if (done) {
            done(appended.error());
        }
        return;
    }
    _due.emplace(due, held{ appended->first, std::move(stored) });
    arm();
    if (!done) {
        return;
    }
    if (level != sdk::ack_level::durable) {
        done(sdk::ack_level::stored);
        return;
    }
    _log->flush([done = std::move(done)](sdk::result<sdk::offset> r) mutable {
        if (r) {
            done(sdk::ack_level::durable);
        } else {
            done(r.error());
        }
    });
}

void delay_store::arm()
{
    if (_shut_down || _due.empty()) {
        return;
    }
    const std::int64_t next = _due.begin()->first;
    if (_timer && _timer_at <= next) {
        return;
    }
    _timer_at = next;
    // One millisecond past the due time: clock readings are whole milliseconds, so "due"
    // may be up to one early in real time.
    const auto wait = std::max<std::int64_t>(0, next - wall_ms() + 1);
    _timer = _exec.post_after(std::chrono::milliseconds(wait), [w = weak_from_this()] {
        if (auto self = w.lock()) {
            self->_timer.reset();
            self->release_due();
        }
    });
}

void delay_store::release_due()
{
    if (_shut_down) {
        return;
    }
    const std::int64_t now = wall_ms();
    while (!_due.empty() && _due.begin()->first < now) {
        auto node = _due.extract(_due.begin());
        _release(released(*node.mapped().msg));
        _acks.settle(node.mapped().position);
    }
    const sdk::offset keep_from = _acks.mark_delete() + 1;
    if (keep_from > _log->offsets().start) {
        _log->truncate_prefix(keep_from).ignore();
    }
    save_cursor();
    arm();
}

void delay_store::save_cursor()
{
    if (_cursors == nullptr || _acks.version() == _saved_version) {
        return;
    }
    _saved_version = _acks.version();
    std::vector<sdk::kv_store::write> writes;
    writes.push_back({ _cursor_key, _acks.encode() });
    // Best effort, as a queue's acks: a lost save means a message released twice after a crash.
    _cursors->apply(std::move(writes), [](sdk::status) {});
}

void delay_store::shutdown()
{
    save_cursor();
    _shut_down = true;
    _timer.reset();
}

} // namespace plexus::kernel
