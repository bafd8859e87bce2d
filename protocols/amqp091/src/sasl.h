// SASL as AMQP 0-9-1 clients use it in connection.start-ok: PLAIN (RFC 4616,
// "[authzid] NUL user NUL password") and RabbitMQ's AMQPLAIN (a field table without its length
// prefix, holding LOGIN and PASSWORD), and the check of the credentials against the broker's
// users. An unknown user and a wrong password get the same access-refused (403) as in
// RabbitMQ; the reason is logged, not told.
#pragma once

#include "amqp_error.h"
#include "plexus/sdk/protocol.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::amqp091 {

struct credentials
{
    std::string user;
    std::string password;
};

inline constexpr std::string_view supported_mechanisms = "PLAIN AMQPLAIN";

/// The user and password in a start-ok response, or the error to close with (503 for an
/// unknown mechanism, 403 for a response that does not parse).
std::variant<credentials, amqp_error> parse_response(std::string_view mechanism, std::string_view response);

/// Whether `c` may connect from `peer`: nothing, or the 403 to close with (and, in `why`, the
/// reason for the log).
std::optional<amqp_error> authenticate(sdk::kernel& kernel,
                                       const credentials& c,
                                       std::string_view mechanism,
                                       const sdk::peer_info& peer,
                                       std::string& why);

} // namespace plexus::protocol::amqp091
