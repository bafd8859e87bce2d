#include "file_log.h"

#include "encoded_batch.h"
#include "record_codec.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace plexus::storage::file {

namespace {

std::string describe(const segment_recovery& r, const segment& s)
{
    std::string what;
    if (r.cut_bytes > 0) {
        what += fmt::format("cut a torn tail of {} bytes; ", r.cut_bytes);
    }
    for (const auto& d : r.damaged) {
        what += fmt::format("dropped {} damaged bytes at byte {}; ", d.bytes, d.position);
    }
    if (!r.moved_to.empty()) {
        what += fmt::format("kept the damaged original as {}; ", r.moved_to.string());
    }
    return fmt::format("segment {}: {} intact frames, {}index rebuilt", s.path().string(), r.frames, what);
}

} // namespace

log_core::log_core(std::string name, std::filesystem::path dir, log_environment env)
  : _name(std::move(name))
  , _dir(std::move(dir))
  , _env(env)
{
}

sdk::status log_core::open(sdk::offset first_offset)
{
    std::vector<std::int64_t> bases;
    std::vector<std::filesystem::path> indexes;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(_dir, ec)) {
        const auto& p = entry.path();
        if (auto base = segment::base_of(p)) {
            bases.push_back(*base);
        } else if (p.extension() == ".index") {
            indexes.push_back(p);
        } else if (p.extension() == ".tmp" || p.extension() == ".repair") {
            std::filesystem::remove(p, ec); // left by a crash in the middle of a rewrite
        }
    }
    for (const auto& index : indexes) {
        auto data = index;
        if (!std::filesystem::exists(data.replace_extension(".log"), ec)) {
            std::filesystem::remove(index, ec); // its segment was truncated away
        }
    }
    if (ec) {
        return sdk::status(sdk::errc::io_error, "cannot list " + _dir.string() + ": " + ec.message());
    }
    std::sort(bases.begin(), bases.end());
    const auto began = std::chrono::steady_clock::now();
    std::int64_t start = 0;
    std::size_t rebuilt = 0;
    for (std::size_t i = 0; i < bases.size(); ++i) {
        auto seg = segment::open(_dir, sdk::offset{ bases[i] }, _env.config.index_interval_bytes, _env.hooks.get());
        if (!seg) {
            return seg.error();
        }
        std::optional<std::int64_t> saved_start;
        if (!_env.config.verify_all_on_start) {
            saved_start = (*seg)->load_index();
        }
        if (saved_start) {
            start = std::max(start, *saved_start);
        } else {
            auto report = (*seg)->recover();
            if (!report) {
                return report.error();
            }
            ++rebuilt;
            if (report->start) {
                start = std::max(start, *report->start);
            }
            const bool damaged = report->cut_bytes > 0 || !report->damaged.empty();
            if (_env.logger != nullptr) {
                if (damaged) {
                    PLEXUS_LOG(*_env.logger, warn, "file engine: log '{}': {}", _name, describe(*report, **seg));
                } else {
                    PLEXUS_LOG(*_env.logger, debug, "file engine: log '{}': {}", _name, describe(*report, **seg));
                }
            }
            if (i + 1 < bases.size()) {
                (*seg)->save_index(start).ignore(); // a sealed segment: spare the next start the scan
            }
        }
        if (!_segments.empty() && (*seg)->base() < _segments.back()->next()) {
            return sdk::status(sdk::errc::corruption,
                               "segment " + (*seg)->path().string() + " overlaps the one before it");
        }
        _record_bytes += (*seg)->record_bytes();
        _segments.push_back(std::move(*seg));
    }
    if (_segments.empty()) {
        auto seg = segment::create(_dir, first_offset, _env.config.index_interval_bytes, _env.hooks.get());
        if (!seg) {
            return seg.error();
        }
        _segments.push_back(std::move(*seg));
        sync_directory(_dir).ignore();
    }
    _next = active().has_records() ? active().next() : active().base();
    _start = sdk::offset{ std::clamp(start, _segments.front()->base()(), _next()) };
    _committed = _next;
    _active_since = std::chrono::steady_clock::now();
    if (_env.logger != nullptr && rebuilt > 0) {
        const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
        PLEXUS_LOG(*_env.logger,
                   info,
                   "file engine: log '{}' recovered: {} segments ({} checked), offsets {}..{}, {} ms",
                   _name,
                   _segments.size(),
                   rebuilt,
                   _start(),
                   _next(),
                   ms);
    }
    return {};
}

