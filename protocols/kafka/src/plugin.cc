// The kafka protocol plugin: one listener per configured listener, one session per accepted
// connection.
#include "gateway_config.h"
#include "group_coordinator.h"
#include "producer_sequences.h"
#include "session.h"
#include "topic_registry.h"

#include "plexus/sdk/plugin.h"

#include <chrono>

namespace plexus::protocol::kafka {
namespace {

class listener final : public sdk::protocol_listener
{
  public:
    explicit listener(gateway_config config)
      : _config(std::move(config))
    {
    }

    std::unique_ptr<sdk::protocol_session> new_session(sdk::connection& conn, sdk::kernel& k) noexcept override
    {
        try {
            return std::make_unique<session>(conn, k, _config, _topics, _groups, _producers, k.log("protocol.kafka"));
        } catch (const std::exception&) {
            return nullptr; // the kernel closes the connection
        }
    }

  private:
    const gateway_config _config; // sessions keep references; the listener outlives them
    topic_registry _topics;
    group_coordinator _groups;
    /// Seeded with the clock so that producer ids differ across restarts (the sequence state
    /// is not persisted).
    producer_sequences _producers{ std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count()
                                   << 10 };
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
            return std::unique_ptr<sdk::protocol_listener>(std::make_unique<listener>(std::move(*config)));
        } catch (const std::exception&) {
            return sdk::status(sdk::errc::resource_exhausted, "out of memory creating a kafka listener");
        }
    }
    std::uint16_t default_port() const noexcept override { return 9092; }
};

} // namespace
} // namespace plexus::protocol::kafka

PLEXUS_DECLARE_PLUGIN(protocol, "kafka", "0.1.0", plexus::protocol::kafka::factory)
