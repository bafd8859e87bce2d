// The check of CONNECT's login and passcode. The kernel facade has no users yet, so the
// gateway knows one: guest/guest, accepted only from a loopback address (RabbitMQ's default,
// and the rule protocols/amqp091/src/sasl.cc applies; a candidate for one shared place once
// the SDK has users). A CONNECT without login is guest, as RabbitMQ's STOMP default_user.
#pragma once

#include "plexus/sdk/protocol.h"

#include <optional>
#include <string>

namespace plexus::protocol::stomp {

inline constexpr std::string_view default_user = "guest";

/// Nothing when `login`/`passcode` (nullptr when absent) may connect from `peer`, else the
/// reason to refuse, for the ERROR frame.
std::optional<std::string> refuse_login(const std::string* login,
                                        const std::string* passcode,
                                        const sdk::peer_info& peer);

} // namespace plexus::protocol::stomp