void log_core::close() noexcept
{
    if (_marker_pending) {
        write_start_marker();
    }
    for (const auto& seg : _unsynced) {
        seg->sync().ignore();
    }
    _unsynced.clear();
    for (const auto& seg : _unsaved) {
        seg->save_index(_start()).ignore();
    }
    _unsaved.clear();
    if (!_segments.empty()) {
        if (auto st = active().save_index(_start()); !st.ok() && _env.logger != nullptr) {
            PLEXUS_LOG(*_env.logger, warn, "file engine: log '{}': {}", _name, st.to_string());
        }
    }
    _sync_delay.reset();
}

sdk::result<sdk::offset_range> log_core::append(sdk::record_batch batch) noexcept
{
    return append_batch(std::move(batch), std::nullopt);
}

sdk::result<sdk::offset_range> log_core::append_at(sdk::record_batch batch) noexcept
{
    const sdk::offset base = batch.base_offset;
    return append_batch(std::move(batch), base);
}

sdk::result<sdk::offset_range> log_core::append_batch(sdk::record_batch batch,
                                                      std::optional<sdk::offset> explicit_base) noexcept
{
    if (!_failed.ok()) {
        return _failed;
    }
    const sdk::offset base = explicit_base.value_or(_next);
    if (base < _next) {
        return sdk::status(
          sdk::errc::invalid_argument,
          fmt::format("cannot append to log '{}' at offset {}: it ends at {}", _name, base(), _next()));
    }
    if (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - base()) < batch.size()) {
        return sdk::status(sdk::errc::invalid_argument,
                           fmt::format("a batch at offset {} runs past the largest offset", base()));
    }
    if (batch.encoded) {
        if (auto st = check_encoded(*batch.encoded); !st.ok()) {
            return st;
        }
        if (!batch.records.empty()) {
            return sdk::status(sdk::errc::invalid_argument, "a record batch holds both messages and encoded records");
        }
        if (const auto size = frame_header_size + 1 + batch.encoded->format.size() + batch.encoded->bytes.size();
            size > max_frame_bytes) { // refused before the bytes are copied
            return sdk::status(sdk::errc::invalid_argument,
                               fmt::format("a batch of {} bytes is over the limit of {}", size, max_frame_bytes));
        }
    }
    if (batch.empty()) {
        return sdk::offset_range{ base, base - 1 }; // nothing stored: no gap either
    }
    try {
        _frame.clear();
        const std::size_t frame_at = begin_frame(_frame);
        std::int64_t max_ts = std::numeric_limits<std::int64_t>::min();
        frame_kind kind = frame_kind::records;
        if (batch.encoded) {
            kind = frame_kind::encoded;
            append_encoded_payload(_frame, *batch.encoded, base);
            max_ts = batch.encoded->max_timestamp();
        }
        for (const auto& m : batch.records) {
            if (!m) {
                return sdk::status(sdk::errc::invalid_argument, "a record batch holds a null message");
            }
            encode_record(*m, _frame);
            max_ts = std::max(max_ts, m->timestamp());
        }
        if (_frame.size() > max_frame_bytes) {
            return sdk::status(
              sdk::errc::invalid_argument,
              fmt::format("a batch of {} bytes is over the limit of {}", _frame.size(), max_frame_bytes));
        }
        const auto count = static_cast<std::uint32_t>(batch.size());
        finish_frame(_frame, frame_at, kind, base(), max_ts, count);

        const bool too_big = active().size() + _frame.size() > _env.config.segment_bytes;
        const bool too_old = std::chrono::steady_clock::now() - _active_since > _env.config.segment_age;
        if (active().has_records() && (too_big || too_old)) {
            // At the old end, not at `base`: if the write below fails, the new segment's
            // name must not claim offsets that a later append() still takes.
            if (auto st = roll(); !st.ok()) {
                return st;
            }
        }
        // A start marker still to be written goes in front, in the same write.
        const bool with_marker = _marker_pending;
        std::size_t records_at = 0;
        if (with_marker) {
            std::string both;
            both.reserve(frame_header_size + _frame.size());
            const std::size_t m = begin_frame(both);
            finish_frame(both, m, frame_kind::start_marker, _start(), 0, 0);
            records_at = both.size();
            both += _frame;
            _frame.swap(both);
        }
        const frame_header headers[2] = { *parse_frame_header(as_bytes(_frame)),
                                          *parse_frame_header(as_bytes(std::string_view(_frame).substr(records_at))) };
        const auto written =
          with_marker ? std::span<const frame_header>(headers, 2) : std::span<const frame_header>(headers + 1, 1);
        if (auto st = active().append(_frame, written); !st.ok()) {
            return st;
        }
        if (with_marker) {
            _marker_pending = false; // the delay's timer finds nothing to do (re-arming costs a syscall)
            _marker_carried = true;
        }
        _next = base + count;
        _record_bytes += _frame.size() - records_at;
        mark_dirty();
        if (_env.config.fsync == fsync_policy::always) {
            _sync_wanted = true;
            schedule_sync();
        } else if (_env.config.fsync == fsync_policy::none) {
            _committed = _next;
        }
        return sdk::offset_range{ base, _next - 1 };
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory appending to log '" + _name + "'");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "appending to log '" + _name + "' failed");
    }
}

