#include "segment.h"

#include "crc32c.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <sys/stat.h>

namespace plexus::storage::file {

namespace {

constexpr std::int64_t no_timestamp = std::numeric_limits<std::int64_t>::min();
constexpr std::uint32_t index_magic = 0x31495850; // "PXI1"
constexpr std::size_t index_header_size = 56;
constexpr std::size_t index_entry_size = 24;

std::string base_name(std::int64_t base)
{
    char name[32];
    std::snprintf(name, sizeof name, "%020" PRId64, base);
    return name;
}

template<class T>
void put(std::string& out, T v)
{
    char raw[sizeof v];
    std::memcpy(raw, &v, sizeof v);
    out.append(raw, sizeof v);
}

template<class T>
T get(std::string_view in, std::size_t at)
{
    T v;
    std::memcpy(&v, in.data() + at, sizeof v);
    return v;
}

} // namespace

std::filesystem::path segment::data_path(const std::filesystem::path& dir, std::int64_t base)
{
    return dir / (base_name(base) + ".log");
}

std::filesystem::path segment::index_path(const std::filesystem::path& dir, std::int64_t base)
{
    return dir / (base_name(base) + ".index");
}

std::optional<std::int64_t> segment::base_of(const std::filesystem::path& file)
{
    const std::string name = file.filename().string();
    if (name.size() != 24 || name.substr(20) != ".log") {
        return std::nullopt;
    }
    std::int64_t base = 0;
    for (std::size_t i = 0; i < 20; ++i) {
        if (name[i] < '0' || name[i] > '9') {
            return std::nullopt;
        }
        if (base > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
            return std::nullopt;
        }
        base = base * 10 + (name[i] - '0');
    }
    return base;
}

segment::segment(std::filesystem::path dir, sdk::offset base, std::uint32_t index_interval, const io_hooks* hooks)
  : _dir(std::move(dir))
  , _path(data_path(_dir, base()))
  , _base(base)
  , _index_interval(index_interval)
  , _hooks(hooks)
  , _next(base)
  , _max_ts(no_timestamp)
{
}

sdk::result<std::shared_ptr<segment>> segment::create(const std::filesystem::path& dir,
                                                      sdk::offset base,
                                                      std::uint32_t index_interval,
                                                      const io_hooks* hooks)
{
    std::shared_ptr<segment> s(new segment(dir, base, index_interval, hooks));
    if (auto st = open_file(s->_path, O_RDWR | O_CREAT | O_EXCL, s->_file); !st.ok()) {
        return st;
    }
    return s;
}

sdk::result<std::shared_ptr<segment>> segment::open(const std::filesystem::path& dir,
                                                    sdk::offset base,
                                                    std::uint32_t index_interval,
                                                    const io_hooks* hooks)
{
    std::shared_ptr<segment> s(new segment(dir, base, index_interval, hooks));
    if (auto st = open_file(s->_path, O_RDWR, s->_file); !st.ok()) {
        return st;
    }
    struct stat info
    {};
    if (::fstat(s->_file.fd(), &info) != 0) {
        return errno_status(errno, "cannot stat", s->_path);
    }
    s->_size = static_cast<std::uint64_t>(info.st_size);
    return s;
}

void segment::reset_state()
{
    _next = _base;
    _max_ts = no_timestamp;
    _record_bytes = 0;
    _last_indexed = 0;
    _index.clear();
}

void segment::note_frame(std::uint64_t position, const frame_header& h)
{
    if (!holds_records(h.kind)) {
        return;
    }
    if (_index.empty() || position - _last_indexed >= _index_interval) {
        _index.push_back({ h.base_offset, _max_ts, position });
        _last_indexed = position;
    }
    _next = h.end_offset();
    _max_ts = std::max(_max_ts, h.max_timestamp);
    _record_bytes += h.length;
}

sdk::status segment::append(std::string_view frames, std::span<const frame_header> headers)
{
    if (auto st = write_at(_file, as_bytes(frames), _size, _path, _hooks); !st.ok()) {
        // A partial write must not stay behind a later frame: cut it off. If even that
        // fails, recovery's CRC check drops it on the next start.
        truncate_to(_file, _size, _path).ignore();
        return st;
    }
    for (const auto& h : headers) {
        note_frame(_size, h);
        _size += h.length; // the whole frame, header included
    }
    return {};
}

std::uint64_t segment::position_for(sdk::offset o) const noexcept
{
    auto it = std::upper_bound(
      _index.begin(), _index.end(), o(), [](std::int64_t v, const index_entry& e) { return v < e.offset; });
    return it == _index.begin() ? 0 : std::prev(it)->position;
}

std::uint64_t segment::position_for_time(std::int64_t ts) const noexcept
{
    // max_ts_before does not decrease along the index: the last entry whose predecessors are
    // all older than ts is where the first match can begin.
    auto it =
      std::partition_point(_index.begin(), _index.end(), [ts](const index_entry& e) { return e.max_ts_before < ts; });
    return it == _index.begin() ? 0 : std::prev(it)->position;
}

sdk::status segment::save_index(std::int64_t log_start) const
{
    if (_removed.load(std::memory_order_acquire)) {
        return {};
    }
    std::string out;
    out.reserve(index_header_size + _index.size() * index_entry_size);
    put(out, index_magic);
    put(out, std::uint32_t{ 0 }); // crc, below
    put(out, _size);
    put(out, log_start);
    put(out, _next());
    put(out, _max_ts);
    put(out, _record_bytes);
    put(out, static_cast<std::uint32_t>(_index.size()));
    put(out, std::uint32_t{ 0 });
    for (const auto& e : _index) {
        put(out, e.offset);
        put(out, e.max_ts_before);
        put(out, e.position);
    }
    const std::uint32_t crc = crc32c(as_bytes(std::string_view(out).substr(8)));
    std::memcpy(out.data() + 4, &crc, sizeof crc);
    return write_file_atomically(index_path(_dir, _base()), as_bytes(out));
}

std::optional<std::int64_t> segment::load_index()
{
    std::string in;
    if (!read_whole_file(index_path(_dir, _base()), in).ok() || in.size() < index_header_size) {
        return std::nullopt;
    }
    if (get<std::uint32_t>(in, 0) != index_magic ||
        get<std::uint32_t>(in, 4) != crc32c(as_bytes(std::string_view(in).substr(8)))) {
        return std::nullopt;
    }
    const auto count = get<std::uint32_t>(in, 48);
    if (get<std::uint64_t>(in, 8) != _size || in.size() != index_header_size + count * index_entry_size) {
        return std::nullopt; // the segment changed after the index was saved: not trusted
    }
    reset_state();
    const auto log_start = get<std::int64_t>(in, 16);
    _next = sdk::offset{ get<std::int64_t>(in, 24) };
    _max_ts = get<std::int64_t>(in, 32);
    _record_bytes = get<std::uint64_t>(in, 40);
    _index.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = index_header_size + i * index_entry_size;
        _index.push_back({ get<std::int64_t>(in, at), get<std::int64_t>(in, at + 8), get<std::uint64_t>(in, at + 16) });
    }
    _last_indexed = _index.empty() ? 0 : _index.back().position;
    if (_next < _base || (_index.empty() && _next != _base)) {
        reset_state();
        return std::nullopt;
    }
    return log_start;
}

