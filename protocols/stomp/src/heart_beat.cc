#include "heart_beat.h"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace plexus::protocol::stomp {
namespace {

std::optional<std::uint32_t> interval(std::string_view s)
{
    while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
    }
    while (!s.empty() && s.back() == ' ') {
        s.remove_suffix(1);
    }
    std::uint32_t n = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return n;
}

} // namespace

std::optional<heart_beat> negotiate_heart_beat(const std::string* header, std::uint32_t floor_ms)
{
    if (header == nullptr) {
        return heart_beat{};
    }
    const auto comma = header->find(',');
    if (comma == std::string::npos) {
        return std::nullopt;
    }
    const auto cx = interval(std::string_view(*header).substr(0, comma));
    const auto cy = interval(std::string_view(*header).substr(comma + 1));
    if (!cx || !cy) {
        return std::nullopt;
    }
    heart_beat hb;
    hb.send_ms = *cy == 0 ? 0 : std::max(*cy, floor_ms);
    hb.receive_ms = *cx == 0 ? 0 : std::max(*cx, floor_ms);
    return hb;
}

} // namespace plexus::protocol::stomp
