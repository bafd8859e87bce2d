#include "segment_reader.h"

#include "encoded_batch.h"
#include "record_codec.h"

#include <algorithm>

namespace plexus::storage::file {

namespace {

constexpr std::size_t min_chunk_bytes = 64 * 1024;
constexpr std::size_t max_chunk_bytes = 4 * 1024 * 1024;

struct stored_frame
{
    frame_header header;
    sdk::bytes bytes; ///< the whole frame, header included
};

/// Walks the record frames of the spans in order, reading a chunk at a time.
class frame_walker
{
  public:
    frame_walker(const std::vector<segment_span>& spans, std::size_t chunk_bytes)
      : _spans(spans)
      , _chunk_bytes(std::clamp(chunk_bytes, min_chunk_bytes, max_chunk_bytes))
    {
    }

    /// The next frame that holds records (of messages or encoded), or nullopt after the last.
    sdk::result<std::optional<stored_frame>> next()
    {
        while (_span < _spans.size()) {
            const auto& s = _spans[_span];
            if (_pos == 0 && !_started) {
                _pos = s.begin;
                _started = true;
            }
            if (_pos >= s.end) {
                ++_span;
                _started = false;
                _pos = 0;
                _chunk = {};
                continue;
            }
            auto frame = frame_at(s);
            if (!frame) {
                return frame.error();
            }
            _pos += frame->header.length;
            if (holds_records(frame->header.kind)) {
                return std::optional<stored_frame>(std::move(*frame));
            }
        }
        return std::optional<stored_frame>{};
    }

  private:
    sdk::status corrupt(const segment_span& s, std::string_view what) const
    {
        return sdk::status(sdk::errc::corruption,
                           "segment " + s.seg->path().string() + " at byte " + std::to_string(_pos) + ": " +
                             std::string(what));
    }

    /// Makes bytes [pos, pos + n) available in the chunk, reading when needed.
    sdk::status ensure(const segment_span& s, std::uint64_t pos, std::size_t n)
    {
        if (pos >= _chunk_pos && pos + n <= _chunk_pos + _chunk.size()) {
            return {};
        }
        const std::size_t len =
          static_cast<std::size_t>(std::min<std::uint64_t>(std::max<std::uint64_t>(n, _chunk_bytes), s.end - pos));
        if (len < n) {
            return corrupt(s, "a frame runs past the end of the segment");
        }
        auto chunk = sdk::bytes::allocate(len);
        if (auto st = read_at(s.seg->file(), chunk.writable(), pos, s.seg->path()); !st.ok()) {
            return st;
        }
        _chunk = std::move(chunk);
        _chunk_pos = pos;
        return {};
    }

    sdk::result<stored_frame> frame_at(const segment_span& s)
    {
        if (auto st = ensure(s, _pos, frame_header_size); !st.ok()) {
            return st;
        }
        auto header = parse_frame_header(_chunk.view().subspan(_pos - _chunk_pos, frame_header_size));
        if (!header) {
            return corrupt(s, "not a valid frame header");
        }
        if (auto st = ensure(s, _pos, header->length); !st.ok()) {
            return st;
        }
        auto bytes = _chunk.share(_pos - _chunk_pos, header->length);
        if (!frame_crc_ok(*header, bytes.view())) {
            return corrupt(s, "the batch fails its CRC check");
        }
        return stored_frame{ *header, std::move(bytes) };
    }

