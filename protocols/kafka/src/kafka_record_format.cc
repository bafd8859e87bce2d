#include "kafka_record_format.h"

#include "record_batch_v2.h"

#include <chrono>

namespace plexus::protocol::kafka {
namespace {

/// Stored batches come back as one slice of the engine's read buffer, or several when a read
/// joined stored batches: only then is a flat copy (into `flat`) needed.
std::string_view flat_view(const sdk::buffer_chain& bytes, std::string& flat)
{
    if (bytes.fragment_count() == 1) {
        std::string_view view;
        bytes.for_each_fragment([&](const sdk::bytes& b) { view = b.as_string_view(); });
        return view;
    }
    flat = bytes.to_string();
    return flat;
}

sdk::timestamp_ms wall_clock()
{
    return sdk::timestamp_ms(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
}

} // namespace

std::string_view kafka_record_format::name() const noexcept
{
    return kafka_v2_format_name;
}

sdk::result<std::vector<sdk::message_ptr>> kafka_record_format::decode(const sdk::buffer_chain& bytes,
                                                                       std::string_view routing_key) const noexcept
try {
    std::string flat;
    auto decoded = decode_record_batches(flat_view(bytes, flat), wall_clock(), routing_key);
    if (decoded.error != error_code::none) {
        return sdk::status(sdk::errc::corruption, decoded.detail);
    }
    return std::move(decoded.records);
} catch (const std::exception& e) {
    return sdk::status(sdk::errc::resource_exhausted, std::string("decoding Kafka records: ") + e.what());
}

sdk::result<std::vector<sdk::record_format::record_key>> kafka_record_format::keys(
  const sdk::buffer_chain& bytes) const noexcept
try {
    std::string flat;
    auto read = keys_of_record_batches(flat_view(bytes, flat), wall_clock());
    if (read.error != error_code::none) {
        return sdk::status(sdk::errc::corruption, read.detail);
    }
    return std::move(read.keys);
} catch (const std::exception& e) {
    return sdk::status(sdk::errc::resource_exhausted, std::string("reading Kafka record keys: ") + e.what());
}

sdk::result<std::vector<sdk::record_batch>> kafka_record_format::retain(const sdk::buffer_chain& bytes,
                                                                        sdk::offset base,
                                                                        const std::vector<bool>& keep) const noexcept
try {
    std::string flat;
    auto kept = retain_records(flat_view(bytes, flat), base(), keep, wall_clock());
    if (kept.error != error_code::none) {
        return sdk::status(sdk::errc::corruption, kept.detail);
    }
    std::vector<sdk::record_batch> out;
    for (auto& made : kept.batches) {
        sdk::record_batch b;
        b.base_offset = sdk::offset{ made.first_offset };
        sdk::encoded_records e;
        e.format = std::string(kafka_v2_format_name);
        e.count = made.count;
        e.max_timestamp = made.max_timestamp;
        e.offset_slots.push_back({ 0, 0 }); // its baseOffset
        e.bytes = sdk::buffer_chain::copy_of(made.bytes);
        b.encoded = std::move(e);
        out.push_back(std::move(b));
    }
    return out;
} catch (const std::exception& e) {
    return sdk::status(sdk::errc::resource_exhausted, std::string("rewriting Kafka records: ") + e.what());
}

std::vector<const sdk::record_format*> kafka_record_formats() noexcept
{
    static const kafka_record_format format; // stateless: nothing in it changes
    return { &format };
}

} // namespace plexus::protocol::kafka