sdk::status log_core::roll()
{
    auto seg = segment::create(_dir, _next, _env.config.index_interval_bytes, _env.hooks.get());
    if (!seg) {
        return seg.error();
    }
    _unsaved.push_back(_segments.back());
    _segments.push_back(std::move(*seg));
    _directory_unsynced = true; // the new file's entry: synced before any record in it is confirmed
    _active_since = std::chrono::steady_clock::now();
    // The sealed segment's data and index become durable in the background, whatever the
    // policy, so a restart trusts its index instead of scanning it.
    _sync_wanted = true;
    schedule_sync();
    return {};
}

void log_core::mark_dirty()
{
    const auto& a = _segments.back();
    if (_unsynced.empty() || _unsynced.back() != a) {
        _unsynced.push_back(a);
    }
}

void log_core::flush(flush_done done) noexcept
{
    if (!_failed.ok()) {
        done(_failed);
        return;
    }
    if (_env.config.fsync == fsync_policy::none || (_committed == _next && !_sync_running)) {
        _committed = _next;
        done(_committed);
        return;
    }
    try {
        _waiting.push_back(std::move(done));
    } catch (...) {
        return; // out of memory: the callback is lost with the vector's failed growth
    }
    schedule_sync();
}

void log_core::schedule_sync()
{
    if (_sync_running || _sync_delay || _sync_posted) {
        return; // the running sync's completion, the timer or the posted start begins the next one
    }
    if (_env.config.fsync == fsync_policy::batch && _env.owner != nullptr) {
        if (_env.config.batch_delay.count() > 0) {
            _sync_delay = _env.owner->post_after(_env.config.batch_delay, [self = shared_from_this()] {
                self->_sync_delay.reset();
                self->start_sync();
            });
            return;
        }
        // The sync starts after the flushes already queued on the shard: when a sync confirms
        // a group, its appenders' next appends are tasks behind this one, and they share the
        // next sync instead of the first of them taking one alone (64 appenders confirmed 32
        // per sync on average before, 1 and 63 in turn).
        _sync_posted = true;
        _env.owner->post([self = shared_from_this()] {
            self->_sync_posted = false;
            self->start_sync();
        });
        return;
    }
    start_sync();
}

