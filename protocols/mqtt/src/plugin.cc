// The mqtt protocol plugin: one listener per configured listener (holding what its sessions
// share across shards), one session per accepted connection. A `transport: websocket`
// listener puts each session behind the WebSocket transport (MQTT over WebSockets, §6 of
// both specs: binary messages, subprotocol `mqtt`).
#include "gateway_config.h"
#include "listener_shared.h"
#include "session.h"
#include "websocket_session.h"

#include "plexus/sdk/gateway_factory.h"
#include "plexus/sdk/plugin.h"

namespace plexus::protocol::mqtt {
namespace {

/// The WebSocket side of an MQTT listener: `mqtt` (3.1.1 and 5.0), and `mqttv3.1`, which
/// older clients offer.
websocket::session_options websocket_options(const gateway_config& c)
{
    websocket::session_options o;
    o.upgrade.path = c.transport.path;
    o.upgrade.subprotocols = { "mqtt", "mqttv3.1" };
    o.data_opcode = websocket::opcode::binary;
    o.max_message_bytes = c.max_packet_size;
    o.handshake_timeout = c.connect_timeout;
    return o;
}

class listener final : public sdk::protocol_listener
{
  public:
    explicit listener(gateway_config config)
      : _shared(config)
      , _websocket(websocket_options(config))
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        try {
            _shared.retained.attach(k.plugin_store("mqtt"), k.log("protocol.mqtt")); // loads once
        } catch (const std::exception&) {
            return nullptr; // out of memory loading them: the kernel closes the connection
        }
        if (!_shared.config.transport.websocket) {
            return mqtt_session(conn, k);
        }
        return websocket::new_websocket_session(
          conn, _websocket, k.log("protocol.mqtt"), [this, &k](sdk::connection& framed) {
              return mqtt_session(framed, k);
          });
    }

  private:
    std::unique_ptr<sdk::protocol_session> mqtt_session(sdk::connection& conn, sdk::kernel& k) noexcept
    {
        try {
            return std::make_unique<session>(conn, k, _shared, k.log("protocol.mqtt"));
        } catch (const std::exception&) {
            return nullptr; // the kernel (or the WebSocket transport) closes the connection
        }
    }

    listener_shared _shared; // sessions keep a reference; the listener outlives them
    const websocket::session_options _websocket;
};

using factory = sdk::gateway_factory<listener, &parse_gateway_config, 1883>;

} // namespace
} // namespace plexus::protocol::mqtt

PLEXUS_DECLARE_PLUGIN(protocol, "mqtt", "0.1.0", plexus::protocol::mqtt::factory)
