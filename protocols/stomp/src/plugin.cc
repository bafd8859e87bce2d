// The stomp protocol plugin: one listener per configured listener, one session per accepted
// connection. A `transport: websocket` listener puts each session behind the WebSocket
// transport (STOMP over WebSockets, as browsers speak it through stomp.js).
#include "gateway_config.h"
#include "session.h"
#include "websocket_session.h"

#include "plexus/sdk/gateway_factory.h"
#include "plexus/sdk/plugin.h"

namespace plexus::protocol::stomp {
namespace {

/// The WebSocket side of a STOMP listener. Subprotocols as RabbitMQ's Web-STOMP and
/// stomp.js name them, newest first; text messages unless configured otherwise (as
/// RabbitMQ's `ws_frame`).
websocket::session_options websocket_options(const gateway_config& c)
{
    websocket::session_options o;
    o.upgrade.path = c.transport.path;
    o.upgrade.subprotocols = { "v12.stomp", "v11.stomp", "v10.stomp", "stomp" };
    o.data_opcode = c.websocket_binary_frames ? websocket::opcode::binary : websocket::opcode::text;
    // One frame at its largest (headers, body, NUL and the EOLs around them) plus slack for
    // heart-beat EOLs sent in the same message.
    o.max_message_bytes = c.limits.max_header_bytes + c.limits.max_body_bytes + 1024;
    o.handshake_timeout = c.handshake_timeout;
    return o;
}

class listener final : public sdk::protocol_listener
{
  public:
    explicit listener(gateway_config config)
      : _config(std::move(config))
      , _websocket(websocket_options(_config))
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        if (!_config.transport.websocket) {
            return stomp_session(conn, k);
        }
        return websocket::new_websocket_session(
          conn, _websocket, k.log("protocol.stomp"), [this, &k](sdk::connection& framed) {
              return stomp_session(framed, k);
          });
    }

  private:
    std::unique_ptr<sdk::protocol_session> stomp_session(sdk::connection& conn, sdk::kernel& k) noexcept
    {
        try {
            return std::make_unique<session>(conn, k, _config, k.log("protocol.stomp"));
        } catch (const std::exception&) {
            return nullptr; // the kernel (or the WebSocket transport) closes the connection
        }
    }

    const gateway_config _config; // sessions keep a reference; the listener outlives them
    const websocket::session_options _websocket;
};

using factory = sdk::gateway_factory<listener, &parse_gateway_config, 61613>;

} // namespace
} // namespace plexus::protocol::stomp

PLEXUS_DECLARE_PLUGIN(protocol, "stomp", "0.1.0", plexus::protocol::stomp::factory)
