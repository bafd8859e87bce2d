// The mqtt protocol plugin: one listener per configured listener (holding what its sessions
// share across shards), one session per accepted connection; all listeners share the
// sessions and retained messages (gateway_shared.h). A `transport: websocket`
// listener puts each session behind the WebSocket transport (MQTT over WebSockets, §6 of
// both specs: binary messages, subprotocol `mqtt`).
#include "gateway_config.h"
#include "listener_shared.h"
#include "session.h"
#include "sys_topics.h"
#include "websocket_session.h"

#include "plexus/sdk/plugin.h"

#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

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
    listener(gateway_config config, std::shared_ptr<gateway_shared> gateway)
      : _shared(config, std::move(gateway))
      , _websocket(websocket_options(config))
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        try {
            _shared.gateway->attach(k, conn.exec()); // loads once
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

/// sdk::gateway_factory's contract, plus the state every listener of this broker shares.
class factory final : public sdk::protocol_factory
{
  public:
    sdk::status validate(std::string_view config_json) const noexcept override
    {
        return parse_gateway_config(config_json).error();
    }

    sdk::result<std::unique_ptr<sdk::protocol_listener>> create(const sdk::listener_context&,
                                                                std::string_view config_json) noexcept override
    {
        auto config = parse_gateway_config(config_json);
        if (!config) {
            return config.error();
        }
        try {
            auto gateway = shared(config->sys_interval);
            gateway->add_vhost(config->vhost);
            return std::unique_ptr<sdk::protocol_listener>(std::make_unique<listener>(std::move(*config), gateway));
        } catch (const std::exception& e) {
            return sdk::status(sdk::errc::resource_exhausted, std::string("cannot create the listener: ") + e.what());
        }
    }

    std::uint16_t default_port() const noexcept override { return 1883; }

  private:
    /// The live listeners' state, or a new one when none is left (a broker created again):
    /// listeners are created in the config's order, so the first one's $SYS interval counts.
    std::shared_ptr<gateway_shared> shared(std::chrono::seconds sys_interval)
    {
        std::lock_guard lock(_mutex);
        auto live = _gateway.lock();
        if (!live) {
            live = std::make_shared<gateway_shared>(sys_interval);
            _gateway = live;
        }
        return live;
    }

    std::mutex _mutex; // listeners are created on the control thread; the lock keeps that assumption out
    std::weak_ptr<gateway_shared> _gateway;
};

} // namespace
} // namespace plexus::protocol::mqtt

PLEXUS_DECLARE_PLUGIN(protocol, "mqtt", PLEXUS_MQTT_GATEWAY_VERSION, plexus::protocol::mqtt::factory)
