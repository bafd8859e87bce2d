#include "rocksdb_log.h"

#include "encoded_batch.h"
#include "log_reader.h"
#include "status_mapping.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <new>
#include <string>

namespace plexus::storage::rocks {

namespace {

/// A truncation that drops batches holding up to this many records writes point deletes (one
/// per batch); a longer one one range tombstone. Queues truncate often and by little (each
/// acknowledged prefix), and many small range tombstones slow every read of RocksDB 7.8's
/// memtable; retention drops much at once.
constexpr std::int64_t point_delete_limit = 64;

/// An appended batch is stored in parts of about this many encoded bytes (at least one record
/// each): a read of one record loads its whole stored batch, and RocksDB keeps a value whole
/// in one block, so values stay far below a memtable yet hold hundreds of small records.
constexpr std::size_t max_stored_batch_bytes = 256u << 10;

/// An encoded batch is one stored batch whatever its size (it is opaque and read whole), but
/// RocksDB holds a value whole in the WriteBatch, the memtable and every read: above this one is
/// refused. Kafka's own default limit (message.max.bytes) is 1 MiB.
constexpr std::size_t max_encoded_batch_bytes = 64u << 20;

/// Posts `task` to the owner shard. Should the task not fit in memory it runs here instead:
/// under memory exhaustion a completion on the wrong thread beats one that never comes.
template<class Task>
void post_to(sdk::executor& owner, Task&& task) noexcept
{
    sdk::callback<void()> posted;
    try {
        posted = sdk::callback<void()>(std::forward<Task>(task));
    } catch (...) {
        task(); // callback allocates before it moves: `task` is intact
        return;
    }
    owner.post(std::move(posted));
}

sdk::status closed_status()
{
    return sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed");
}

} // namespace

log_core::log_core(std::shared_ptr<database> db, std::string name, log_id id, sdk::executor& owner) noexcept
  : _db(std::move(db))
  , _name(std::move(name))
  , _id(id)
  , _owner(&owner)
{
}

sdk::status log_core::recover(sdk::offset start) noexcept
{
    if (_db->closing()) {
        return closed_status();
    }
    auto r = recover_log(*_db, _id, start);
    if (!r) {
        return r.error();
    }
    _start = start;
    _first_batch = r->first_batch;
    _visible_start.store(start(), std::memory_order_release);
    _next = r->next;
    // What is on disk when the log opens is what a restart keeps.
    _committed = _next;
    _begin_bytes = r->begin_bytes;
    _end_bytes = r->end_bytes;
    _max_timestamp = r->max_timestamp;
    _bytes_since_index = r->bytes_since_index;
    _index_floor = r->index_floor;
    return {};
}

sdk::status log_core::check_appendable(const sdk::record_batch& batch, sdk::offset base) const noexcept
{
    if (base < _next) {
        return sdk::status(sdk::errc::invalid_argument,
                           "cannot append to log '" + _name + "' at offset " + std::to_string(base()) +
                             ": it ends at " + std::to_string(_next()));
    }
    if (static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() - base()) < batch.size()) {
        return sdk::status(sdk::errc::invalid_argument,
                           "a batch of " + std::to_string(batch.size()) + " records at offset " +
                             std::to_string(base()) + " runs past the largest offset");
    }
    if (batch.encoded) {
        if (!batch.records.empty()) {
            return sdk::status(sdk::errc::invalid_argument,
                               "record batch for log '" + _name + "' holds both messages and encoded records");
        }
        if (auto st = check_encoded(*batch.encoded); !st.ok()) {
            return st;
        }
        if (batch.encoded->bytes.size() > max_encoded_batch_bytes) {
            return sdk::status(sdk::errc::invalid_argument,
                               "an encoded batch of " + std::to_string(batch.encoded->bytes.size()) +
                                 " bytes is above the rocksdb engine's limit of " +
                                 std::to_string(max_encoded_batch_bytes));
        }
        return {};
    }
    for (const auto& m : batch.records) {
        if (!m) {
            return sdk::status(sdk::errc::invalid_argument, "record batch holds a null message");
        }
    }
    return {};
}

