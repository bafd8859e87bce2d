#include "topic.h"

namespace plexus::protocol::mqtt {
namespace {

constexpr std::string_view share_prefix = "$share/";

/// Calls f(level) for each '/'-separated level; stops when f returns false.
template<class F>
bool each_level(std::string_view s, F&& f)
{
    std::size_t start = 0;
    while (true) {
        const auto end = s.find('/', start);
        const auto level = s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
        if (!f(level, end == std::string_view::npos)) {
            return false;
        }
        if (end == std::string_view::npos) {
            return true;
        }
        start = end + 1;
    }
}

std::string swap_separators(std::string_view in)
{
    std::string out(in);
    for (auto& c : out) {
        if (c == '/') {
            c = '.';
        } else if (c == '.') {
            c = '/';
        }
    }
    return out;
}

} // namespace

bool valid_topic_name(std::string_view topic) noexcept
{
    return !topic.empty() && topic.find_first_of("+#") == std::string_view::npos;
}

bool valid_topic_filter(std::string_view filter) noexcept
{
    if (filter.empty()) {
        return false;
    }
    return each_level(filter, [](std::string_view level, bool last) {
        if (level.find('#') != std::string_view::npos) {
            return level == "#" && last;
        }
        return level.find('+') == std::string_view::npos || level == "+";
    });
}

bool has_wildcards(std::string_view filter) noexcept
{
    return filter.find_first_of("+#") != std::string_view::npos;
}

bool topic_matches(std::string_view filter, std::string_view topic) noexcept
{
    if (!topic.empty() && topic.front() == '$' && !filter.empty() && (filter.front() == '+' || filter.front() == '#')) {
        return false;
    }
    std::size_t f = 0;
    std::size_t t = 0;
    while (true) {
        const auto fe = filter.find('/', f);
        const auto flevel = filter.substr(f, fe == std::string_view::npos ? std::string_view::npos : fe - f);
        if (flevel == "#") {
            return true; // this level and every level below, including none ("a/#" matches "a")
        }
        if (t == std::string_view::npos) {
            return false; // the topic ran out while the filter has more
        }
        const auto te = topic.find('/', t);
        const auto tlevel = topic.substr(t, te == std::string_view::npos ? std::string_view::npos : te - t);
        if (flevel != "+" && flevel != tlevel) {
            return false;
        }
        if (fe == std::string_view::npos) {
            return te == std::string_view::npos;
        }
        f = fe + 1;
        t = te == std::string_view::npos ? std::string_view::npos : te + 1;
        if (t == std::string_view::npos) {
            // The topic ended: only a trailing "#" may still match ("a/#" against "a").
            return filter.substr(f) == "#";
        }
    }
}

std::optional<shared_filter> parse_shared(std::string_view filter, bool& valid)
{
    valid = true;
    if (filter.substr(0, share_prefix.size()) != share_prefix) {
        return std::nullopt;
    }
    const auto rest = filter.substr(share_prefix.size());
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash == 0) {
        valid = false;
        return std::nullopt;
    }
    shared_filter s{ std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)) };
    if (s.group.find_first_of("+#") != std::string::npos || !valid_topic_filter(s.filter)) {
        valid = false;
        return std::nullopt;
    }
    return s;
}

std::string to_routing_key(std::string_view topic)
{
    return swap_separators(topic);
}

std::string to_topic(std::string_view routing_key)
{
    return swap_separators(routing_key);
}

std::string to_binding_key(std::string_view filter)
{
    std::string out = swap_separators(filter);
    std::string result;
    result.reserve(out.size());
    // '+' is only ever a whole level (validated), so a character swap is enough.
    for (char c : out) {
        result.push_back(c == '+' ? '*' : c);
    }
    return result;
}

} // namespace plexus::protocol::mqtt
