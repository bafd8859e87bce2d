#include "log_reader.h"

#include "encoded_batch.h"
#include "record_codec.h"
#include "status_mapping.h"

#include "plexus/sdk/bytes.h"

#include <algorithm>
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

/// Whether a stored batch beginning at `first` (header `h`) follows, across a gap, the batch
/// before it, which ended before `end` at the log's cumulative size `end_bytes`. A gap
/// (append_at) holds no record, so the sizes run on from one batch to the other; a batch lost
/// from between them would have taken its size with it, and the log is damaged.
bool across_gap(sdk::offset first, const batch_header& h, sdk::offset end, std::uint64_t end_bytes) noexcept
{
    return first > end && h.begin_bytes == end_bytes;
}

} // namespace

namespace {

/// The stored batches of messages from the one the iterator is on (which holds `from`), up to
/// `end`, the first encoded batch or the first gap, at least one record, then what fits
/// `max_bytes`.
/// Pass 1 gathers the encoded records that fit the budget into one string (the size tables
/// decide, before anything is copied); pass 2 copies it into one shared slab that every
/// decoded body slices.
sdk::result<sdk::record_batch> read_messages(bounded_iterator& it, log_id id, sdk::offset from, std::size_t max_bytes)
{
    sdk::record_batch out;
    out.base_offset = from;
    std::string gathered;
    std::size_t count = 0;
    std::uint64_t used = 0;
    sdk::offset expected = from;
    std::uint64_t expected_bytes = 0;
    bool full = false;
    while (it->Valid() && !full) {
        auto first = offset_of_batch_key(it->key(), id);
        auto batch = batch_view::parse(it->value());
        if (!first || !batch) {
            return bad_record(id, first.value_or(expected), "unreadable stored batch");
        }
        if (batch->encoded()) {
            break; // a read never mixes messages and encoded records
        }
        const std::uint32_t n = batch->header().count;
        if (count > 0 && *first != expected) {
            if (!across_gap(*first, batch->header(), expected, expected_bytes)) {
                return bad_record(id, expected, "missing from the middle of the log");
            }
            break; // the batch is dense: the records after the gap are the next read's
        }
        if (count == 0 && (*first > from || *first + n <= from)) {
            return bad_record(id, from, "missing from the middle of the log");
        }
        const std::int64_t skip = count == 0 ? from - *first : 0;
        auto sizes = batch->record_sizes();
        const auto records = batch->records();
        std::size_t pos = 0;
        std::size_t taken_from = records.size();
        for (std::uint32_t i = 0; i < n; ++i) {
            auto size = sizes.next();
            auto extent = peek_record(records, pos);
            if (!size || !extent) {
                return bad_record(id, *first + i, "unreadable record");
            }
            if (static_cast<std::int64_t>(i) >= skip) {
                if (count > 0 && used + *size > max_bytes) {
                    full = true;
                    break;
                }
                taken_from = std::min(taken_from, pos);
                used += *size;
                ++count;
            }
            pos = extent->end;
        }
        if (!full && pos != records.size()) {
            return bad_record(id, *first, "stored batch longer than its records");
        }
        if (taken_from < pos) {
            gathered.append(records.substr(taken_from, pos - taken_from));
        }
        expected = *first + n;
        expected_bytes = batch->header().end_bytes();
        full = full || used >= max_bytes;
        if (!full) {
            it->Next();
        }
    }
    if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
        return st;
    }
    if (count == 0) {
        // truncate_prefix ran after this read was asked for
        return sdk::status(sdk::errc::not_found, "offset " + std::to_string(from()) + " is no longer stored");
    }
    auto slab = sdk::bytes::allocate(gathered.size());
    std::memcpy(slab.writable().data(), gathered.data(), gathered.size());
    if (auto st = decode_records(slab, 0, slab.size(), count, out.records); !st.ok()) {
        return bad_record(id, from, st.message());
    }
    return out;
}

