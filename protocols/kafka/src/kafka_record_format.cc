#include "kafka_record_format.h"

#include "record_batch_v2.h"

#include <chrono>

namespace plexus::protocol::kafka {

std::string_view kafka_record_format::name() const noexcept
{
    return kafka_v2_format_name;
}

sdk::result<std::vector<sdk::message_ptr>> kafka_record_format::decode(const sdk::buffer_chain& bytes,
                                                                       std::string_view routing_key) const noexcept
try {
    // Stored batches come back as one slice of the engine's read buffer, or several when a
    // read joined stored batches: only then is a flat copy needed.
    std::string flat;
    std::string_view view;
    if (bytes.fragment_count() == 1) {
        bytes.for_each_fragment([&](const sdk::bytes& b) { view = b.as_string_view(); });
    } else {
        flat = bytes.to_string();
        view = flat;
    }
    const sdk::timestamp_ms now(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count());
    auto decoded = decode_record_batches(view, now, routing_key);
    if (decoded.error != error_code::none) {
        return sdk::status(sdk::errc::corruption, decoded.detail);
    }
    return std::move(decoded.records);
} catch (const std::exception& e) {
    return sdk::status(sdk::errc::resource_exhausted, std::string("decoding Kafka records: ") + e.what());
}

std::vector<const sdk::record_format*> kafka_record_formats() noexcept
{
    static const kafka_record_format format; // stateless: nothing in it changes
    return { &format };
}

} // namespace plexus::protocol::kafka
