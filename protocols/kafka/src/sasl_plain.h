// SASL PLAIN (RFC 4616): the one token a client sends, "[authzid] NUL authcid NUL passwd".
#pragma once

#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::kafka {

struct plain_credentials
{
    std::string user;
    std::string password;
};

/// The credentials in `token`, or why it is not a PLAIN message (for the client: it names no
/// secret). An authorization id must be empty or the user itself: a broker user cannot act as
/// another one.
std::variant<plain_credentials, std::string> parse_sasl_plain(std::string_view token);

} // namespace plexus::protocol::kafka