void log_core::start_sync()
{
    if (_sync_running || (_waiting.empty() && !_sync_wanted)) {
        return;
    }
    _sync_running = true;
    _sync_wanted = false;
    auto job = [self = shared_from_this(),
                to_sync = std::move(_unsynced),
                to_save = std::move(_unsaved),
                waiters = std::move(_waiting),
                target = _next,
                start = _start(),
                sync_dir = std::exchange(_directory_unsynced, false)]() mutable {
        sdk::status st = sync_dir ? sync_directory(self->_dir) : sdk::status{};
        for (const auto& seg : to_sync) {
            if (st.ok()) {
                st = seg->sync();
            }
        }
        if (st.ok()) {
            for (const auto& seg : to_save) {
                seg->save_index(start).ignore(); // skipped for a segment truncated away meanwhile
            }
        }
        self->_env.owner->post([self, st, target, waiters = std::move(waiters)]() mutable {
            self->on_synced(st, target, std::move(waiters));
        });
    };
    _unsynced.clear();
    _unsaved.clear();
    _waiting.clear();
    _env.jobs->submit(*_env.blocking, std::move(job));
}

void log_core::on_synced(const sdk::status& st, sdk::offset target, std::vector<flush_done> waiters)
{
    _sync_running = false;
    if (!st.ok()) {
        // After a failed fdatasync the kernel may have dropped the dirty pages: nothing after
        // the last good sync can be promised any more, so the log stops taking writes.
        _failed = st;
        if (_env.logger != nullptr) {
            PLEXUS_LOG(*_env.logger, error, "file engine: log '{}' stops taking writes: {}", _name, st.to_string());
        }
        for (auto& w : waiters) {
            w(st);
        }
        for (auto& w : _waiting) {
            w(st);
        }
        _waiting.clear();
        return;
    }
    _committed = std::max(_committed, target);
    for (auto& w : waiters) {
        w(_committed);
    }
    if (!_waiting.empty() || _sync_wanted) {
        schedule_sync();
    }
}

std::vector<segment_span> log_core::spans_from(sdk::offset from) const
{
    auto it = std::upper_bound(
      _segments.begin(), _segments.end(), from, [](sdk::offset o, const auto& s) { return o < s->base(); });
    if (it != _segments.begin()) {
        --it;
    }
    std::vector<segment_span> spans;
    spans.reserve(static_cast<std::size_t>(_segments.end() - it));
    for (auto s = it; s != _segments.end(); ++s) {
        spans.push_back({ *s, s == it ? (*s)->position_for(from) : 0, (*s)->size() });
    }
    return spans;
}

