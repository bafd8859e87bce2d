// database: the engine's one RocksDB instance, its column families, the pool jobs that use it
// and its group-committed WAL sync. Shared (by shared_ptr) by the engine, every log handle and
// every pool job, so whichever goes last frees it; close() is what ends its use.
//
// Threading: everything here may be called from any thread (RocksDB is thread-safe). close()
// is called once, after the shards stopped: it waits for the pool jobs still queued or running.
#pragma once

#include "group_commit.h"
#include "rocksdb_config.h"

#include "plexus/sdk/callback.h"
#include "plexus/sdk/executor.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/result.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::storage::rocks {

class database : public std::enable_shared_from_this<database>
{
  public:
    /// Opens (creating when missing) the database in `dir`. `env` replaces RocksDB's default
    /// environment (tests inject file-system faults through it) and must outlive the database.
    /// A new database gets the storage format marker (key_codec.h); one of a format other than
    /// 2 to 4, or holding data without a marker (format 1), is refused with not_supported
    /// naming `dir`.
    static sdk::result<std::shared_ptr<database>> open(const std::string& dir,
                                                       const engine_config& config,
                                                       sdk::blocking_pool& pool,
                                                       rocksdb::Env* env = nullptr) noexcept;

    database(const database&) = delete;
    database& operator=(const database&) = delete;
    /// Closes the database if close() did not.
    ~database();

    rocksdb::DB& db() noexcept { return *_db; }
    rocksdb::ColumnFamilyHandle* logs() const noexcept { return _families[1]; }
    rocksdb::ColumnFamilyHandle* log_meta() const noexcept { return _families[2]; }
    rocksdb::ColumnFamilyHandle* time_index() const noexcept { return _families[3]; }
    rocksdb::ColumnFamilyHandle* metadata() const noexcept { return _families[4]; }
    const engine_config& config() const noexcept { return _config; }

    /// Applies `batch` atomically through the WAL, readable at once. With `sync` the WAL is
    /// synced before it returns (blocking; for rare control-plane writes). unavailable once
    /// closing; RocksDB errors mapped by status_mapping.h (disk full → resource_exhausted).
    /// A failure's message is "<what> '<log>'" (or "<what>" without a log), built only then:
    /// appends are the hot path.
    sdk::status write(rocksdb::WriteBatch& batch,
                      std::string_view what,
                      std::string_view log = {},
                      bool sync = false) noexcept;

    /// Stages into `batch` the raise of the storage format marker to `format` when the database
    /// is marked lower (the first encoded batch raises 2 to 3, the first gap to 4, so a build
    /// that reads the lower format only refuses the database at open instead of failing on a
    /// value). format_written() once the batch is written.
    rocksdb::Status stage_format(rocksdb::WriteBatch& batch, std::uint8_t format);
    void format_written(std::uint8_t format) noexcept;

    /// Runs `job` on the blocking pool with an ok status, or inline with the reason when the
    /// database is closing or memory is short. Either way it runs exactly once. `job` is any
    /// callable taking `const sdk::status&`; it is converted here so that a failed allocation
    /// leaves it intact to be told so.
    template<class Job>
    void run_blocking(Job&& job) noexcept
    {
        sdk::callback<void(const sdk::status&)> work;
        try {
            work = sdk::callback<void(const sdk::status&)>(std::forward<Job>(job));
        } catch (...) {
            // callback's heap path allocates before it moves: `job` is untouched
            job(sdk::status(sdk::errc::resource_exhausted, "out of memory submitting a rocksdb job"));
            return;
        }
        submit(std::move(work));
    }

    /// Calls `done` once everything written before the call is durable (a group-committed WAL
    /// sync). `done` runs on a pool thread, or inline when a finished sync covered it or the
    /// database is closing.
    void sync_wal(sdk::callback<void(sdk::status)> done) noexcept { _wal.request(std::move(done)); }
    /// The same for the first `needed` writes: a value of writes_counted() read after a write
    /// names one that covers it.
    void sync_wal(std::uint64_t needed, sdk::callback<void(sdk::status)> done) noexcept
    {
        _wal.request(needed, std::move(done));
    }
    /// Writes that have returned so far.
    std::uint64_t writes_counted() const noexcept { return _wal.written(); }
    /// WAL syncs run so far (tests check that concurrent requests share them).
    std::uint64_t wal_syncs() const noexcept { return _wal.syncs(); }

    /// True once close() began: every later call fails with unavailable.
    bool closing() const noexcept { return _closing.load(std::memory_order_acquire); }
    /// Waits for the pool jobs, syncs the WAL, flushes the memtables (a faster restart) and
    /// closes RocksDB. Idempotent: later calls return the first result.
    sdk::status close() noexcept;

    /// Writes every memtable to SST files (tests use it to read records back from files).
    sdk::status flush_memtables() noexcept;

  private:
    database(const engine_config& config, sdk::blocking_pool& pool);
    void submit(sdk::callback<void(const sdk::status&)> job) noexcept;
    void job_finished() noexcept;

    engine_config _config;
    sdk::blocking_pool* _pool;
    std::unique_ptr<rocksdb::DB> _db;
    std::vector<rocksdb::ColumnFamilyHandle*> _families; ///< owned; destroyed before the DB closes
    std::atomic<bool> _closing{ false };
    std::atomic<std::uint8_t> _format{ 0 }; ///< the storage format marker as written

    std::mutex _jobs_mutex;
    std::condition_variable _jobs_idle;
    std::size_t _jobs = 0; ///< submitted to the pool and not finished
    bool _closed = false;
    sdk::status _close_status;

    group_commit _wal;
};

} // namespace plexus::storage::rocks
