#include "encoded_batch.h"

#include <algorithm>
#include <cstdint>
#include <span>

namespace plexus::storage {

sdk::status check_encoded(const sdk::encoded_records& e) noexcept
{
    if (e.count == 0) {
        return sdk::status(sdk::errc::invalid_argument, "an encoded record batch holds no records");
    }
    if (e.format.empty() || e.format.size() > 255) {
        return sdk::status(sdk::errc::invalid_argument,
                           "an encoded record batch needs a format name of 1 to 255 bytes");
    }
    for (const auto& slot : e.offset_slots) {
        if (static_cast<std::size_t>(slot.at) + 8 > e.bytes.size() || slot.first_record >= e.count) {
            return sdk::status(sdk::errc::invalid_argument,
                               "an offset slot of a '" + e.format + "' batch lies outside its bytes or records");
        }
    }
    return {};
}

void append_rebased(const sdk::encoded_records& e, sdk::offset base, std::string& out)
{
    const std::size_t begin = out.size();
    out.resize(begin + e.bytes.size());
    e.bytes.copy_out(0, std::as_writable_bytes(std::span<char>(out.data() + begin, e.bytes.size())));
    for (const auto& slot : e.offset_slots) {
        auto value = static_cast<std::uint64_t>(base() + slot.first_record);
        for (int i = 7; i >= 0; --i) { // big-endian, as the protocols that have slots write them
            out[begin + slot.at + static_cast<std::size_t>(i)] = static_cast<char>(value & 0xff);
            value >>= 8;
        }
    }
}

sdk::buffer_chain rebased(const sdk::encoded_records& e, sdk::offset base)
{
    std::string flat;
    append_rebased(e, base, flat);
    return sdk::buffer_chain::copy_of(flat);
}

bool join_encoded(sdk::encoded_records& into, const sdk::encoded_records& next)
{
    if (into.format != next.format) {
        return false;
    }
    into.bytes.append(next.bytes);
    into.count += next.count;
    into.max_timestamp = std::max(into.max_timestamp, next.max_timestamp);
    into.offset_slots.clear(); // read back, the slots hold their offsets already
    return true;
}

} // namespace plexus::storage
