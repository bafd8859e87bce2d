#include "sasl_plain.h"

namespace plexus::protocol::kafka {

std::variant<plain_credentials, std::string> parse_sasl_plain(std::string_view token)
{
    auto first = token.find('\0');
    auto second = first == std::string_view::npos ? first : token.find('\0', first + 1);
    if (second == std::string_view::npos || token.find('\0', second + 1) != std::string_view::npos) {
        return std::string("a SASL/PLAIN message is three fields separated by NUL");
    }
    std::string_view authzid = token.substr(0, first);
    std::string_view user = token.substr(first + 1, second - first - 1);
    std::string_view password = token.substr(second + 1);
    if (user.empty()) {
        return std::string("the SASL/PLAIN message names no user");
    }
    if (password.empty()) {
        return std::string("the SASL/PLAIN message has no password");
    }
    if (!authzid.empty() && authzid != user) {
        return std::string("the SASL/PLAIN authorization id must be empty or the user name");
    }
    return plain_credentials{ std::string(user), std::string(password) };
}

} // namespace plexus::protocol::kafka
