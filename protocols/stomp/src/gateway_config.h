// A listener's `config` section for protocol stomp (docs/protocols/stomp.md lists the keys):
// the frame size limits, the shortest heart-beat interval the gateway agrees to and how long
// a client may take to send CONNECT (or, on a WebSocket listener, to finish the upgrade), and
// the transport.
#pragma once

#include "frame_parser.h"
#include "transport_config.h"
#include "plexus/sdk/result.h"

#include <chrono>
#include <cstdint>
#include <string_view>

namespace plexus::protocol::stomp {

struct gateway_config
{
    parse_limits limits;
    /// A client asking for beats more often than this gets this interval (both directions).
    std::uint32_t min_heartbeat_ms = 100;
    std::chrono::milliseconds handshake_timeout{ 10000 };
    websocket::listener_transport transport; ///< `transport`, `websocket_path`
    /// `websocket_frames: binary`: frames go out in binary messages. Text is what stomp.js
    /// expects, but a browser fails the connection on a text message that is not UTF-8, so
    /// a listener carrying binary bodies to browsers needs binary.
    bool websocket_binary_frames = false;
};

/// Parses and checks the section; errors name the key.
sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept;

} // namespace plexus::protocol::stomp