sdk::status log_core::stage_encoder(rocksdb::WriteBatch& wb, staged_append& staged)
{
    const auto key = fixed_key::batch(_id, staged.next);
    const rocksdb::Slice key_slice = key.slice();
    const auto parts = _encoder.parts();
    if (auto s = wb.Put(_db->logs(),
                        rocksdb::SliceParts(&key_slice, 1),
                        rocksdb::SliceParts(parts.data(), static_cast<int>(parts.size())));
        !s.ok()) {
        return to_status(s, "staging a batch of log '" + _name + "'");
    }
    staged.next = staged.next + _encoder.count();
    staged.since_index += _encoder.size_bytes();
    if (!staged.max_timestamp || _encoder.max_timestamp() > *staged.max_timestamp) {
        staged.max_timestamp = _encoder.max_timestamp();
    }
    if (staged.since_index >= _db->config().time_index_interval_bytes) {
        if (auto s = wb.Put(
              _db->time_index(), fixed_key::index(_id, *staged.max_timestamp).slice(), encode_index_value(staged.next));
            !s.ok()) {
            return to_status(s, "staging a time index entry of log '" + _name + "'");
        }
        staged.since_index = 0;
        if (!staged.index_floor) {
            staged.index_floor = staged.max_timestamp;
        }
    }
    return {};
}

sdk::result<sdk::offset_range> log_core::store(const sdk::record_batch& batch, std::optional<sdk::offset> at) noexcept
{
    try {
        if (_db->closing()) {
            return closed_status();
        }
        const sdk::offset base = at.value_or(_next);
        if (auto st = check_appendable(batch, base); !st.ok()) {
            return st; // before the emptiness test: an encoded batch of no records is refused
        }
        if (batch.empty()) {
            // Nothing stored, so no gap either: next stays after the last record, as a restart
            // finds it.
            return sdk::offset_range{ base, base - 1 };
        }
        // Stage everything in locals and the batch; the log changes only once RocksDB took it.
        // size_bytes() of messages is body and keys + 64: above the encoding's overhead.
        rocksdb::WriteBatch wb(batch.size_bytes() + batch_header_size + 256);
        staged_append staged{ base, _bytes_since_index, _max_timestamp, _index_floor };
        // The lowest storage format that reads the log with this batch in it (key_codec.h).
        std::uint8_t format = storage_format_version;
        if (base > _next) {
            format = storage_format_gaps;
        } else if (batch.encoded) {
            format = storage_format_encoded;
        }
        if (auto s = _db->stage_format(wb, format); !s.ok()) {
            return to_status(s, "staging the storage format for log '" + _name + "'");
        }
        if (batch.encoded) {
            // One stored batch, never cut: its bytes are opaque, and a reader takes it whole.
            _encoder.start_encoded(*batch.encoded, base, _end_bytes);
            if (auto st = stage_encoder(wb, staged); !st.ok()) {
                return st;
            }
        } else {
            const auto& records = batch.records;
            _encoder.start(_end_bytes);
            for (std::size_t i = 0; i < records.size(); ++i) {
                _encoder.add(*records[i]);
                if (i + 1 < records.size() && _encoder.record_bytes() < max_stored_batch_bytes) {
                    continue;
                }
                if (auto st = stage_encoder(wb, staged); !st.ok()) {
                    return st;
                }
                _encoder.start(_encoder.end_bytes());
            }
        }
        const std::uint64_t bytes = _encoder.end_bytes();
        if (auto st = _db->write(wb, "appending to log", _name); !st.ok()) {
            return st; // disk full is resource_exhausted; nothing was applied
        }
        _db->format_written(format);
        _db_writes = _db->writes_counted();
        _next = staged.next;
        _end_bytes = bytes;
        _bytes_since_index = staged.since_index;
        _max_timestamp = staged.max_timestamp;
        _index_floor = staged.index_floor;
        ++_write_seq;
        switch (_db->config().fsync) {
            case fsync_policy::none:
                _committed = _next;
                break;
            case fsync_policy::always:
                if (!_sync_running) {
                    start_sync();
                }
                break;
            case fsync_policy::batch:
                break;
        }
        return sdk::offset_range{ base, _next - 1 };
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory appending to log '" + _name + "'");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "appending to log '" + _name + "' failed");
    }
}

