#include "database.h"

#include "key_codec.h"
#include "rocksdb_options.h"
#include "status_mapping.h"

#include <memory>
#include <string>

namespace plexus::storage::rocks {

namespace {

/// A pool job: the work plus a reference that keeps the database alive while it runs. A named
/// type (not a lambda) so that `work` can be taken back when the pool job cannot be allocated.
struct pool_job
{
    std::shared_ptr<database> db;
    sdk::callback<void(const sdk::status&)> work;
    void (*finished)(database&) noexcept;

    void operator()()
    {
        work(sdk::status());
        work.reset(); // release what the work captured before the database may be freed
        finished(*db);
    }
};

/// True when family `cf` holds any key (a live one: tombstones do not count).
rocksdb::Status holds_data(rocksdb::DB& db, rocksdb::ColumnFamilyHandle* cf, bool& out)
{
    rocksdb::ReadOptions options;
    options.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(options, cf));
    it->SeekToFirst();
    out = it->Valid();
    return it->status();
}

/// Checks the storage format marker of a database just opened, writing it into a new one, and
/// sets `format` to it. Refuses one of another format, naming the directory: this engine cannot
/// read it, and writing into it would mix two layouts.
sdk::status check_format(rocksdb::DB& db,
                         const std::vector<rocksdb::ColumnFamilyHandle*>& families,
                         const std::string& dir,
                         std::uint8_t& format)
{
    const std::string oldest = std::to_string(storage_format_version);
    const std::string readable =
      "this engine reads formats " + oldest + " to " + std::to_string(storage_format_gaps) + " only";
    const rocksdb::Slice key(storage_format_key.data(), storage_format_key.size());
    std::string value;
    auto s = db.Get(rocksdb::ReadOptions(), families[0], key, &value);
    if (s.ok()) {
        for (std::uint8_t known : { storage_format_version, storage_format_encoded, storage_format_gaps }) {
            if (value == std::to_string(known)) {
                format = known;
                return {};
            }
        }
        return sdk::status(sdk::errc::not_supported,
                           "the rocksdb database in '" + dir + "' has storage format '" + value + "'; " + readable);
    }
    if (!s.IsNotFound()) {
        return to_status(s, "reading the storage format of the rocksdb database in '" + dir + "'");
    }
    for (std::size_t i = 1; i < families.size(); ++i) {
        bool data = false;
        if (auto st = holds_data(db, families[i], data); !st.ok()) {
            return to_status(st, "reading the rocksdb database in '" + dir + "'");
        }
        if (data) {
            return sdk::status(sdk::errc::not_supported,
                               "the rocksdb database in '" + dir +
                                 "' holds data without a storage format marker (format 1, one key per record); " +
                                 readable);
        }
    }
    // A new database, marked with the lowest format that reads it (key_codec.h). No sync needed:
    // the marker precedes everything else in the WAL, so any sync that makes data durable makes
    // it durable too.
    format = storage_format_version;
    return to_status(db.Put(rocksdb::WriteOptions(), families[0], key, oldest),
                     "writing the storage format of the rocksdb database in '" + dir + "'");
}

} // namespace

database::database(const engine_config& config, sdk::blocking_pool& pool)
  : _config(config)
  , _pool(&pool)
  , _wal([this] { return to_status(_db->FlushWAL(true), "syncing the WAL"); },
         [this](sdk::callback<void(const sdk::status&)> job) { run_blocking(std::move(job)); })
{
}

sdk::result<std::shared_ptr<database>> database::open(const std::string& dir,
                                                      const engine_config& config,
                                                      sdk::blocking_pool& pool,
                                                      rocksdb::Env* env) noexcept
{
    try {
        auto options = make_database_options(config);
        if (!options) {
            return options.error();
        }
        if (env != nullptr) {
            options->db.env = env;
        }
        std::shared_ptr<database> self(new database(config, pool));
        rocksdb::DB* raw = nullptr;
        auto s = rocksdb::DB::Open(options->db, dir, options->families, &self->_families, &raw);
        if (!s.ok()) {
            return to_status(s, "opening the rocksdb database in '" + dir + "'");
        }
        std::uint8_t format = 0;
        if (auto st = check_format(*raw, self->_families, dir, format); !st.ok()) {
            // Closed as found: no memtable flush into a database this engine does not own.
            for (auto* cf : self->_families) {
                raw->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
            }
            self->_families.clear();
            raw->Close().PermitUncheckedError();
            delete raw;
            return st;
        }
        self->_db.reset(raw);
        self->_format.store(format, std::memory_order_relaxed);
        return self;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory opening the rocksdb database");
    }
}

