// What the RocksDB engine's unit tests share: blocking pools the test controls, a temporary
// directory, a file system that fails on demand (disk full, failed syncs), and a harness that
// opens the engine directly (no loader) with a fake owner shard and drives completions; and
// direct access to the database underneath (no engine open), to look at or damage its keys.
#pragma once

#include "rocksdb_engine.h"

#include "plexus/sdk/testing/fake_executor.h"

#include <rocksdb/db.h>
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace plexus::test::rocks {

/// A blocking pool whose jobs run only when the test says, on the test thread.
class manual_pool final : public sdk::blocking_pool
{
  public:
    void submit(sdk::callback<void()> work) noexcept override;
    /// Runs one queued job; false when none is queued.
    bool run_one();
    std::size_t run_all();
    std::size_t pending() const;

  private:
    mutable std::mutex _mutex;
    std::deque<sdk::callback<void()>> _jobs;
};

/// A blocking pool with one worker thread; the destructor runs what is queued, then joins.
class thread_pool final : public sdk::blocking_pool
{
  public:
    thread_pool();
    ~thread_pool();
    void submit(sdk::callback<void()> work) noexcept override;

  private:
    std::mutex _mutex;
    std::condition_variable _cv;
    std::deque<sdk::callback<void()>> _jobs;
    bool _stopping = false;
    std::thread _worker;
};

/// A fresh directory, removed with everything in it at destruction.
class temp_dir
{
  public:
    temp_dir();
    ~temp_dir();
    const std::filesystem::path& path() const noexcept { return _path; }

  private:
    std::filesystem::path _path;
};

/// RocksDB's default file system, with switches that make writes fail as on a full disk and
/// syncs fail as on a broken one.
class faulty_fs final : public rocksdb::FileSystemWrapper
{
  public:
    faulty_fs();
    const char* Name() const override { return "plexus_test_faulty_fs"; }
    rocksdb::IOStatus NewWritableFile(const std::string& name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
    rocksdb::IOStatus ReopenWritableFile(const std::string& name,
                                         const rocksdb::FileOptions& options,
                                         std::unique_ptr<rocksdb::FSWritableFile>* result,
                                         rocksdb::IODebugContext* dbg) override;

    std::atomic<bool> disk_full{ false };
    std::atomic<bool> sync_fails{ false };
};

/// An rocksdb::Env over a faulty_fs.
struct faulty_env
{
    faulty_env();
    std::shared_ptr<faulty_fs> fs;
    std::unique_ptr<rocksdb::Env> env;
};

sdk::message_ptr make_message(const std::string& body, std::int64_t ts = 0);
sdk::record_batch batch_of(int n, const std::string& prefix = "m", int first = 0, std::int64_t ts = 0);
std::vector<std::string> bodies(const sdk::record_batch& b);
/// An encoded batch of a made-up format: `size` bytes whose first 8 are its offset slot.
sdk::record_batch encoded_of(std::uint32_t count, std::size_t size, std::int64_t max_ts, char fill = 'e');

/// The `default` family's key of the storage format marker.
extern const rocksdb::Slice format_key;
/// Opens the database in `dir` directly (no engine may have it open) and applies `change` to it.
void change_database(const std::filesystem::path& dir,
                     const std::function<void(rocksdb::DB&, std::vector<rocksdb::ColumnFamilyHandle*>&)>& change);
/// The storage format marker of the database in `dir`.
std::string marker_of(const std::filesystem::path& dir);

/// An engine over a temporary directory, created directly (no loader), whose logs are owned
/// by a fake shard. Pool jobs run on the test thread when `manual`, else on a worker thread.
class engine_harness
{
  public:
    explicit engine_harness(std::string config_json = "{}", rocksdb::Env* env = nullptr);
    ~engine_harness();

    storage::rocks::rocksdb_engine& engine() { return *_engine; }
    sdk::testing::fake_executor& shard() { return _shard; }
    manual_pool& pool() { return _pool; }
    const std::filesystem::path& dir() const { return _dir.path(); }

    /// close() and destroy the engine, then open a new one over the same directory.
    void restart();
    /// close() and destroy the engine.
    void close();
    /// The engine's close() is expected to fail (after an injected fault).
    void expect_failed_close() { _close_must_succeed = false; }
    std::unique_ptr<sdk::log> open_log(const std::string& name);
    /// As above, with the rest of the spec (the owner is set to the fake shard).
    std::unique_ptr<sdk::log> open_log(sdk::log_spec spec);

    /// Runs pool jobs and shard tasks until `ready()`; false when nothing is left to run.
    template<class Ready>
    bool drive(Ready ready)
    {
        while (!ready()) {
            const bool ran = _pool.run_one();
            const bool ran_shard = _shard.run_all() > 0;
            if (!ran && !ran_shard && !ready()) {
                return false;
            }
        }
        return true;
    }

    sdk::result<sdk::record_batch> read(sdk::log& log, sdk::offset from, std::size_t max_bytes);
    sdk::result<sdk::record_batch> read_all(sdk::log& log, sdk::offset from);
    sdk::result<sdk::offset> flush(sdk::log& log);
    sdk::result<sdk::offset> offset_for_timestamp(sdk::log& log, std::int64_t ts);
    /// Checks that offset_for_timestamp(ts) answers `want`.
    void check_offset_for_timestamp(sdk::log& log, std::int64_t ts, std::int64_t want);
    sdk::status apply(std::vector<sdk::kv_store::write> writes);

  private:
    void open();

    std::string _config_json;
    rocksdb::Env* _env;
    bool _close_must_succeed = true;
    temp_dir _dir;
    manual_pool _pool;
    sdk::testing::fake_executor _shard;
    std::unique_ptr<storage::rocks::rocksdb_engine> _engine;
};

} // namespace plexus::test::rocks
