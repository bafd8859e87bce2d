#include "compression.h"

namespace plexus::protocol::kafka {

sdk::result<std::string> decompress(compression_codec codec, std::string_view data, std::size_t max_bytes) noexcept
{
    (void)data;
    (void)max_bytes;
    if (codec == compression_codec::none) {
        return sdk::status(sdk::errc::invalid_argument, "not compressed");
    }
    return sdk::status(sdk::errc::not_supported, "compressed record batches are not supported yet");
}

} // namespace plexus::protocol::kafka
