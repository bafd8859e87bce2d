// The stomp protocol plugin: one listener per configured listener, one session per accepted
// connection.
#include "gateway_config.h"
#include "session.h"

#include "plexus/sdk/plugin.h"

namespace plexus::protocol::stomp {
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
            return std::make_unique<session>(conn, k, _config, k.log("protocol.stomp"));
        } catch (const std::exception&) {
            return nullptr; // the kernel closes the connection
        }
    }

  private:
    const gateway_config _config; // sessions keep a reference; the listener outlives them
};

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
            return std::unique_ptr<sdk::protocol_listener>(std::make_unique<listener>(*config));
        } catch (const std::exception&) {
            return sdk::status(sdk::errc::resource_exhausted, "out of memory creating a stomp listener");
        }
    }
    std::uint16_t default_port() const noexcept override { return 61613; }
};

} // namespace
} // namespace plexus::protocol::stomp

PLEXUS_DECLARE_PLUGIN(protocol, "stomp", "0.1.0", plexus::protocol::stomp::factory)
