// The APIs the gateway serves and, for each, the versions its handler serves: exactly what
// ApiVersions advertises (the generated codecs' ranges, which tools/kafka-codegen sets).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace plexus::protocol::kafka {

struct served_api
{
    std::int16_t key;
    std::string_view name;
    std::int16_t lowest;
    std::int16_t highest;
    bool (*flexible)(std::int16_t version) noexcept; ///< its request header is v2 (else v1)
};

std::span<const served_api> served_apis() noexcept;
/// nullptr for an API the gateway does not serve.
const served_api* find_served_api(std::int16_t key) noexcept;

} // namespace plexus::protocol::kafka
