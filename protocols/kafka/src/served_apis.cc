#include "served_apis.h"

#include "generated/api_versions.h"
#include "generated/fetch.h"
#include "generated/list_offsets.h"
#include "generated/metadata.h"
#include "generated/produce.h"

#include <array>

namespace plexus::protocol::kafka {
namespace {

template<class Request>
constexpr served_api entry(std::string_view name)
{
    return { Request::kafka_api_key, name, Request::lowest_version, Request::highest_version, &Request::flexible };
}

constexpr std::array apis{
    entry<generated::produce_request>("Produce"),          entry<generated::fetch_request>("Fetch"),
    entry<generated::list_offsets_request>("ListOffsets"), entry<generated::metadata_request>("Metadata"),
    entry<generated::api_versions_request>("ApiVersions"),
};

} // namespace

std::span<const served_api> served_apis() noexcept
{
    return apis;
}

const served_api* find_served_api(std::int16_t key) noexcept
{
    for (const auto& a : apis) {
        if (a.key == key) {
            return &a;
        }
    }
    return nullptr;
}

} // namespace plexus::protocol::kafka
