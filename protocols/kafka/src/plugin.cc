// The kafka protocol plugin: one listener per configured listener, one session per accepted
// connection.
#include "gateway_config.h"
#include "group_coordinator.h"
#include "kafka_record_format.h"
#include "producer_sequences.h"
#include "session.h"
#include "topic_registry.h"

#include "plexus/sdk/gateway_factory.h"
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
            // The first session loads the idempotent producers' state; later ones find it loaded.
            _producers.attach(k.plugin_store("kafka"), _config.vhost, k.log("protocol.kafka"), now_ms());
            return std::make_unique<session>(conn, k, _config, _topics, _groups, _producers, k.log("protocol.kafka"));
        } catch (const std::exception&) {
            return nullptr; // the kernel closes the connection
        }
    }

  private:
    const gateway_config _config; // sessions keep references; the listener outlives them
    topic_registry _topics;
    group_coordinator _groups;
    static std::int64_t now_ms()
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
          .count();
    }

    /// Seeded with the clock for a store that holds no ids yet (a first start, or one after
    /// a broker that did not keep them), so that ids still differ from that broker's.
    producer_sequences _producers{ now_ms() << 10 };
};

using factory = sdk::gateway_factory<listener, &parse_gateway_config, 9092, &kafka_record_formats>;

} // namespace
} // namespace plexus::protocol::kafka

PLEXUS_DECLARE_PLUGIN(protocol, "kafka", "0.1.0", plexus::protocol::kafka::factory)
