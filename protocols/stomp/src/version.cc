#include "version.h"

#include <string>

namespace plexus::protocol::stomp {

std::string_view to_string(version v) noexcept
{
    switch (v) {
        case version::v1_0:
            return "1.0";
        case version::v1_1:
            return "1.1";
        case version::v1_2:
            return "1.2";
    }
    return "1.0";
}

std::optional<version> negotiate(const std::string* accept_version) noexcept
{
    if (accept_version == nullptr) {
        return version::v1_0;
    }
    std::optional<version> best;
    std::string_view rest = *accept_version;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        std::optional<version> v;
        if (item == "1.0") {
            v = version::v1_0;
        } else if (item == "1.1") {
            v = version::v1_1;
        } else if (item == "1.2") {
            v = version::v1_2;
        }
        if (v && (!best || *v > *best)) {
            best = v;
        }
    }
    return best;
}

} // namespace plexus::protocol::stomp
