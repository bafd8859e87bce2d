#include "kernel/src/stream/partition_log_name.h"

#include <fmt/format.h>

#include <charconv>

namespace plexus::kernel {

std::string partition_log_name(std::string_view vhost,
                               std::string_view stream,
                               std::int32_t partition,
                               std::uint64_t generation)
{
    if (generation == 0) {
        return fmt::format("s/{}/{}/{}", vhost, stream, partition);
    }
    return fmt::format("s/{}/{}/{}~{}", vhost, stream, partition, generation);
}

std::string partition_generation_key(std::string_view vhost, std::string_view stream, std::int32_t partition)
{
    // As unambiguous as the log names themselves, which the engine already keeps apart.
    return "gen/" + partition_log_name(vhost, stream, partition);
}

std::string encode_generation(std::uint64_t generation)
{
    return std::to_string(generation);
}

sdk::result<std::uint64_t> stored_generation(sdk::kv_store& meta,
                                             std::string_view vhost,
                                             std::string_view stream,
                                             std::int32_t partition)
{
    const auto key = partition_generation_key(vhost, stream, partition);
    auto value = meta.get(key);
    if (!value) {
        return value.error();
    }
    if (!*value) {
        return std::uint64_t{ 0 };
    }
    std::uint64_t generation = 0;
    const auto& text = **value;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), generation);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return sdk::status(sdk::errc::corruption, "metadata key '" + key + "' holds no generation: '" + text + "'");
    }
    return generation;
}

} // namespace plexus::kernel