database::~database()
{
    close().ignore();
}

rocksdb::Status database::stage_format(rocksdb::WriteBatch& batch, std::uint8_t format)
{
    if (_format.load(std::memory_order_acquire) >= format) {
        return rocksdb::Status::OK();
    }
    // Shards may stage the same raise at once: writing the same value twice is harmless.
    const rocksdb::Slice key(storage_format_key.data(), storage_format_key.size());
    return batch.Put(_families[0], key, std::to_string(format));
}

void database::format_written(std::uint8_t format) noexcept
{
    auto now = _format.load(std::memory_order_acquire);
    while (now < format && !_format.compare_exchange_weak(now, format, std::memory_order_acq_rel)) {
    }
}

sdk::status database::write(rocksdb::WriteBatch& batch, std::string_view what, std::string_view log, bool sync) noexcept
{
    if (closing()) {
        return sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed");
    }
    rocksdb::WriteOptions options;
    options.sync = sync;
    options.disableWAL = false;
    auto s = _db->Write(options, &batch);
    if (s.ok()) {
        _wal.wrote(); // a sync that starts from now on covers this batch
        return {};
    }
    try {
        std::string context(what);
        if (!log.empty()) {
            context.append(" '").append(log).append("'");
        }
        return to_status(s, context);
    } catch (...) {
        return to_status(s, what);
    }
}

void database::submit(sdk::callback<void(const sdk::status&)> job) noexcept
{
    bool accepted = false;
    {
        std::lock_guard lock(_jobs_mutex);
        if (!closing()) {
            ++_jobs;
            accepted = true;
        }
    }
    if (!accepted) {
        job(sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed"));
        return;
    }
    pool_job pj{ shared_from_this(), std::move(job), [](database& d) noexcept { d.job_finished(); } };
    sdk::callback<void()> task;
    try {
        task = sdk::callback<void()>(std::move(pj));
    } catch (...) {
        // The job did not fit inline and its allocation failed before `pj` was moved from.
        auto work = std::move(pj.work);
        job_finished();
        work(sdk::status(sdk::errc::resource_exhausted, "out of memory submitting a rocksdb job"));
        return;
    }
    _pool->submit(std::move(task));
}

void database::job_finished() noexcept
{
    std::lock_guard lock(_jobs_mutex);
    if (--_jobs == 0) {
        _jobs_idle.notify_all();
    }
}

sdk::status database::close() noexcept
{
    {
        std::unique_lock lock(_jobs_mutex);
        if (_closed) {
            return _close_status;
        }
        _closing.store(true, std::memory_order_release);
        _jobs_idle.wait(lock, [this] { return _jobs == 0; });
        _closed = true;
    }
    if (!_db) {
        return {};
    }
    // Durable first; the memtable flush only shortens the next start's WAL replay.
    sdk::status st = to_status(_db->FlushWAL(true), "syncing the WAL at close");
    rocksdb::FlushOptions flush;
    flush.wait = true;
    flush.allow_write_stall = true;
    _db->Flush(flush, _families).PermitUncheckedError();
    for (auto* cf : _families) {
        _db->DestroyColumnFamilyHandle(cf).PermitUncheckedError();
    }
    _families.clear();
    auto closed = _db->Close();
    if (st.ok()) {
        st = to_status(closed, "closing the rocksdb database");
    }
    _db.reset();
    _close_status = st;
    return st;
}

sdk::status database::flush_memtables() noexcept
{
    if (closing()) {
        return sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed");
    }
    rocksdb::FlushOptions flush;
    flush.wait = true;
    return to_status(_db->Flush(flush, _families), "flushing the memtables");
}

} // namespace plexus::storage::rocks