void log_core::flush(flush_done done) noexcept
{
    if (_db->config().fsync == fsync_policy::none) {
        _committed = _next; // nothing is ever synced while running; the promise is the WAL write
        done(_committed);
        return;
    }
    if (_durable_seq == _write_seq) {
        done(_committed); // every write is covered by a finished sync: committed == next
        return;
    }
    try {
        _waiting.reserve(_waiting.size() + 1); // the only step that can fail; `done` stays ours
    } catch (...) {
        done(sdk::status(sdk::errc::resource_exhausted, "out of memory waiting for a flush of log '" + _name + "'"));
        return;
    }
    _waiting.push_back(flush_waiter{ _write_seq, std::move(done) });
    schedule_sync();
}

void log_core::schedule_sync() noexcept
{
    if (_sync_running || _sync_posted) {
        return; // the running sync's completion or the posted start begins the next one
    }
    if (_db->config().fsync == fsync_policy::batch) {
        // The sync starts after the tasks already queued on the shard: when a sync confirms a
        // group, its appenders' next appends are tasks behind this one, and they share the
        // next sync instead of the first of them taking one alone (as in the file engine).
        _sync_posted = true;
        post_to(*_owner, [self = shared_from_this()]() {
            self->_sync_posted = false;
            if (!self->_sync_running) {
                self->start_sync();
            }
        });
        return;
    }
    start_sync();
}

void log_core::start_sync() noexcept
{
    _sync_running = true;
    _sync_seq = _write_seq;
    _sync_target = _next;
    // The group commit calls back on a pool thread; the result goes back to the owner shard.
    _db->sync_wal(_db_writes, [self = shared_from_this()](sdk::status st) mutable {
        auto& owner = *self->_owner;
        post_to(owner, [self = std::move(self), st = std::move(st)]() { self->on_synced(st); });
    });
}

void log_core::on_synced(const sdk::status& st) noexcept
{
    _sync_running = false;
    if (st.ok()) {
        _durable_seq = _sync_seq;
        if (_sync_target > _committed) {
            _committed = _sync_target;
        }
    }
    // Waiters whose writes the sync covered complete (with its failure, if it failed); the
    // others wait for the next one. Requeue before calling anyone: a completion may call
    // flush() again.
    std::vector<flush_waiter> all;
    all.swap(_waiting);
    const auto later =
      std::stable_partition(all.begin(), all.end(), [this](const flush_waiter& w) { return w.write_seq <= _sync_seq; });
    try {
        _waiting.reserve(static_cast<std::size_t>(all.end() - later)); // only this can fail
        std::move(later, all.end(), std::back_inserter(_waiting));
        all.erase(later, all.end());
    } catch (...) {
        // out of memory: the later waiters stay in `all` and fail below
    }
    for (auto& w : all) {
        if (w.write_seq > _sync_seq) {
            w.done(
              sdk::status(sdk::errc::resource_exhausted, "out of memory waiting for a flush of log '" + _name + "'"));
        } else if (st.ok()) {
            w.done(_committed);
        } else {
            w.done(st);
        }
    }
    const bool more_wanted =
      !_waiting.empty() || (st.ok() && _db->config().fsync == fsync_policy::always && _durable_seq < _write_seq);
    if (more_wanted) {
        schedule_sync();
    }
}

