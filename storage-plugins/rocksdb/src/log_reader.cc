#include "log_reader.h"

#include "record_codec.h"
#include "status_mapping.h"

#include "plexus/sdk/bytes.h"

#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace plexus::storage::rocks {

namespace {

/// An iterator over [lower, upper) of one column family. The bounds are members because
/// RocksDB keeps pointers to them for the iterator's life.
class bounded_iterator
{
  public:
    /// `fill_cache`: false for one-off scans (recovery, timestamp search), so they do not
    /// evict the blocks consumers read again and again.
    bounded_iterator(database& db,
                     rocksdb::ColumnFamilyHandle* cf,
                     const fixed_key& lower,
                     const fixed_key& upper,
                     bool fill_cache = false)
      : _lower(lower)
      , _upper(upper)
      , _lower_slice(_lower.slice())
      , _upper_slice(_upper.slice())
    {
        rocksdb::ReadOptions options;
        options.iterate_lower_bound = &_lower_slice;
        options.iterate_upper_bound = &_upper_slice;
        options.fill_cache = fill_cache;
        _it.reset(db.db().NewIterator(options, cf));
    }
    rocksdb::Iterator* operator->() const noexcept { return _it.get(); }

  private:
    fixed_key _lower;
    fixed_key _upper;
    rocksdb::Slice _lower_slice;
    rocksdb::Slice _upper_slice;
    std::unique_ptr<rocksdb::Iterator> _it;
};

sdk::status bad_record(log_id id, sdk::offset o, std::string_view what)
{
    return sdk::status(sdk::errc::corruption,
                       "rocksdb log " + std::to_string(id()) + " offset " + std::to_string(o()) + ": " +
                         std::string(what));
}

/// Offsets past `end` are excluded by the iterator's upper bound.
sdk::status scan_status(const bounded_iterator& it, std::string_view what)
{
    return to_status(it->status(), what);
}

} // namespace

sdk::result<sdk::record_batch> read_records(database& db,
                                            log_id id,
                                            sdk::offset from,
                                            sdk::offset end,
                                            std::size_t max_bytes) noexcept
{
    try {
        sdk::record_batch out;
        out.base_offset = from;
        if (from >= end) {
            return out;
        }
        // Pass 1: gather the record parts that fit the budget into one string; pass 2 copies
        // it into one shared slab that every decoded body slices.
        bounded_iterator it(db, db.logs(), fixed_key::record(id, from), fixed_key::record(id, end), true);
        std::string gathered;
        std::size_t count = 0;
        std::uint64_t used = 0;
        sdk::offset expected = from;
        for (it->Seek(fixed_key::record(id, from).slice()); it->Valid(); it->Next()) {
            auto o = offset_of_record_key(it->key(), id);
            if (!o || *o != expected) {
                if (count == 0) {
                    // truncate_prefix ran after this read was asked for
                    return sdk::status(sdk::errc::not_found,
                                       "offset " + std::to_string(from()) + " is no longer stored");
                }
                return bad_record(id, expected, "missing from the middle of the log");
            }
            auto header = decode_record_header(it->value());
            if (!header) {
                return bad_record(id, expected, "unreadable record header");
            }
            if (count > 0 && used + header->size_bytes > max_bytes) {
                break;
            }
            used += header->size_bytes;
            auto part = record_part(it->value());
            gathered.append(part.data(), part.size());
            ++count;
            ++expected;
        }
        if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
            return st;
        }
        if (count == 0) {
            return sdk::status(sdk::errc::not_found, "offset " + std::to_string(from()) + " is no longer stored");
        }
        auto slab = sdk::bytes::allocate(gathered.size());
        std::memcpy(slab.writable().data(), gathered.data(), gathered.size());
        if (auto st = decode_records(slab, 0, slab.size(), count, out.records); !st.ok()) {
            return bad_record(id, from, st.message());
        }
        return out;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "reading a rocksdb log failed");
    }
}

sdk::result<sdk::offset> find_offset_for_timestamp(database& db,
                                                   log_id id,
                                                   sdk::offset start,
                                                   sdk::offset end,
                                                   sdk::timestamp_ms ts) noexcept
{
    try {
        if (start >= end) {
            return end;
        }
        // The last index entry whose running maximum is below ts: every record before its
        // offset is older than ts, so the answer is at or after it.
        sdk::offset scan_from = start;
        if (ts() != std::numeric_limits<std::int64_t>::min()) {
            bounded_iterator index(db, db.time_index(), fixed_key::first_of(id), fixed_key::index(id, ts));
            index->SeekForPrev(fixed_key::index(id, ts - 1).slice());
            if (index->Valid()) {
                auto after = decode_index_value(index->value());
                if (!after) {
                    return sdk::status(sdk::errc::corruption,
                                       "rocksdb log " + std::to_string(id()) + ": unreadable time index entry");
                }
                if (*after > scan_from) {
                    scan_from = *after;
                }
            }
            if (auto st = scan_status(index, "reading a rocksdb time index"); !st.ok()) {
                return st;
            }
        }
        if (scan_from >= end) {
            return end;
        }
        bounded_iterator it(db, db.logs(), fixed_key::record(id, scan_from), fixed_key::record(id, end));
        for (it->Seek(fixed_key::record(id, scan_from).slice()); it->Valid(); it->Next()) {
            auto o = offset_of_record_key(it->key(), id);
            auto header = decode_record_header(it->value());
            if (!o || !header) {
                return bad_record(id, o.value_or(scan_from), "unreadable record header");
            }
            if (header->timestamp >= ts) {
                return *o;
            }
        }
        if (auto st = scan_status(it, "scanning a rocksdb log for a timestamp"); !st.ok()) {
            return st;
        }
        return end;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory searching a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "searching a rocksdb log by timestamp failed");
    }
}