sdk::result<segment_recovery> segment::recover()
{
    segment_recovery report;
    report.index_rebuilt = true;
    std::string data(_size, '\0');
    if (auto st = read_at(_file, std::as_writable_bytes(std::span<char>(data.data(), data.size())), 0, _path);
        !st.ok()) {
        return st;
    }
    const auto all = as_bytes(data);
    reset_state();

    // A frame is accepted when its header is plausible, it fits, its CRC holds and its
    // offsets continue the segment: it begins at the end of the frame before it or above it
    // (a gap left by append_at), never below it.
    auto valid_at = [&](std::uint64_t pos, std::int64_t min_offset) -> std::optional<frame_header> {
        auto h = parse_frame_header(all.subspan(pos));
        if (!h || h->length > all.size() - pos) {
            return std::nullopt;
        }
        if (holds_records(h->kind) && h->base_offset < min_offset) {
            return std::nullopt;
        }
        if (!frame_crc_ok(*h, all.subspan(pos, h->length))) {
            return std::nullopt;
        }
        return h;
    };

    std::vector<std::pair<std::uint64_t, std::uint32_t>> kept; // position, length
    std::uint64_t pos = 0;
    while (pos < all.size()) {
        if (auto h = valid_at(pos, _next())) {
            kept.emplace_back(pos, h->length);
            if (h->kind == frame_kind::start_marker) {
                report.start = h->base_offset;
            }
            note_frame(pos, *h);
            ++report.frames;
            pos += h->length;
            continue;
        }
        // Look for the next intact frame: if there is one, the bytes between are damage;
        // if not, this is a torn tail (a write the crash cut short).
        std::uint64_t resume = pos + 1;
        while (resume + frame_header_size <= all.size() && !valid_at(resume, _next())) {
            ++resume;
        }
        if (resume + frame_header_size > all.size()) {
            report.cut_bytes = all.size() - pos;
            break;
        }
        report.damaged.push_back({ pos, resume - pos });
        pos = resume;
    }

    if (!report.damaged.empty()) {
        // Positions change when the damage is cut out: rebuild the index from the new layout.
        if (auto st = rewrite_without_damage(kept, report); !st.ok()) {
            return st;
        }
        reset_state();
        std::uint64_t at = 0;
        for (const auto& [p, len] : kept) {
            auto h = parse_frame_header(all.subspan(p));
            note_frame(at, *h);
            at += len;
        }
        _size = at;
    } else if (report.cut_bytes > 0) {
        _size = pos;
        if (auto st = truncate_to(_file, _size, _path); !st.ok()) {
            return st;
        }
        if (auto st = sync_data(_file, _path); !st.ok()) {
            return st;
        }
    }
    return report;
}

