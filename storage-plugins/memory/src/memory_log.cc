#include "memory_log.h"

#include "encoded_batch.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <string>

namespace plexus::storage::memory {

namespace {

/// Batches at least this large become a segment of their own (their vector is adopted);
/// smaller ones are packed into the tail segment.
constexpr std::size_t adopt_min_records = 32;
/// Capacity of a segment the log allocates itself for small batches.
constexpr std::size_t packed_segment_records = 256;

} // namespace

// ---- log_data ------------------------------------------------------------------------------

sdk::result<sdk::offset_range> log_data::store(sdk::record_batch batch, sdk::offset base) noexcept
{
    if (base < _next) {
        return sdk::status(sdk::errc::invalid_argument,
                           "cannot append at offset " + std::to_string(base()) + ": the log ends at " +
                             std::to_string(_next()));
    }
    if (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - base()) < batch.size()) {
        return sdk::status(sdk::errc::invalid_argument,
                           "a batch of " + std::to_string(batch.size()) + " records at offset " +
                             std::to_string(base()) + " runs past the largest offset");
    }
    if (batch.encoded) {
        return store_encoded(std::move(*batch.encoded), base);
    }
    auto& records = batch.records;
    const std::size_t n = records.size();
    if (n == 0) {
        // Nothing to append, and no gap either: an empty range (count() == 0) where the
        // batch would begin.
        return sdk::offset_range{ base, base - 1 };
    }
    // One pass over the records for what must be known before anything changes: their bytes
    // (for the limit) and their timestamps (for the index).
    std::uint64_t bytes = 0;
    bool monotonic = _monotonic;
    sdk::timestamp_ms last_ts = _last_ts;
    sdk::timestamp_ms max_ts{ std::numeric_limits<std::int64_t>::min() };
    for (const auto& m : records) {
        if (!m) {
            return sdk::status(sdk::errc::invalid_argument, "record batch holds a null message");
        }
        bytes += m->size_bytes();
        if (m->timestamp < last_ts) {
            monotonic = false;
        }
        last_ts = m->timestamp;
        max_ts = std::max(max_ts, m->timestamp);
    }
    if (_max_bytes && _bytes + bytes > *_max_bytes) {
        return sdk::status(sdk::errc::resource_exhausted,
                           "memory log would exceed max_bytes_per_log (" + std::to_string(*_max_bytes) + " bytes)");
    }
    try {
        if (n >= adopt_min_records) {
            _segments.push_back(segment{ base, std::move(records), max_ts, std::nullopt });
        } else {
            // After a gap the records start a segment of their own: a segment is dense.
            if (_segments.empty() || _segments.back().encoded || base != _next ||
                _segments.back().records.capacity() - _segments.back().records.size() < n) {
                segment s{ base, {}, max_ts, std::nullopt };
                s.records.reserve(packed_segment_records);
                _segments.push_back(std::move(s));
            }
            // Within capacity: these moves cannot allocate or throw.
            auto& tail = _segments.back();
            std::move(records.begin(), records.end(), std::back_inserter(tail.records));
            tail.max_ts = std::max(tail.max_ts, max_ts);
        }
    } catch (...) {
        // deque::push_back has the strong guarantee: nothing was appended.
        return sdk::status(sdk::errc::resource_exhausted, "out of memory appending to a memory log");
    }
    _next = base + static_cast<std::int64_t>(n);
    _bytes += bytes;
    _monotonic = monotonic;
    _last_ts = last_ts;
    return sdk::offset_range{ base, _next - 1 };
}

sdk::result<sdk::offset_range> log_data::store_encoded(sdk::encoded_records e, sdk::offset base) noexcept
{
    if (auto st = storage::check_encoded(e); !st.ok()) {
        return st;
    }
    const std::uint64_t bytes = e.bytes.size();
    if (_max_bytes && _bytes + bytes > *_max_bytes) {
        return sdk::status(sdk::errc::resource_exhausted,
                           "memory log would exceed max_bytes_per_log (" + std::to_string(*_max_bytes) + " bytes)");
    }
    try {
        e.bytes = storage::rebased(e, base);
        e.offset_slots.clear(); // set: a read gives the bytes as they are
        const auto max_ts = e.max_timestamp;
        const auto n = static_cast<std::int64_t>(e.count);
        _segments.push_back(segment{ base, {}, max_ts, std::move(e) });
        _next = base + n;
        _bytes += bytes;
        if (max_ts < _last_ts) {
            _monotonic = false;
        }
        _last_ts = max_ts;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory appending to a memory log");
    }
    return sdk::offset_range{ base, _next - 1 };
}

sdk::record_batch log_data::read_encoded(std::size_t seg, std::size_t max_bytes) const
{
    sdk::record_batch out;
    out.base_offset = _segments[seg].base;
    out.encoded = *_segments[seg].encoded;
    for (++seg; seg < _segments.size() && _segments[seg].encoded; ++seg) {
        if (_segments[seg].base != _segments[seg - 1].end()) {
            break; // a gap: the batch is dense
        }
        const auto& next = *_segments[seg].encoded;
        if (out.encoded->bytes.size() + next.bytes.size() > max_bytes || !storage::join_encoded(*out.encoded, next)) {
            break;
        }
    }
    return out;
}

std::size_t log_data::segment_from(sdk::offset o) const noexcept
{
    // The last segment whose base is <= o, unless o lies past its end or before every segment
    // (in a gap): then the one after it, which exists since o < next.
    auto it = std::upper_bound(
      _segments.begin(), _segments.end(), o, [](sdk::offset v, const segment& s) { return v < s.base; });
    if (it != _segments.begin() && o < std::prev(it)->end()) {
        --it;
    }
    return static_cast<std::size_t>(std::distance(_segments.begin(), it));
}

