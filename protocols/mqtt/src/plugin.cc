// The mqtt protocol plugin: one listener per configured listener (holding what its sessions
// share across shards), one session per accepted connection.
#include "gateway_config.h"
#include "listener_shared.h"
#include "session.h"

#include "plexus/sdk/gateway_factory.h"
#include "plexus/sdk/plugin.h"

namespace plexus::protocol::mqtt {
namespace {

class listener final : public sdk::protocol_listener
{
  public:
    explicit listener(gateway_config config)
      : _shared(config)
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        try {
            return std::make_unique<session>(conn, k, _shared, k.log("protocol.mqtt"));
        } catch (const std::exception&) {
            return nullptr; // the kernel closes the connection
        }
    }

  private:
    listener_shared _shared; // sessions keep a reference; the listener outlives them
};

using factory = sdk::gateway_factory<listener, &parse_gateway_config, 1883>;

} // namespace
} // namespace plexus::protocol::mqtt

PLEXUS_DECLARE_PLUGIN(protocol, "mqtt", "0.1.0", plexus::protocol::mqtt::factory)
