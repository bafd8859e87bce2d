// The amqp091 protocol plugin: one listener per configured listener, one session per
// accepted connection.
#include "gateway_config.h"
#include "session.h"

#include "plexus/sdk/gateway_factory.h"
#include "plexus/sdk/plugin.h"

namespace plexus::protocol::amqp091 {
namespace {

class listener final : public sdk::protocol_listener
{
  public:
    explicit listener(gateway_config config)
      : _config(config)
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        try {
            return std::make_unique<session>(conn, k, _config, k.log("protocol.amqp091"));
        } catch (const std::exception&) {
            return nullptr; // the kernel closes the connection
        }
    }

  private:
    const gateway_config _config; // sessions keep a reference; the listener outlives them
};

using factory = sdk::gateway_factory<listener, &parse_gateway_config, 5672>;

} // namespace
} // namespace plexus::protocol::amqp091

PLEXUS_DECLARE_PLUGIN(protocol, "amqp091", "0.1.0", plexus::protocol::amqp091::factory)