/// The encoded stored batch the iterator is on, whole, joined with the encoded batches of the
/// same format that follow it below `end`, up to a gap, while they fit `max_bytes` (its
/// bytes). Each batch's bytes are copied once, out of RocksDB's value into a slab the result
/// shares.
sdk::result<sdk::record_batch> read_encoded(bounded_iterator& it, log_id id, std::size_t max_bytes)
{
    sdk::record_batch out;
    std::uint64_t used = 0;
    sdk::offset expected{ 0 };
    std::uint64_t expected_bytes = 0;
    for (; it->Valid(); it->Next()) {
        auto first = offset_of_batch_key(it->key(), id);
        auto batch = batch_view::parse(it->value());
        if (!first || !batch) {
            return bad_record(id, first.value_or(expected), "unreadable stored batch");
        }
        if (!batch->encoded()) {
            break;
        }
        const auto& h = batch->header();
        if (out.encoded) {
            if (*first != expected) {
                if (!across_gap(*first, h, expected, expected_bytes)) {
                    return bad_record(id, expected, "missing from the middle of the log");
                }
                break; // the batch is dense: the records after the gap are the next read's
            }
            if (used + h.size_bytes > max_bytes || batch->format_name() != out.encoded->format) {
                break;
            }
        }
        sdk::encoded_records part;
        part.format.assign(batch->format_name());
        auto slab = sdk::bytes::allocate(batch->records().size());
        std::memcpy(slab.writable().data(), batch->records().data(), batch->records().size());
        part.bytes = sdk::buffer_chain(std::move(slab));
        part.count = h.count;
        part.max_timestamp = h.max_timestamp;
        if (!out.encoded) {
            out.base_offset = *first;
            out.encoded = std::move(part);
        } else {
            join_encoded(*out.encoded, part); // same format: checked above
        }
        used += h.size_bytes;
        expected = *first + h.count;
        expected_bytes = h.end_bytes();
        if (used >= max_bytes) {
            break;
        }
    }
    if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
        return st;
    }
    return out;
}

} // namespace

sdk::result<sdk::record_batch> read_records(database& db,
                                            log_id id,
                                            sdk::offset first_batch,
                                            sdk::offset from,
                                            sdk::offset end,
                                            std::size_t max_bytes) noexcept
{
    try {
        if (from >= end) {
            sdk::record_batch out;
            out.base_offset = from;
            return out;
        }
        bounded_iterator it(db, db.logs(), fixed_key::batch(id, first_batch), fixed_key::batch(id, end), true);
        const auto from_key = fixed_key::batch(id, from);
        it->SeekForPrev(from_key.slice());
        bool holds_from = false;
        if (it->Valid()) {
            auto first = offset_of_batch_key(it->key(), id);
            auto batch = batch_view::parse(it->value());
            if (!first || !batch) {
                return bad_record(id, from, "unreadable stored batch");
            }
            holds_from = *first + batch->header().count > from;
        } else if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
            return st;
        }
        if (!holds_from) {
            // `from` lies in a gap (append_at), or before the first batch after the start:
            // the records go on at the next stored batch.
            it->Seek(from_key.slice());
        }
        if (!it->Valid()) {
            if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
                return st;
            }
            // truncate_prefix ran after this read was asked for
            return sdk::status(sdk::errc::not_found, "offset " + std::to_string(from()) + " is no longer stored");
        }
        auto first = offset_of_batch_key(it->key(), id);
        auto batch = batch_view::parse(it->value());
        if (!first || !batch) {
            return bad_record(id, from, "unreadable stored batch");
        }
        // Records come back in the form they were stored in: an encoded batch holding `from`
        // is returned whole, from its own first offset.
        if (batch->encoded()) {
            return read_encoded(it, id, max_bytes);
        }
        return read_messages(it, id, std::max(from, *first), max_bytes);
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "reading a rocksdb log failed");
    }
}

sdk::result<sdk::offset> find_offset_for_timestamp(database& db,
                                                   log_id id,
                                                   sdk::offset first_batch,
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
        bounded_iterator it(db, db.logs(), fixed_key::batch(id, first_batch), fixed_key::batch(id, end));
        it->SeekForPrev(fixed_key::batch(id, scan_from).slice());
        if (!it->Valid()) {
            // The batch holding scan_from went (a truncation meanwhile): search what is left.
            it->Seek(fixed_key::batch(id, scan_from).slice());
        }
        for (; it->Valid(); it->Next()) {
            auto first = offset_of_batch_key(it->key(), id);
            auto batch = batch_view::parse(it->value());
            if (!first || !batch) {
                return bad_record(id, first.value_or(scan_from), "unreadable stored batch");
            }
            if (*first + batch->header().count <= scan_from || batch->header().max_timestamp < ts) {
                continue; // no record at or after scan_from in it is that recent
            }
            if (batch->encoded()) {
                // Its records' times are opaque: the batch answers as a whole, from its first
                // offset, or from scan_from (never below start) when it straddles that.
                return std::max(*first, scan_from);
            }
            const auto records = batch->records();
            std::size_t pos = 0;
            for (std::uint32_t i = 0; i < batch->header().count; ++i) {
                auto extent = peek_record(records, pos);
                if (!extent) {
                    return bad_record(id, *first + i, "unreadable record");
                }
                if (*first + i >= scan_from && extent->timestamp >= ts) {
                    return *first + i;
                }
                pos = extent->end;
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

sdk::result<std::optional<batch_position>> find_batch(database& db,
                                                      log_id id,
                                                      sdk::offset first_batch,
                                                      sdk::offset o) noexcept
{
    try {
        bounded_iterator it(db, db.logs(), fixed_key::batch(id, first_batch), fixed_key::past(id));
        const auto key = fixed_key::batch(id, o);
        it->SeekForPrev(key.slice());
        if (it->Valid()) {
            auto first = offset_of_batch_key(it->key(), id);
            auto batch = batch_view::parse(it->value());
            if (!first || !batch) {
                return bad_record(id, o, "unreadable stored batch");
            }
            if (*first + batch->header().count > o) {
                auto before = batch->bytes_before(static_cast<std::uint32_t>(o - *first));
                if (!before) {
                    return bad_record(id, *first, "unreadable size table");
                }
                return std::optional<batch_position>(
                  batch_position{ *first, batch->header(), batch->header().begin_bytes + *before });
            }
        } else if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
            return st;
        }
        // `o` lies in a gap (or past the last batch): what follows it is the next batch, and
        // no record lies between, so the size before `o` is the size before that batch.
        it->Seek(key.slice());
        if (!it->Valid()) {
            if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
                return st;
            }
            return std::optional<batch_position>();
        }
        auto first = offset_of_batch_key(it->key(), id);
        auto batch = batch_view::parse(it->value());
        if (!first || !batch) {
            return bad_record(id, o, "unreadable stored batch");
        }
        return std::optional<batch_position>(batch_position{ *first, batch->header(), batch->header().begin_bytes });
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "reading a rocksdb log failed");
    }
}