sdk::result<sdk::record_batch> log_data::read(sdk::offset from, std::size_t max_bytes) const noexcept
{
    if (from < _start) {
        return sdk::status(sdk::errc::not_found,
                           "offset " + std::to_string(from()) + " is below the log start " + std::to_string(_start()));
    }
    sdk::record_batch out;
    out.base_offset = from;
    if (from >= _next) {
        return out;
    }
    try {
        std::size_t budget_used = 0;
        std::size_t seg = segment_from(from);
        if (_segments[seg].encoded) {
            return read_encoded(seg, max_bytes);
        }
        out.base_offset = std::max(from, _segments[seg].base); // from a gap: the next record
        std::size_t i = static_cast<std::size_t>(out.base_offset - _segments[seg].base);
        for (const std::size_t first = seg; seg < _segments.size(); ++seg, i = 0) {
            if (_segments[seg].encoded) {
                return out; // a read is all messages or all encoded
            }
            if (seg != first && _segments[seg].base != _segments[seg - 1].end()) {
                return out; // a gap: the batch is dense
            }
            const auto& records = _segments[seg].records;
            for (; i < records.size(); ++i) {
                const std::size_t sz = records[i]->size_bytes();
                // At least one record, then only while the budget holds.
                if (!out.records.empty() && budget_used + sz > max_bytes) {
                    return out;
                }
                budget_used += sz;
                out.records.push_back(records[i]);
            }
        }
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a memory log");
    }
    return out;
}

sdk::offset log_data::offset_for_timestamp(sdk::timestamp_ms ts) const noexcept
{
    auto before = [ts](const sdk::message_ptr& m) { return m->timestamp < ts; };
    if (_monotonic) {
        // Segments' max timestamps do not decrease: the answer is in the first segment whose
        // max reaches ts, and within it the records are sorted. The last record of every
        // segment is live, so the live part of that segment holds the answer.
        auto it =
          std::partition_point(_segments.begin(), _segments.end(), [ts](const segment& s) { return s.max_ts < ts; });
        if (it == _segments.end()) {
            return _next;
        }
        const std::size_t seg = static_cast<std::size_t>(std::distance(_segments.begin(), it));
        if (it->encoded) {
            return std::max(it->base, _start);
        }
        const auto& records = it->records;
        const auto live = records.begin() + static_cast<std::ptrdiff_t>(first_live(seg));
        auto r = std::partition_point(live, records.end(), before);
        return it->base + static_cast<std::int64_t>(std::distance(records.begin(), r));
    }
    // Unordered timestamps: scan in offset order, skipping segments that cannot match.
    for (std::size_t seg = 0; seg < _segments.size(); ++seg) {
        const auto& s = _segments[seg];
        if (s.max_ts < ts) {
            continue;
        }
        if (s.encoded) {
            return std::max(s.base, _start);
        }
        for (std::size_t i = first_live(seg); i < s.records.size(); ++i) {
            if (!before(s.records[i])) {
                return s.base + static_cast<std::int64_t>(i);
            }
        }
    }
    return _next;
}

sdk::status log_data::truncate_prefix(sdk::offset new_start) noexcept
{
    if (new_start <= _start) {
        return {};
    }
    if (new_start > _next) {
        return sdk::status(sdk::errc::invalid_argument,
                           "cannot truncate to offset " + std::to_string(new_start()) + ": the log ends at " +
                             std::to_string(_next()));
    }
    while (!_segments.empty()) {
        auto& front = _segments.front();
        const sdk::offset end = front.end();
        if (front.base >= new_start) {
            break; // the new start lies in the gap before it (or at its base)
        }
        if (front.encoded) {
            if (end > new_start) {
                break; // kept whole until every record of it is below start
            }
            _bytes -= front.encoded->bytes.size();
            _segments.pop_front();
            _first_live = 0;
            continue;
        }
        const std::size_t upto =
          end <= new_start ? front.records.size() : static_cast<std::size_t>(new_start - front.base);
        for (std::size_t i = _first_live; i < upto; ++i) {
            _bytes -= front.records[i]->size_bytes();
            front.records[i].reset(); // release the message now, not when the segment goes
        }
        if (upto < front.records.size()) {
            _first_live = upto;
            break;
        }
        _segments.pop_front();
        _first_live = 0;
    }
    _start = new_start;
    return {};
}

// ---- memory_log ----------------------------------------------------------------------------

memory_log::~memory_log()
{
    _data->close();
}

sdk::result<sdk::offset_range> memory_log::append(sdk::record_batch batch) noexcept
{
    return _data->append(std::move(batch));
}

sdk::result<sdk::offset_range> memory_log::append_at(sdk::record_batch batch) noexcept
{
    return _data->append_at(std::move(batch));
}

void memory_log::flush(sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept
{
    // Nothing is ever durable here; committed == next, so a flush has nothing to wait for.
    done(_data->next());
}

void memory_log::read(sdk::offset from,
                      std::size_t max_bytes,
                      sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept
{
    done(_data->read(from, max_bytes));
}

void memory_log::offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept
{
    done(_data->offset_for_timestamp(ts));
}

sdk::status memory_log::truncate_prefix(sdk::offset new_start) noexcept
{
    return _data->truncate_prefix(new_start);
}

sdk::log_offsets memory_log::offsets() const noexcept
{
    return { _data->start(), _data->next(), _data->next() };
}

std::uint64_t memory_log::size_bytes() const noexcept
{
    return _data->size_bytes();
}

} // namespace plexus::storage::memory
