// SASL as AMQP 0-9-1 clients use it in connection.start-ok: PLAIN (RFC 4616,
// "[authzid] NUL user NUL password") and RabbitMQ's AMQPLAIN (a field table without its length
// prefix, holding LOGIN and PASSWORD), and the check of the credentials.
//
// The kernel facade has no users yet, so the gateway knows one: guest/guest, accepted only
// from a loopback address, as RabbitMQ's default. Any other user is refused with
// access-refused (403), the way a wrong password is.
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

/// Whether `c` may connect from `peer`: nothing, or the 403 to close with.
std::optional<amqp_error> authenticate(const credentials& c, std::string_view mechanism, const sdk::peer_info& peer);

} // namespace plexus::protocol::amqp091