void log_core::read(sdk::offset from,
                    std::size_t max_bytes,
                    sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept
{
    if (from < _start) {
        done(sdk::status(sdk::errc::not_found,
                         fmt::format("offset {} of log '{}' is below its start {}", from(), _name, _start())));
        return;
    }
    if (from >= _next) {
        sdk::record_batch empty;
        empty.base_offset = from;
        done(std::move(empty));
        return;
    }
    std::vector<segment_span> spans;
    try {
        spans = spans_from(from);
    } catch (...) {
        done(sdk::status(sdk::errc::resource_exhausted, "out of memory reading log '" + _name + "'"));
        return;
    }
    auto job =
      [self = shared_from_this(), spans = std::move(spans), from, max_bytes, done = std::move(done)]() mutable {
          auto r = read_records(spans, from, max_bytes);
          self->_env.owner->post([self, r = std::move(r), done = std::move(done)]() mutable {
              if (!r && r.error().code() == sdk::errc::corruption && self->_env.logger != nullptr) {
                  PLEXUS_LOG(
                    *self->_env.logger, error, "file engine: log '{}': {}", self->_name, r.error().to_string());
              }
              done(std::move(r));
          });
      };
    _env.jobs->submit(*_env.blocking, std::move(job));
}

void log_core::offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept
{
    // Segments whose newest record is older than ts cannot hold the answer.
    auto first = std::find_if(_segments.begin(), _segments.end(), [&](const auto& s) {
        return s->has_records() && s->next() > _start && s->max_timestamp() >= ts();
    });
    if (first == _segments.end() || _start == _next) {
        done(_next);
        return;
    }
    std::vector<segment_span> spans;
    try {
        for (auto s = first; s != _segments.end(); ++s) {
            const std::uint64_t begin =
              s == first ? std::max((*s)->position_for_time(ts()), (*s)->position_for(_start)) : 0;
            spans.push_back({ *s, begin, (*s)->size() });
        }
    } catch (...) {
        done(sdk::status(sdk::errc::resource_exhausted, "out of memory searching log '" + _name + "'"));
        return;
    }
    auto job = [self = shared_from_this(),
                spans = std::move(spans),
                ts,
                from = _start,
                next = _next,
                done = std::move(done)]() mutable {
        auto found = find_timestamp(spans, ts(), from);
        self->_env.owner->post([found = std::move(found), next, done = std::move(done)]() mutable {
            if (!found) {
                done(found.error());
            } else {
                done(found->value_or(next));
            }
        });
    };
    _env.jobs->submit(*_env.blocking, std::move(job));
}

sdk::status log_core::truncate_prefix(sdk::offset new_start) noexcept
{
    if (new_start <= _start) {
        return {};
    }
    if (new_start > _next) {
        return sdk::status(
          sdk::errc::invalid_argument,
          fmt::format("cannot truncate log '{}' to offset {}: it ends at {}", _name, new_start(), _next()));
    }
    _start = new_start;
    // Whole segments go once the next one begins at or below the new start; the active one
    // always stays.
    while (_segments.size() > 1 && _segments[1]->base() <= new_start) {
        auto gone = _segments.front();
        _segments.erase(_segments.begin());
        std::erase(_unsynced, gone);
        std::erase(_unsaved, gone);
        _record_bytes -= gone->record_bytes();
        gone->remove_files();
    }
    // The marker rides along with the next append (no write of its own while records keep
    // coming, as on a queue that is consumed as fast as it fills), or is written alone after
    // a short delay when none comes. Acked records trimmed meanwhile come back after a crash,
    // marked redelivered: the queue's cursor, saved each second, has the same window.
    _marker_pending = true;
    arm_marker_delay();
    return {};
}

void log_core::arm_marker_delay()
{
    if (_marker_delay || _env.owner == nullptr) {
        return;
    }
    _marker_delay = _env.owner->post_after(start_marker_delay, [weak = weak_from_this()] {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        self->_marker_delay.reset();
        if (!self->_marker_pending) {
            return;
        }
        if (std::exchange(self->_marker_carried, false)) {
            self->arm_marker_delay(); // appends are taking the markers along: wait for the next
        } else {
            self->write_start_marker();
        }
    });
}

void log_core::write_start_marker()
{
    _marker_pending = false;
    if (!_failed.ok() || _segments.empty()) {
        return;
    }
    std::string marker;
    const std::size_t at = begin_frame(marker);
    finish_frame(marker, at, frame_kind::start_marker, _start(), 0, 0);
    auto header = parse_frame_header(as_bytes(marker));
    if (auto st = active().append(marker, *header); st.ok()) {
        mark_dirty();
    } else if (_env.logger != nullptr) {
        PLEXUS_LOG(*_env.logger, warn, "file engine: log '{}': cannot record its new start: {}", _name, st.to_string());
    }
}

file_log::~file_log()
{
    _core->close();
    if (_on_close) {
        _on_close();
    }
}

} // namespace plexus::storage::file