void log_core::read(sdk::offset from,
                    std::size_t max_bytes,
                    sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept
{
    if (_db->closing()) {
        done(closed_status());
        return;
    }
    if (from < _start) {
        done(sdk::status(sdk::errc::not_found,
                         "offset " + std::to_string(from()) + " is below the start " + std::to_string(_start()) +
                           " of log '" + _name + "'"));
        return;
    }
    if (from >= _next) {
        sdk::record_batch empty;
        empty.base_offset = from;
        done(std::move(empty));
        return;
    }
    _db->run_blocking(
      [self = shared_from_this(), from, first_batch = _first_batch, end = _next, max_bytes, done = std::move(done)](
        const sdk::status& st) mutable {
          if (!st.ok()) {
              done(st); // refused inline, on the owner shard
              return;
          }
          auto r = read_records(*self->_db, self->_id, first_batch, from, end, max_bytes);
          // A truncation past `from` meanwhile may have kept the batch holding it.
          if (r.ok() && from() < self->_visible_start.load(std::memory_order_acquire)) {
              r = sdk::status(sdk::errc::not_found, "offset " + std::to_string(from()) + " is no longer stored");
          }
          auto& owner = *self->_owner;
          post_to(owner, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
      });
}

void log_core::offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept
{
    if (_db->closing()) {
        done(closed_status());
        return;
    }
    if (_start >= _next) {
        done(_next);
        return;
    }
    _db->run_blocking([db = _db,
                       id = _id,
                       first_batch = _first_batch,
                       start = _start,
                       end = _next,
                       ts,
                       owner = _owner,
                       done = std::move(done)](const sdk::status& st) mutable {
        if (!st.ok()) {
            done(st);
            return;
        }
        auto r = find_offset_for_timestamp(*db, id, first_batch, start, end, ts);
        post_to(*owner, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
    });
}

sdk::status log_core::truncate_prefix(sdk::offset new_start) noexcept
{
    try {
        if (_db->closing()) {
            return closed_status();
        }
        if (new_start <= _start) {
            return {};
        }
        if (new_start > _next) {
            return sdk::status(sdk::errc::invalid_argument,
                               "cannot truncate log '" + _name + "' to offset " + std::to_string(new_start()) +
                                 ": it ends at " + std::to_string(_next()));
        }
        // The batch holding the new start stays (its records below it are skipped by reads);
        // every batch before it goes. Its header and size table give the size below new_start.
        // A new start in a gap stays the start as cut; the first batch after it is kept.
        sdk::offset first_batch = new_start;
        std::uint64_t begin = _end_bytes;
        if (new_start < _next) {
            auto at = find_batch(*_db, _id, _first_batch, new_start);
            if (!at) {
                return at.error();
            }
            if (!*at) {
                return sdk::status(sdk::errc::corruption,
                                   "log '" + _name + "': no record at or after " + std::to_string(new_start()) +
                                     " is stored");
            }
            first_batch = (*at)->first;
            begin = (*at)->bytes_before;
        }
        rocksdb::WriteBatch wb;
        rocksdb::Status s;
        if (first_batch > _first_batch) {
            std::optional<std::vector<sdk::offset>> keys;
            if (first_batch - _first_batch <= point_delete_limit) {
                auto found = find_batch_keys(*_db, _id, _first_batch, first_batch, point_delete_limit);
                if (!found) {
                    return found.error();
                }
                keys = std::move(*found);
            }
            if (keys) {
                for (auto k : *keys) {
                    if (s.ok()) {
                        s = wb.Delete(_db->logs(), fixed_key::batch(_id, k).slice());
                    }
                }
            } else {
                s = wb.DeleteRange(
                  _db->logs(), fixed_key::batch(_id, _first_batch).slice(), fixed_key::batch(_id, first_batch).slice());
            }
        }
        auto dead = find_dead_index_entries(*_db, _id, _index_floor, new_start);
        if (!dead) {
            return dead.error();
        }
        for (auto ts : dead->keys) {
            if (s.ok()) {
                s = wb.Delete(_db->time_index(), fixed_key::index(_id, ts).slice());
            }
        }
        if (s.ok()) {
            s = wb.Put(_db->log_meta(), _name, encode_log_meta(log_meta{ _id, new_start }));
        }
        if (!s.ok()) {
            return to_status(s, "staging the truncation of log '" + _name + "'");
        }
        if (auto st = _db->write(wb, "truncating log", _name); !st.ok()) {
            return st;
        }
        _db_writes = _db->writes_counted();
        _start = new_start;
        _first_batch = first_batch;
        _visible_start.store(new_start(), std::memory_order_release);
        _begin_bytes = begin;
        if (dead->first_live) {
            _index_floor = dead->first_live;
        } else if (!dead->keys.empty()) {
            _index_floor = dead->keys.back();
        }
        ++_write_seq;
        if (_db->config().fsync == fsync_policy::always && !_sync_running) {
            start_sync();
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory truncating log '" + _name + "'");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "truncating log '" + _name + "' failed");
    }
}

} // namespace plexus::storage::rocks
