#include "batch_frame.h"

#include "crc32c.h"
#include "encoded_batch.h"

#include <cstring>

namespace plexus::storage::file {

namespace {

constexpr std::uint8_t frame_format_v1 = 1;

template<class T>
void store(std::string& buf, std::size_t at, T v) noexcept
{
    std::memcpy(buf.data() + at, &v, sizeof v); // x86-64 and aarch64 Linux are little-endian
}

template<class T>
T load(std::span<const std::byte> bytes, std::size_t at) noexcept
{
    T v;
    std::memcpy(&v, bytes.data() + at, sizeof v);
    return v;
}

} // namespace

std::size_t begin_frame(std::string& buf)
{
    const std::size_t start = buf.size();
    buf.resize(start + frame_header_size);
    return start;
}

void finish_frame(std::string& buf,
                  std::size_t frame_start,
                  frame_kind kind,
                  std::int64_t base_offset,
                  std::int64_t max_timestamp,
                  std::uint32_t count)
{
    const auto length = static_cast<std::uint32_t>(buf.size() - frame_start);
    store(buf, frame_start + 4, length);
    store(buf, frame_start + 8, base_offset);
    store(buf, frame_start + 16, max_timestamp);
    store(buf, frame_start + 24, count);
    store(buf, frame_start + 28, static_cast<std::uint8_t>(kind));
    store(buf, frame_start + 29, frame_format_v1);
    store(buf, frame_start + 30, std::uint16_t{ 0 });
    const auto covered = std::as_bytes(std::span<const char>(buf.data() + frame_start + 4, length - 4));
    store(buf, frame_start, crc32c(covered));
}

std::optional<frame_header> parse_frame_header(std::span<const std::byte> bytes) noexcept
{
    if (bytes.size() < frame_header_size) {
        return std::nullopt;
    }
    frame_header h;
    h.crc = load<std::uint32_t>(bytes, 0);
    h.length = load<std::uint32_t>(bytes, 4);
    h.base_offset = load<std::int64_t>(bytes, 8);
    h.max_timestamp = load<std::int64_t>(bytes, 16);
    h.count = load<std::uint32_t>(bytes, 24);
    const auto kind = load<std::uint8_t>(bytes, 28);
    const auto version = load<std::uint8_t>(bytes, 29);
    const auto reserved = load<std::uint16_t>(bytes, 30);
    if (version != frame_format_v1 || reserved != 0 || h.length < frame_header_size || h.length > max_frame_bytes ||
        h.base_offset < 0) {
        return std::nullopt;
    }
    if (kind == static_cast<std::uint8_t>(frame_kind::records)) {
        h.kind = frame_kind::records;
        if (h.count == 0) {
            return std::nullopt;
        }
    } else if (kind == static_cast<std::uint8_t>(frame_kind::encoded)) {
        h.kind = frame_kind::encoded;
        if (h.count == 0 || h.length < frame_header_size + 2) {
            return std::nullopt;
        }
    } else if (kind == static_cast<std::uint8_t>(frame_kind::start_marker)) {
        h.kind = frame_kind::start_marker;
        if (h.count != 0 || h.length != frame_header_size) {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    return h;
}

void append_encoded_payload(std::string& buf, const sdk::encoded_records& e, sdk::offset base)
{
    buf.push_back(static_cast<char>(e.format.size())); // check_encoded(): 1..255 bytes
    buf += e.format;
    append_rebased(e, base, buf);
}

std::optional<sdk::encoded_records> parse_encoded_frame(const frame_header& header, const sdk::bytes& frame)
{
    const std::size_t name_at = frame_header_size + 1;
    if (frame.size() < name_at) {
        return std::nullopt;
    }
    const auto name_length = static_cast<std::size_t>(frame.data()[frame_header_size]);
    if (name_length == 0 || frame.size() < name_at + name_length) {
        return std::nullopt;
    }
    sdk::encoded_records e;
    e.format = std::string(frame.as_string_view().substr(name_at, name_length));
    e.bytes = sdk::buffer_chain(frame.share(name_at + name_length, frame.size() - name_at - name_length));
    e.count = header.count;
    e.max_timestamp = sdk::timestamp_ms(header.max_timestamp);
    return e;
}

bool frame_crc_ok(const frame_header& header, std::span<const std::byte> frame) noexcept
{
    if (frame.size() != header.length) {
        return false;
    }
    return crc32c(frame.subspan(4)) == header.crc;
}

} // namespace plexus::storage::file
