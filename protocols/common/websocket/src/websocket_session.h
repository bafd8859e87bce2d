// A gateway's session behind a WebSocket: the protocol_session the kernel sees on a
// `transport: websocket` listener. It answers the HTTP upgrade, then creates the gateway's own
// session on a framed_connection and feeds it the unmasked payload of the client's data
// frames, exactly as it would be fed TCP bytes. Control frames are answered here: ping with
// pong, close with close (then the connection ends); a framing error closes with 1002, an
// oversized message with 1009.
//
// Lifecycle: created for an accepted socket → handshake (request bounded in size and time)
// → open (the inner session exists; WebSocket frames flow) → closed (a close frame either
// way, an error, the peer gone) → on_close() → destroyed, the inner session first.
//
// Threading: everything on the connection's shard. The inner session may close the
// framed_connection from a posted task; that destroys this object inside the call, the same
// contract the kernel gives the inner session directly.
#pragma once

#include "frame_decoder.h"
#include "framed_connection.h"
#include "upgrade.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/protocol.h"

#include <chrono>
#include <functional>
#include <memory>

namespace plexus::protocol::websocket {

struct session_options
{
    upgrade_policy upgrade;
    /// The opcode of outbound messages: text for STOMP (what stomp.js reads), binary for MQTT.
    opcode data_opcode = opcode::binary;
    /// A larger message is refused with close 1009; so is an inner partial frame this large.
    std::uint64_t max_message_bytes = 16u << 20;
    std::size_t max_request_bytes = 8192;
    std::chrono::milliseconds handshake_timeout{ 10000 };
};

/// Makes the gateway's session once the upgrade succeeded; nullptr when it cannot (the
/// connection is then closed with 1011). Must not throw.
using inner_session_maker = std::function<std::unique_ptr<sdk::protocol_session>(sdk::connection&)>;

/// A websocket_session for `conn`, or nullptr when it cannot be made (the kernel then closes
/// the connection): what a listener's new_session returns on a WebSocket listener.
std::unique_ptr<sdk::protocol_session> new_websocket_session(sdk::connection& conn,
                                                             const session_options& options,
                                                             sdk::logger& log,
                                                             inner_session_maker make_inner) noexcept;

class websocket_session final : public sdk::protocol_session
{
  public:
    /// `log` (the gateway's, on this shard) hears of refused upgrades and framing errors, at
    /// debug level: they are the client's doing, and a port scanner makes many.
    websocket_session(sdk::connection& conn,
                      const session_options& options,
                      sdk::logger& log,
                      inner_session_maker make_inner);
    ~websocket_session() override;
    websocket_session(const websocket_session&) = delete;
    websocket_session& operator=(const websocket_session&) = delete;

    sdk::status on_data(sdk::buffer_chain& in) noexcept override;
    void on_writable() noexcept override;
    void on_close(const sdk::status& why) noexcept override;

  private:
    sdk::status handshake(sdk::buffer_chain& in);
    sdk::status frames(sdk::buffer_chain& in);
    /// Passes what the inner session has not consumed yet (plus new payload) to it.
    sdk::status feed_inner();
    /// Sends a close frame and returns the status that makes the kernel close after it.
    sdk::status fail(std::uint16_t code, std::string reason);

    sdk::connection& _conn;
    const session_options& _options;
    sdk::logger& _log;
    inner_session_maker _make_inner;
    std::shared_ptr<bool> _alive;
    std::unique_ptr<sdk::timer> _handshake_timer;
    frame_decoder _decoder;
    std::vector<decoded> _decoded;
    // Declared before _inner, which holds a reference to it: destroyed after it.
    framed_connection _framed;
    std::unique_ptr<sdk::protocol_session> _inner;
    sdk::buffer_chain _inner_in; ///< unmasked bytes the inner session has not consumed
};

} // namespace plexus::protocol::websocket
