#include "header_escaping.h"

namespace plexus::protocol::stomp {

std::optional<std::string> unescape(std::string_view raw, version v)
{
    if (v == version::v1_0 || raw.find('\\') == std::string_view::npos) {
        return std::string(raw);
    }
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            out.push_back(raw[i]);
            continue;
        }
        if (++i == raw.size()) {
            return std::nullopt; // a lone backslash at the end
        }
        switch (raw[i]) {
            case 'n':
                out.push_back('\n');
                break;
            case 'c':
                out.push_back(':');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case 'r':
                if (v != version::v1_2) {
                    return std::nullopt;
                }
                out.push_back('\r');
                break;
            default:
                return std::nullopt;
        }
    }
    return out;
}

std::string escape(std::string_view text, version v)
{
    if (v == version::v1_0) {
        return std::string(text);
    }
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case ':':
                out += "\\c";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\r':
                if (v == version::v1_2) {
                    out += "\\r";
                } else {
                    out.push_back(c); // 1.1 has no escape for CR
                }
                break;
            default:
                out.push_back(c);
        }
    }
    return out;
}

} // namespace plexus::protocol::stomp
