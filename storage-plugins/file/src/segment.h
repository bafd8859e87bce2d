// One segment of a log: an append-only file of frames (batch_frame.h) holding the records from
// `base` on (each frame begins at or above the previous one's end: above it where append_at
// left a gap), with a sparse in-memory index (an entry every `index_interval` bytes: the first
// offset of a frame, its position, and the largest timestamp before it) that is saved to
// `<base>.index` when the segment is sealed or its log closed.
//
// Threading: appends, index lookups and recovery run on the log's owner shard. Blocking-pool
// jobs only read the file descriptor at positions the shard handed them, sync it, or save
// the index of a sealed segment (which no longer changes), so they need no lock.
#pragma once

#include "batch_frame.h"
#include "file_io.h"

#include "plexus/sdk/result.h"
#include "plexus/sdk/strong_types.h"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace plexus::storage::file {

struct index_entry
{
    std::int64_t offset;        ///< base offset of the frame at `position`
    std::int64_t max_ts_before; ///< largest record timestamp in the frames before `position`
    std::uint64_t position;
};

/// What recovery found and did in one segment, for the startup log.
struct segment_recovery
{
    struct damage
    {
        std::uint64_t position;
        std::uint64_t bytes;
    };
    std::uint64_t frames = 0;
    std::uint64_t cut_bytes = 0;       ///< a torn tail removed from the end
    std::vector<damage> damaged;       ///< ranges whose frames failed their CRC, dropped
    std::filesystem::path moved_to;    ///< where the damaged original was kept
    std::optional<std::int64_t> start; ///< the last start marker
    bool index_rebuilt = false;
};

class segment
{
  public:
    static std::filesystem::path data_path(const std::filesystem::path& dir, std::int64_t base);
    static std::filesystem::path index_path(const std::filesystem::path& dir, std::int64_t base);
    /// The base offset a segment file name encodes, or nullopt for other files.
    static std::optional<std::int64_t> base_of(const std::filesystem::path& file);

    /// A new empty segment file (refuses to overwrite one).
    static sdk::result<std::shared_ptr<segment>> create(const std::filesystem::path& dir,
                                                        sdk::offset base,
                                                        std::uint32_t index_interval,
                                                        const io_hooks* hooks);
    /// An existing segment file; call load_index() or recover() before using it.
    static sdk::result<std::shared_ptr<segment>> open(const std::filesystem::path& dir,
                                                      sdk::offset base,
                                                      std::uint32_t index_interval,
                                                      const io_hooks* hooks);

    sdk::offset base() const noexcept { return _base; }
    /// One past the last record's offset (== base when the segment holds no records).
    sdk::offset next() const noexcept { return _next; }
    std::int64_t max_timestamp() const noexcept { return _max_ts; }
    std::uint64_t size() const noexcept { return _size; }
    /// Bytes of record frames (markers excluded): what size_bytes() reports.
    std::uint64_t record_bytes() const noexcept { return _record_bytes; }
    bool has_records() const noexcept { return _next > _base; }
    const file_handle& file() const noexcept { return _file; }
    const std::filesystem::path& path() const noexcept { return _path; }

    /// Writes finished frames at the end in one write: `frames` is their bytes back to back,
    /// `headers` theirs in the same order. On failure the file is cut back to its previous
    /// size and nothing changes.
    sdk::status append(std::string_view frames, std::span<const frame_header> headers);
    sdk::status append(std::string_view frame, const frame_header& header)
    {
        return append(frame, std::span<const frame_header>(&header, 1));
    }
    /// fdatasync of the file (any thread).
    sdk::status sync() const { return sync_data(_file, _path, _hooks); }
    /// Where to start reading to find offset `o` (a frame boundary at or before it).
    std::uint64_t position_for(sdk::offset o) const noexcept;
    /// Where to start reading to find the first record with timestamp >= ts.
    std::uint64_t position_for_time(std::int64_t ts) const noexcept;

    /// Saves the index with the log's start offset (atomically; fsynced). Does nothing once
    /// the segment's files were removed. May run on a blocking-pool thread for a sealed segment.
    sdk::status save_index(std::int64_t log_start) const;
    /// Loads a saved index that matches the file's current size; returns the log start it
    /// recorded, or nullopt when the index is missing, damaged or stale.
    std::optional<std::int64_t> load_index();
    /// Reads every frame, checks its CRC and rebuilds the index. Damage in the middle is cut
    /// out (the intact frames are rewritten into a fresh file, the original kept beside it
    /// as `<base>.log.damaged`); an invalid tail is cut off.
    sdk::result<segment_recovery> recover();

    /// Deletes the files (the descriptor stays usable by jobs still holding this segment).
    void remove_files() const;

  private:
    segment(std::filesystem::path dir, sdk::offset base, std::uint32_t index_interval, const io_hooks* hooks);
    void reset_state();
    void note_frame(std::uint64_t position, const frame_header& h);
    sdk::status rewrite_without_damage(const std::vector<std::pair<std::uint64_t, std::uint32_t>>& keep,
                                       segment_recovery& report);

    std::filesystem::path _dir;
    std::filesystem::path _path;
    sdk::offset _base;
    std::uint32_t _index_interval;
    const io_hooks* _hooks;
    file_handle _file;
    sdk::offset _next;
    std::int64_t _max_ts;
    std::uint64_t _size = 0;
    std::uint64_t _record_bytes = 0;
    std::uint64_t _last_indexed = 0;
    std::vector<index_entry> _index;
    mutable std::atomic<bool> _removed{ false };
};

} // namespace plexus::storage::file
