// Who may connect: a user name and password are checked against the broker's users (an
// unknown user or wrong password is "bad user name or password", 3.1.1 return code 4; a user
// allowed only from loopback connecting from elsewhere is "not authorized", 5). A CONNECT
// without a user name is anonymous: accepted from loopback when the listener allows it
// (allow_anonymous, the default), refused otherwise.
#pragma once

#include "gateway_config.h"
#include "reason_code.h"
#include "plexus/sdk/protocol.h"

#include <optional>
#include <string>

namespace plexus::protocol::mqtt {

/// success, or the CONNACK reason to refuse with.
reason_code authenticate(sdk::kernel& kernel,
                         const std::optional<std::string>& username,
                         const std::optional<std::string>& password,
                         const sdk::peer_info& peer,
                         const gateway_config& config);

} // namespace plexus::protocol::mqtt
