// A log of the file engine: a directory of segments (segment.h), the newest of which takes
// appends. Appends are written at once (pwrite into the page cache, so readable at once) and
// made durable by fdatasync on the blocking pool, grouped: while one sync runs, later flush
// requests wait and share the next one (group commit). Sealed segments are synced and get
// their index saved by the same job. truncate_prefix() deletes whole segments below the new
// start and records the start in a marker frame (written with the next append, or alone after
// start_marker_delay), so recovery does not bring the prefix back. append_at() leaves a gap:
// the next frame simply begins above the previous one's end (within a segment or across a
// roll, which still begins the new segment at the old end), so the frames' own base offsets
// are the whole record of it and recovery, which only refuses a frame below the end, keeps it.
//
// Threading: a log_core lives on its owner shard; blocking-pool jobs hold it by shared_ptr
// and post their results back to the owner, so a handle may close while jobs still run.
#pragma once

#include "background_jobs.h"
#include "file_config.h"
#include "file_io.h"
#include "forwarding_log.h"
#include "segment.h"
#include "segment_reader.h"

#include "plexus/sdk/storage.h"

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace plexus::storage::file {

/// What a log needs from its engine.
struct log_environment
{
    engine_config config;
    sdk::executor* owner = nullptr;
    sdk::blocking_pool* blocking = nullptr;
    sdk::logger* logger = nullptr;
    /// Shared with the engine: a log's background sync may still run after the engine is gone
    /// (the core outlives its handle until that work finishes).
    std::shared_ptr<const io_hooks> hooks;
    /// Where the log's blocking work goes: the engine's close waits for it.
    std::shared_ptr<background_jobs> jobs;
};

/// How long a start marker waits for an append to take it along before it is written alone
/// (up to twice that while appends keep taking the earlier ones along).
inline constexpr std::chrono::milliseconds start_marker_delay{ 100 };

class log_core : public std::enable_shared_from_this<log_core>
{
  public:
    log_core(std::string name, std::filesystem::path dir, log_environment env);

    /// Loads or recovers the segments (creating the first one, at `first_offset`, for a new
    /// log: its file name keeps that offset) and logs what recovery found.
    sdk::status open(sdk::offset first_offset);
    /// Saves the active segment's index and syncs what is unsynced. Called when the handle
    /// closes; blocking.
    void close() noexcept;

    sdk::result<sdk::offset_range> append(sdk::record_batch batch) noexcept;
    sdk::result<sdk::offset_range> append_at(sdk::record_batch batch) noexcept;
    void flush(sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept;
    void read(sdk::offset from,
              std::size_t max_bytes,
              sdk::callback<void(sdk::result<sdk::record_batch>)> done) noexcept;
    void offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done) noexcept;
    sdk::status truncate_prefix(sdk::offset new_start) noexcept;
    sdk::log_offsets offsets() const noexcept { return { _start, _next, _committed }; }
    std::uint64_t size_bytes() const noexcept { return _record_bytes; }

  private:
    using flush_done = sdk::callback<void(sdk::result<sdk::offset>)>;

    /// What append() and append_at() share: stores the batch at `explicit_base` (nullopt: at
    /// next).
    sdk::result<sdk::offset_range> append_batch(sdk::record_batch batch,
                                                std::optional<sdk::offset> explicit_base) noexcept;
    sdk::status roll();
    void mark_dirty();
    void schedule_sync();
    void start_sync();
    void on_synced(const sdk::status& st, sdk::offset target, std::vector<flush_done> waiters);
    void write_start_marker();
    void arm_marker_delay();
    std::vector<segment_span> spans_from(sdk::offset from) const;
    segment& active() const noexcept { return *_segments.back(); }

    std::string _name;
    std::filesystem::path _dir;
    log_environment _env;
    std::vector<std::shared_ptr<segment>> _segments; // ascending base offsets; never empty once open
    std::chrono::steady_clock::time_point _active_since;
    sdk::offset _start{ 0 };
    sdk::offset _next{ 0 };
    sdk::offset _committed{ 0 };
    std::uint64_t _record_bytes = 0;
    std::string _frame; // reused encode buffer

    // Durability. _unsynced: segments written since their last sync; _unsaved: sealed
    // segments whose index waits for their data to be synced.
    std::vector<std::shared_ptr<segment>> _unsynced;
    std::vector<std::shared_ptr<segment>> _unsaved;
    std::vector<flush_done> _waiting;
    bool _sync_wanted = false;
    bool _directory_unsynced = false; ///< a segment was created since the directory's last fsync
    bool _sync_running = false;
    bool _sync_posted = false; ///< a start_sync() is posted to the shard (batch, no delay)
    std::unique_ptr<sdk::timer> _sync_delay;
    sdk::status _failed;                       ///< set when a sync failed: the page cache's state is then unknown
    bool _marker_pending = false;              ///< a truncate_prefix() not yet recorded in a marker
    bool _marker_carried = false;              ///< an append took a marker along since the delay was armed
    std::unique_ptr<sdk::timer> _marker_delay; ///< writes it alone when no append takes it along
};

/// The sdk::log handle: forwards to the core; closing it closes the core and tells the engine.
class file_log final : public forwarding_log<log_core>
{
  public:
    file_log(std::shared_ptr<log_core> core, std::function<void()> on_close)
      : forwarding_log(std::move(core))
      , _on_close(std::move(on_close))
    {
    }
    ~file_log() override;

  private:
    std::function<void()> _on_close;
};

} // namespace plexus::storage::file