sdk::status segment::rewrite_without_damage(const std::vector<std::pair<std::uint64_t, std::uint32_t>>& keep,
                                            segment_recovery& report)
{
    auto repaired = _path;
    repaired += ".repair";
    file_handle out;
    if (auto st = open_file(repaired, O_RDWR | O_CREAT | O_TRUNC, out); !st.ok()) {
        return st;
    }
    std::string frame;
    std::uint64_t at = 0;
    for (const auto& [p, len] : keep) {
        frame.resize(len);
        if (auto st = read_at(_file, std::as_writable_bytes(std::span<char>(frame.data(), frame.size())), p, _path);
            !st.ok()) {
            return st;
        }
        if (auto st = write_at(out, as_bytes(frame), at, repaired); !st.ok()) {
            return st;
        }
        at += len;
    }
    if (auto st = sync_data(out, repaired); !st.ok()) {
        return st;
    }
    report.moved_to = _path;
    report.moved_to += ".damaged";
    std::error_code ec;
    std::filesystem::rename(_path, report.moved_to, ec);
    if (!ec) {
        std::filesystem::rename(repaired, _path, ec);
    }
    if (ec) {
        return sdk::status(sdk::errc::io_error,
                           "cannot replace damaged segment " + _path.string() + ": " + ec.message());
    }
    _file = std::move(out);
    return sync_directory(_dir);
}

void segment::remove_files() const
{
    _removed.store(true, std::memory_order_release);
    std::error_code ec;
    std::filesystem::remove(_path, ec);
    std::filesystem::remove(index_path(_dir, _base()), ec);
}

} // namespace plexus::storage::file
