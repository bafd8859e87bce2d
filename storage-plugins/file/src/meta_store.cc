#include "meta_store.h"

#include "crc32c.h"
#include "plexus/sdk/field_codec.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <cstring>

namespace plexus::storage::file {

using sdk::put_string;
using sdk::put_varint;
using sdk::read_string;
using sdk::read_varint;

namespace {

constexpr std::uint32_t snapshot_magic = 0x314d5850; // "PXM1"
constexpr std::size_t journal_frame_header = 8;      // u32 crc, u32 payload length
/// The journal is folded into a snapshot once it is this big and bigger than the snapshot.
constexpr std::uint64_t compaction_floor_bytes = 4u << 20;

enum write_op : std::uint8_t
{
    op_delete = 0,
    op_put = 1,
};

template<class T>
void put_fixed(std::string& out, T v)
{
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    out.append(raw, sizeof v);
}

template<class T>
T get_fixed(std::string_view in, std::size_t at)
{
    T v;
    std::memcpy(&v, in.data() + at, sizeof v);
    return v;
}

std::filesystem::path snapshot_path(const std::filesystem::path& dir)
{
    return dir / "snapshot";
}

std::filesystem::path journal_path(const std::filesystem::path& dir)
{
    return dir / "journal";
}

/// Applies one journal payload to `map`; false when it does not parse.
bool replay(std::string_view payload, std::map<std::string, std::string, std::less<>>& map)
{
    std::size_t pos = 0;
    auto count = read_varint(payload, pos);
    if (!count) {
        return false;
    }
    std::vector<std::pair<std::string_view, std::optional<std::string_view>>> writes;
    for (std::uint64_t i = 0; i < *count; ++i) {
        if (pos >= payload.size()) {
            return false;
        }
        const auto op = static_cast<std::uint8_t>(payload[pos++]);
        auto key = read_string(payload, pos);
        if (!key || (op != op_put && op != op_delete)) {
            return false;
        }
        std::optional<std::string_view> value;
        if (op == op_put) {
            value = read_string(payload, pos);
            if (!value) {
                return false;
            }
        }
        writes.emplace_back(*key, value);
    }
    if (pos != payload.size()) {
        return false;
    }
    for (const auto& [key, value] : writes) {
        if (value) {
            map.insert_or_assign(std::string(key), std::string(*value));
        } else if (auto it = map.find(key); it != map.end()) {
            map.erase(it);
        }
    }
    return true;
}

} // namespace

meta_store::meta_store(std::filesystem::path dir, fsync_policy fsync, sdk::blocking_pool* blocking, sdk::logger* logger)
  : _dir(std::move(dir))
  , _fsync(fsync)
  , _blocking(blocking)
  , _logger(logger)
{
}

meta_store::~meta_store()
{
    close().ignore();
}

sdk::result<std::unique_ptr<meta_store>> meta_store::open(std::filesystem::path dir,
                                                          fsync_policy fsync,
                                                          sdk::blocking_pool* blocking,
                                                          sdk::logger* logger)
{
    std::unique_ptr<meta_store> store(new meta_store(std::move(dir), fsync, blocking, logger));
    if (auto st = store->load(); !st.ok()) {
        return st;
    }
    return store;
}

sdk::status meta_store::load()
{
    std::string snapshot;
    if (auto st = read_whole_file(snapshot_path(_dir), snapshot); st.ok()) {
        if (snapshot.size() < 16 || get_fixed<std::uint32_t>(snapshot, 0) != snapshot_magic ||
            get_fixed<std::uint32_t>(snapshot, 4) != crc32c(as_bytes(std::string_view(snapshot).substr(8)))) {
            return sdk::status(sdk::errc::corruption,
                               "metadata snapshot " + snapshot_path(_dir).string() + " is damaged (bad magic or CRC)");
        }
        const auto count = get_fixed<std::uint64_t>(snapshot, 8);
        std::string_view body(snapshot);
        std::size_t pos = 16;
        for (std::uint64_t i = 0; i < count; ++i) {
            auto key = read_string(body, pos);
            auto value = key ? read_string(body, pos) : std::nullopt;
            if (!value) {
                return sdk::status(sdk::errc::corruption,
                                   "metadata snapshot " + snapshot_path(_dir).string() + " is truncated");
            }
            _map.emplace(std::string(*key), std::string(*value));
        }
        _snapshot_bytes = snapshot.size();
    } else if (st.code() != sdk::errc::not_found) {
        return st;
    }

    if (auto st = open_file(journal_path(_dir), O_RDWR | O_CREAT, _journal); !st.ok()) {
        return st;
    }
    std::string journal;
    if (auto st = read_whole_file(journal_path(_dir), journal); !st.ok()) {
        return st;
    }
    std::size_t pos = 0;
    std::size_t batches = 0;
    while (pos + journal_frame_header <= journal.size()) {
        const auto crc = get_fixed<std::uint32_t>(journal, pos);
        const auto length = get_fixed<std::uint32_t>(journal, pos + 4);
        if (length > journal.size() - pos - journal_frame_header) {
            break;
        }
        const std::string_view payload(journal.data() + pos + journal_frame_header, length);
        if (crc != crc32c(as_bytes(std::string_view(journal).substr(pos + 4, 4 + length))) || !replay(payload, _map)) {
            break;
        }
        pos += journal_frame_header + length;
        ++batches;
    }
    if (pos < journal.size()) {
        // A batch whose write the crash cut short was never confirmed: drop it.
        if (_logger != nullptr) {
            PLEXUS_LOG(*_logger,
                       warn,
                       "file engine: metadata journal {}: cut {} bytes of an incomplete batch after {} intact ones",
                       journal_path(_dir).string(),
                       journal.size() - pos,
                       batches);
        }
        if (auto st = truncate_to(_journal, pos, journal_path(_dir)); !st.ok()) {
            return st;
        }
    }
    _journal_bytes = pos;
    return sync_directory(_dir);
}

sdk::result<std::optional<std::string>> meta_store::get(std::string_view key) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        auto it = _map.find(key);
        if (it == _map.end()) {
            return std::optional<std::string>{};
        }
        return std::optional<std::string>(it->second);
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory reading metadata");
    }
}