sdk::result<std::optional<record_header>> read_record_header(database& db, log_id id, sdk::offset o) noexcept
{
    try {
        rocksdb::PinnableSlice value;
        auto s = db.db().Get(rocksdb::ReadOptions(), db.logs(), fixed_key::record(id, o).slice(), &value);
        if (s.IsNotFound()) {
            return std::optional<record_header>();
        }
        if (!s.ok()) {
            return to_status(s, "reading a rocksdb log record");
        }
        auto header = decode_record_header(value);
        if (!header) {
            return bad_record(id, o, "unreadable record header");
        }
        return std::optional<record_header>(*header);
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb log record");
    }
}

sdk::result<dead_index_entries> find_dead_index_entries(database& db,
                                                        log_id id,
                                                        std::optional<sdk::timestamp_ms> floor,
                                                        sdk::offset new_start) noexcept
{
    try {
        dead_index_entries out;
        const auto from = floor ? fixed_key::index(id, *floor) : fixed_key::first_of(id);
        bounded_iterator index(db, db.time_index(), from, fixed_key::past(id));
        for (index->Seek(from.slice()); index->Valid(); index->Next()) {
            auto ts = timestamp_of_index_key(index->key(), id);
            auto after = decode_index_value(index->value());
            if (!ts || !after) {
                return sdk::status(sdk::errc::corruption,
                                   "rocksdb log " + std::to_string(id()) + ": unreadable time index entry");
            }
            if (*after > new_start) {
                out.first_live = *ts;
                break;
            }
            out.keys.push_back(*ts);
        }
        if (auto st = scan_status(index, "reading a rocksdb time index"); !st.ok()) {
            return st;
        }
        return out;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb time index");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "reading a rocksdb time index failed");
    }
}

sdk::result<recovered_log> recover_log(database& db, log_id id, sdk::offset start) noexcept
{
    try {
        recovered_log out;
        out.next = start;

        // The last record gives next and the cumulative size at next.
        bounded_iterator records(db, db.logs(), fixed_key::first_of(id), fixed_key::past(id));
        records->SeekForPrev(fixed_key::record(id, sdk::offset(std::numeric_limits<std::int64_t>::max())).slice());
        if (records->Valid()) {
            auto o = offset_of_record_key(records->key(), id);
            auto header = decode_record_header(records->value());
            if (!o || !header) {
                return bad_record(id, o.value_or(start), "unreadable last record");
            }
            if (*o >= start) {
                out.next = *o + 1;
                out.end_bytes = header->end_bytes();
            }
        }
        if (auto st = scan_status(records, "recovering a rocksdb log"); !st.ok()) {
            return st;
        }
        out.begin_bytes = out.end_bytes;
        if (out.next > start) {
            auto first = read_record_header(db, id, start);
            if (!first) {
                return first.error();
            }
            if (!*first) {
                return bad_record(id, start, "the first record is missing");
            }
            out.begin_bytes = (*first)->begin_bytes;
        }

        // The time index: its first live key (a seek hint) and its last entry, whose running
        // maximum the records after it may have raised.
        bounded_iterator index(db, db.time_index(), fixed_key::first_of(id), fixed_key::past(id));
        index->SeekToFirst();
        if (index->Valid()) {
            out.index_floor = timestamp_of_index_key(index->key(), id);
        }
        sdk::offset unindexed_from = start;
        index->SeekToLast();
        if (index->Valid()) {
            auto ts = timestamp_of_index_key(index->key(), id);
            auto after = decode_index_value(index->value());
            if (!ts || !after) {
                return sdk::status(sdk::errc::corruption,
                                   "rocksdb log " + std::to_string(id()) + ": unreadable time index entry");
            }
            out.max_timestamp = *ts;
            if (*after > unindexed_from) {
                unindexed_from = *after;
            }
        }
        if (auto st = scan_status(index, "recovering a rocksdb time index"); !st.ok()) {
            return st;
        }
        // At most one index interval of records follows the last entry.
        if (unindexed_from < out.next) {
            bounded_iterator tail(
              db, db.logs(), fixed_key::record(id, unindexed_from), fixed_key::record(id, out.next));
            for (tail->Seek(fixed_key::record(id, unindexed_from).slice()); tail->Valid(); tail->Next()) {
                auto header = decode_record_header(tail->value());
                if (!header) {
                    return bad_record(id, unindexed_from, "unreadable record header");
                }
                if (!out.max_timestamp || header->timestamp > *out.max_timestamp) {
                    out.max_timestamp = header->timestamp;
                }
                out.bytes_since_index += header->size_bytes;
            }
            if (auto st = scan_status(tail, "recovering a rocksdb log"); !st.ok()) {
                return st;
            }
        }
        return out;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory recovering a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "recovering a rocksdb log failed");
    }
}

} // namespace plexus::storage::rocks
