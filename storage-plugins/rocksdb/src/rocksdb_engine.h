// The RocksDB storage engine: one RocksDB database in the engine's data directory, with a
// column family per kind of data (key_codec.h): `logs` (stored batches of records),
// `time_index`, `log_meta` (which logs exist, their ids and start offsets) and `metadata` (the
// kv_store). Durable: caps().durable and caps().timestamp_index are true.
//
// Threading: open_log / remove_log / list_logs / close may be called from any shard; they
// share one mutex over the map of logs (the control plane). A log handle is used on its owner
// shard and never locks; the metadata store is thread-safe. Blocking work (reads, WAL syncs)
// runs on the context's blocking pool and completions are posted back to the owner shard.
#pragma once

#include "database.h"
#include "rocksdb_config.h"
#include "rocksdb_kv.h"
#include "rocksdb_log.h"

#include "plexus/sdk/storage.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace rocksdb {
class Env;
}

namespace plexus::storage::rocks {

class rocksdb_engine final : public sdk::storage_engine
{
  public:
    /// Opens (creating when missing) the database in ctx.data_dir and loads the list of logs.
    /// `env` replaces RocksDB's environment (tests inject file-system faults through it); it
    /// must outlive the engine and every log handle.
    static sdk::result<std::unique_ptr<rocksdb_engine>> open(const sdk::storage_context& ctx,
                                                             const engine_config& config,
                                                             rocksdb::Env* env = nullptr) noexcept;
    ~rocksdb_engine() override;
    rocksdb_engine(const rocksdb_engine&) = delete;
    rocksdb_engine& operator=(const rocksdb_engine&) = delete;

    /// Opens (creating when missing) the named log; errc::locked when a handle is open already.
    sdk::result<std::unique_ptr<sdk::log>> open_log(const sdk::log_spec& spec) noexcept override;
    /// Drops the log's records, index and entry; not_found when unknown, locked while a
    /// handle is open (the SDK has callers close first). Synced unless fsync is none: a
    /// removed log must not come back after a crash.
    sdk::status remove_log(std::string_view name) noexcept override;
    sdk::result<std::vector<std::string>> list_logs() noexcept override;
    sdk::kv_store& metadata() noexcept override { return _kv; }
    sdk::storage_caps caps() const noexcept override { return { true, true }; }
    /// Waits for pool jobs, syncs the WAL, flushes the memtables and closes RocksDB; later
    /// calls fail with unavailable.
    sdk::status close() noexcept override;

    /// WAL syncs run so far (tests check that concurrent flushes share them).
    std::uint64_t wal_syncs() const noexcept { return _db->wal_syncs(); }
    /// Writes every memtable to SST files (tests read records back from files with it).
    sdk::status flush_memtables() noexcept { return _db->flush_memtables(); }

  private:
    rocksdb_engine(std::shared_ptr<database> db, sdk::logger* logger) noexcept
      : _db(std::move(db))
      , _logger(logger)
      , _kv(_db)
    {
    }
    sdk::status load_logs();

    std::shared_ptr<database> _db;
    sdk::logger* _logger;
    rocksdb_kv _kv;
    std::mutex _mutex;
    std::map<std::string, std::shared_ptr<log_slot>, std::less<>> _logs;
    log_id _next_id{ 1 };
    bool _closed = false;
};

class rocksdb_factory final : public sdk::storage_factory
{
  public:
    sdk::status validate(std::string_view config_json) const noexcept override;
    sdk::result<std::unique_ptr<sdk::storage_engine>> create(const sdk::storage_context& ctx,
                                                             std::string_view config_json) noexcept override;
};

} // namespace plexus::storage::rocks