sdk::result<std::vector<std::pair<std::string, std::string>>> meta_store::scan(std::string_view prefix) noexcept
{
    try {
        std::vector<std::pair<std::string, std::string>> out;
        std::lock_guard lock(_mutex);
        for (auto it = _map.lower_bound(prefix); it != _map.end() && it->first.starts_with(prefix); ++it) {
            out.emplace_back(it->first, it->second);
        }
        return out;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory scanning metadata");
    }
}

void meta_store::apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept
{
    sdk::status outcome;
    try {
        std::string frame(journal_frame_header, '\0');
        put_varint(frame, writes.size());
        for (const auto& w : writes) {
            frame.push_back(static_cast<char>(w.value ? op_put : op_delete));
            put_string(frame, w.key);
            if (w.value) {
                put_string(frame, *w.value);
            }
        }
        const auto length = static_cast<std::uint32_t>(frame.size() - journal_frame_header);
        std::memcpy(frame.data() + 4, &length, sizeof length);
        const std::uint32_t crc = crc32c(as_bytes(std::string_view(frame).substr(4)));
        std::memcpy(frame.data(), &crc, sizeof crc);

        std::unique_lock lock(_mutex);
        if (!_failed.ok()) {
            outcome = _failed;
        } else if (outcome = write_at(_journal, as_bytes(frame), _journal_bytes, journal_path(_dir)); outcome.ok()) {
            _journal_bytes += frame.size();
            replay(std::string_view(frame).substr(journal_frame_header), _map);
            if (_journal_bytes > compaction_floor_bytes && _journal_bytes > _snapshot_bytes) {
                outcome = compact_locked();
            }
            if (outcome.ok() && _fsync != fsync_policy::none) {
                _waiting.push_back(std::move(done));
                const bool start = claim_sync_locked();
                lock.unlock();
                if (start) {
                    run_syncs();
                }
                return;
            }
        } else {
            // Nothing of a failed write may stay in the journal: a later batch would follow
            // garbage and be lost on replay.
            truncate_to(_journal, _journal_bytes, journal_path(_dir)).ignore();
        }
    } catch (const std::bad_alloc&) {
        outcome = sdk::status(sdk::errc::resource_exhausted, "out of memory writing metadata");
    } catch (...) {
        outcome = sdk::status(sdk::errc::internal, "writing metadata failed");
    }
    if (done) {
        done(outcome);
    }
}

sdk::status meta_store::compact_locked()
{
    std::string snapshot;
    put_fixed(snapshot, snapshot_magic);
    put_fixed(snapshot, std::uint32_t{ 0 });
    put_fixed(snapshot, static_cast<std::uint64_t>(_map.size()));
    for (const auto& [key, value] : _map) {
        put_string(snapshot, key);
        put_string(snapshot, value);
    }
    const std::uint32_t crc = crc32c(as_bytes(std::string_view(snapshot).substr(8)));
    std::memcpy(snapshot.data() + 4, &crc, sizeof crc);
    if (auto st = write_file_atomically(snapshot_path(_dir), as_bytes(snapshot)); !st.ok()) {
        return st;
    }
    _snapshot_bytes = snapshot.size();
    // The snapshot holds every write so far and is durable: the journal can start over.
    if (auto st = truncate_to(_journal, 0, journal_path(_dir)); !st.ok()) {
        return st;
    }
    _journal_bytes = 0;
    return {};
}

bool meta_store::claim_sync_locked()
{
    if (_sync_running || _waiting.empty()) {
        return false;
    }
    _sync_running = true;
    return true;
}

void meta_store::run_syncs()
{
    // Submitted without the mutex held: a pool may run the work inline.
    _blocking->submit([this]() {
        for (;;) {
            std::vector<sdk::callback<void(sdk::status)>> waiters;
            {
                std::lock_guard lock(_mutex);
                waiters.swap(_waiting);
            }
            // One fdatasync covers every batch written before it started.
            auto st = sync_data(_journal, journal_path(_dir));
            for (auto& w : waiters) {
                if (w) {
                    w(st);
                }
            }
            std::lock_guard lock(_mutex);
            if (!st.ok()) {
                _failed = st;
            }
            if (_waiting.empty()) {
                _sync_running = false;
                _idle.notify_all();
                return;
            }
        }
    });
}

sdk::status meta_store::close() noexcept
{
    try {
        std::unique_lock lock(_mutex);
        _idle.wait(lock, [this] { return !_sync_running; });
        if (!_journal.is_open()) {
            return {};
        }
        return sync_data(_journal, journal_path(_dir));
    } catch (...) {
        return sdk::status(sdk::errc::internal, "closing the metadata store failed");
    }
}

} // namespace plexus::storage::file