sdk::result<std::optional<std::vector<sdk::offset>>> find_batch_keys(database& db,
                                                                     log_id id,
                                                                     sdk::offset from,
                                                                     sdk::offset to,
                                                                     std::size_t limit) noexcept
{
    try {
        std::vector<sdk::offset> keys;
        bounded_iterator it(db, db.logs(), fixed_key::batch(id, from), fixed_key::batch(id, to));
        for (it->Seek(fixed_key::batch(id, from).slice()); it->Valid(); it->Next()) {
            auto first = offset_of_batch_key(it->key(), id);
            if (!first) {
                return bad_record(id, from, "unreadable batch key");
            }
            if (keys.size() == limit) {
                return std::optional<std::vector<sdk::offset>>();
            }
            keys.push_back(*first);
        }
        if (auto st = scan_status(it, "reading a rocksdb log"); !st.ok()) {
            return st;
        }
        return std::optional<std::vector<sdk::offset>>(std::move(keys));
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading a rocksdb log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "reading a rocksdb log failed");
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
        out.first_batch = start;

        // The last batch gives next and the cumulative size at next.
        {
            bounded_iterator batches(db, db.logs(), fixed_key::first_of(id), fixed_key::past(id));
            // A seek key of the log's own prefix: the prefix Bloom filters judge files by it.
            batches->SeekForPrev(fixed_key::batch(id, sdk::offset(std::numeric_limits<std::int64_t>::max())).slice());
            if (batches->Valid()) {
                auto first = offset_of_batch_key(batches->key(), id);
                auto batch = batch_view::parse(batches->value());
                if (!first || !batch) {
                    return bad_record(id, first.value_or(start), "unreadable last stored batch");
                }
                if (*first + batch->header().count > start) {
                    out.next = *first + batch->header().count;
                    out.end_bytes = batch->header().end_bytes();
                }
            }
            if (auto st = scan_status(batches, "recovering a rocksdb log"); !st.ok()) {
                return st;
            }
        }
        out.begin_bytes = out.end_bytes;
        if (out.next > start) {
            auto first = find_batch(db, id, sdk::offset(0), start);
            if (!first) {
                return first.error();
            }
            if (!*first) {
                return bad_record(id, start, "the first record is missing");
            }
            out.first_batch = (*first)->first;
            out.begin_bytes = (*first)->bytes_before;
        }

        // The time index: its first live key (a seek hint) and its last entry, whose running
        // maximum the batches after it may have raised.
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
        // At most one index interval of records follows the last entry. A batch that holds
        // unindexed_from may begin before it: its maximum still bounds what precedes it.
        if (unindexed_from < out.next) {
            auto from = find_batch(db, id, out.first_batch, unindexed_from);
            if (!from) {
                return from.error();
            }
            if (!*from) {
                return bad_record(id, unindexed_from, "missing from the middle of the log");
            }
            out.bytes_since_index = out.end_bytes - (*from)->bytes_before;
            bounded_iterator tail(db, db.logs(), fixed_key::batch(id, (*from)->first), fixed_key::batch(id, out.next));
            for (tail->Seek(fixed_key::batch(id, (*from)->first).slice()); tail->Valid(); tail->Next()) {
                auto batch = batch_view::parse(tail->value());
                if (!batch) {
                    return bad_record(id, unindexed_from, "unreadable stored batch");
                }
                if (!out.max_timestamp || batch->header().max_timestamp > *out.max_timestamp) {
                    out.max_timestamp = batch->header().max_timestamp;
                }
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