    const std::vector<segment_span>& _spans;
    std::size_t _chunk_bytes;
    std::size_t _span = 0;
    bool _started = false;
    std::uint64_t _pos = 0;
    sdk::bytes _chunk;
    std::uint64_t _chunk_pos = 0;
};

sdk::status decode(const stored_frame& f, std::vector<sdk::message_ptr>& out)
{
    return decode_records(f.bytes, frame_header_size, f.bytes.size(), f.header.count, out);
}

sdk::status corrupt_frame(const frame_header& h)
{
    return sdk::status(sdk::errc::corruption,
                       "the encoded batch at offset " + std::to_string(h.base_offset) + " has a malformed payload");
}

/// Adds an encoded frame to a read: the first one whole, later ones while they follow on, are
/// of the same format and fit `max_bytes`. False when the read is complete without it (a read
/// is all messages or all encoded).
sdk::result<bool> take_encoded(const stored_frame& f, sdk::record_batch& out, std::size_t& used, std::size_t max_bytes)
{
    if (f.header.kind != frame_kind::encoded || !out.records.empty()) {
        return false;
    }
    auto e = parse_encoded_frame(f.header, f.bytes);
    if (!e) {
        return corrupt_frame(f.header);
    }
    if (!out.encoded) {
        out.base_offset = sdk::offset{ f.header.base_offset };
        out.encoded = std::move(*e);
        used = out.encoded->bytes.size();
        return used < max_bytes;
    }
    if (f.header.base_offset != (out.last_offset() + 1)() || used + e->bytes.size() > max_bytes ||
        !join_encoded(*out.encoded, *e)) {
        return false;
    }
    used += e->bytes.size();
    return used < max_bytes;
}

} // namespace

sdk::result<sdk::record_batch> read_records(const std::vector<segment_span>& spans,
                                            sdk::offset from,
                                            std::size_t max_bytes)
{
    sdk::record_batch out;
    out.base_offset = from;
    frame_walker walker(spans, max_bytes);
    std::size_t used = 0;
    std::vector<sdk::message_ptr> records;
    while (true) {
        auto f = walker.next();
        if (!f) {
            return f.error();
        }
        if (!f->has_value()) {
            return out;
        }
        const auto& h = (*f)->header;
        if (h.end_offset() <= from) {
            continue;
        }
        if (h.kind == frame_kind::encoded || out.encoded) {
            auto more = take_encoded(**f, out, used, max_bytes);
            if (!more) {
                return more.error();
            }
            if (!*more) {
                return out;
            }
            continue;
        }
        // A batch is contiguous: a frame after a cut-out range starts the next read.
        if (!out.records.empty() && h.base_offset != (out.last_offset() + 1)()) {
            return out;
        }
        records.clear();
        if (auto st = decode(**f, records); !st.ok()) {
            return st;
        }
        // The first frame may begin before `from`; a frame after a cut-out range may begin
        // after it (its offsets are then the first that exist).
        std::int64_t o = h.base_offset;
        if (out.records.empty()) {
            out.base_offset = sdk::offset{ std::max(o, from()) };
        }
        for (auto& m : records) {
            if (o++ < from()) {
                continue;
            }
            const std::size_t sz = m->size_bytes();
            if (!out.records.empty() && used + sz > max_bytes) {
                return out;
            }
            used += sz;
            out.records.push_back(std::move(m));
        }
        if (used >= max_bytes) {
            return out;
        }
    }
}

sdk::result<std::optional<sdk::offset>> find_timestamp(const std::vector<segment_span>& spans,
                                                       std::int64_t ts,
                                                       sdk::offset from)
{
    frame_walker walker(spans, max_chunk_bytes);
    std::vector<sdk::message_ptr> records;
    while (true) {
        auto f = walker.next();
        if (!f) {
            return f.error();
        }
        if (!f->has_value()) {
            return std::optional<sdk::offset>{};
        }
        const auto& h = (*f)->header;
        if (h.end_offset() <= from || h.max_timestamp < ts) {
            continue;
        }
        if (h.kind == frame_kind::encoded) {
            // Its records' times are the protocol's business: the batch is found by its max.
            return std::optional<sdk::offset>(sdk::offset{ std::max(h.base_offset, from()) });
        }
        records.clear();
        if (auto st = decode(**f, records); !st.ok()) {
            return st;
        }
        std::int64_t o = h.base_offset;
        for (const auto& m : records) {
            if (o >= from() && m->timestamp() >= ts) {
                return std::optional<sdk::offset>(sdk::offset{ o });
            }
            ++o;
        }
    }
}

} // namespace plexus::storage::file
