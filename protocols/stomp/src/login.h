// The check of CONNECT's login and passcode against the broker's users. A CONNECT without
// login is guest / guest, as RabbitMQ's STOMP default_user.
#pragma once

#include "plexus/sdk/protocol.h"

#include <optional>
#include <string>

namespace plexus::protocol::stomp {

inline constexpr std::string_view default_user = "guest";

/// Nothing when `login`/`passcode` (nullptr when absent) may connect from `peer`, else the
/// reason to refuse, for the ERROR frame.
std::optional<std::string> refuse_login(sdk::kernel& kernel,
                                        const std::string* login,
                                        const std::string* passcode,
                                        const sdk::peer_info& peer);

} // namespace plexus::protocol::stomp
