#include "kernel/src/server/queue_lane_names.h"

#include "kernel/src/server/definition_codec.h"

#include <fmt/format.h>

namespace plexus::kernel {

std::vector<std::string> queue_log_names(std::string_view vhost, std::string_view name, std::uint8_t max_priority)
{
    std::vector<std::string> names;
    names.reserve(std::size_t(max_priority) + 1);
    names.push_back(fmt::format("q/{}/{}", vhost, name));
    for (unsigned lane = 1; lane <= max_priority; ++lane) {
        names.push_back(fmt::format("qp/{}/{}/{}", lane, vhost, name));
    }
    return names;
}

std::vector<std::string> queue_cursor_keys(std::string_view vhost, std::string_view name, std::uint8_t max_priority)
{
    std::vector<std::string> keys;
    keys.reserve(std::size_t(max_priority) + 1);
    for (unsigned lane = 0; lane <= max_priority; ++lane) {
        keys.push_back(definition_keys::queue_cursor(vhost, name, static_cast<std::uint8_t>(lane)));
    }
    return keys;
}

bool is_queue_log_name(std::string_view log_name) noexcept
{
    return log_name.starts_with("q/") || log_name.starts_with("qp/");
}

} // namespace plexus::kernel
