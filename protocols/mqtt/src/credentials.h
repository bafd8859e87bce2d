// Who may connect. The kernel facade has no users yet, so the gateway knows one, as the AMQP
// gateway does: guest/guest, accepted only from a loopback address. A CONNECT without a user
// name is anonymous: accepted from loopback when the listener allows it (allow_anonymous,
// the default), refused otherwise. Everything else is refused with "bad user name or
// password" (3.1.1 return code 4).
#pragma once

#include "gateway_config.h"
#include "reason_code.h"
#include "plexus/sdk/protocol.h"

#include <optional>
#include <string>

namespace plexus::protocol::mqtt {

/// success, or the CONNACK reason to refuse with.
reason_code authenticate(const std::optional<std::string>& username,
                         const std::optional<std::string>& password,
                         const sdk::peer_info& peer,
                         const gateway_config& config);

} // namespace plexus::protocol::mqtt
