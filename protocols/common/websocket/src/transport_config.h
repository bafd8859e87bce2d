// The listener keys that put a gateway behind a WebSocket, read the same way by every gateway
// that offers it (docs/config.md): `transport` (`tcp` or `websocket`) and `websocket_path`.
#pragma once

#include "config_section.h"

#include <string>

namespace plexus::protocol::websocket {

struct listener_transport
{
    bool websocket = false;
    std::string path = "/ws"; ///< the request path a WebSocket client must ask for
};

/// Takes `transport` and `websocket_path` out of `s`; errors name `owner` and the key.
sdk::status read_transport(storage::config_section& s, const std::string& owner, listener_transport& out) noexcept;

} // namespace plexus::protocol::websocket
