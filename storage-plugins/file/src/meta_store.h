// The file engine's metadata store: the whole map in memory, made durable by a journal of
// write batches (each one frame: CRC32C, length, the writes) that is folded into a snapshot
// once it outgrows it. A snapshot is written to a temporary file, synced and renamed, so a
// crash leaves either the old or the new one; replaying a journal over a snapshot that
// already holds its writes gives the same map, so the journal is emptied after the rename.
//
// Threading: every method may be called from any shard; one mutex guards the map and the
// journal. apply()'s completions run on a blocking-pool thread (callers post to their shard).
#pragma once

#include "file_config.h"
#include "file_io.h"

#include "plexus/sdk/executor.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/storage.h"

#include <condition_variable>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace plexus::storage::file {

class meta_store final : public sdk::kv_store
{
  public:
    /// Loads the snapshot and replays the journal, cutting a torn last batch (and logging it).
    static sdk::result<std::unique_ptr<meta_store>> open(std::filesystem::path dir,
                                                         fsync_policy fsync,
                                                         sdk::blocking_pool* blocking,
                                                         sdk::logger* logger);
    ~meta_store();

    sdk::result<std::optional<std::string>> get(std::string_view key) noexcept override;
    sdk::result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override;
    void apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept override;

    /// Waits for running syncs, then syncs the journal. Blocking.
    sdk::status close() noexcept;

  private:
    meta_store(std::filesystem::path dir, fsync_policy fsync, sdk::blocking_pool* blocking, sdk::logger* logger);
    sdk::status load();
    sdk::status compact_locked();
    /// True when the caller must start the sync loop (none runs and batches wait).
    bool claim_sync_locked();
    /// Syncs the journal on the blocking pool until no batch waits (group commit).
    void run_syncs();

    std::filesystem::path _dir;
    fsync_policy _fsync;
    sdk::blocking_pool* _blocking;
    sdk::logger* _logger;

    std::mutex _mutex;
    std::map<std::string, std::string, std::less<>> _map;
    file_handle _journal;
    std::uint64_t _journal_bytes = 0;
    std::uint64_t _snapshot_bytes = 0;
    // Group commit: while one sync runs, new batches wait for the next.
    std::vector<sdk::callback<void(sdk::status)>> _waiting;
    bool _sync_running = false;
    std::condition_variable _idle; // signalled when a sync ends (close waits for it)
    sdk::status _failed;
};

} // namespace plexus::storage::file
