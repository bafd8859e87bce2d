// The topic and broker configs CreateTopics takes, DescribeConfigs reports and AlterConfigs /
// IncrementalAlterConfigs change. A topic has what a stream has: retention.ms, retention.bytes,
// cleanup.policy (delete, compact or both: ADR 0020) and delete.retention.ms (changeable), and,
// fixed when the topic is created, plexus.storage (its engine), plexus.forward.exchange (the
// exchange it also publishes to) and segment.bytes (its logs' segment size, the engine's unless
// the topic set one; only for an engine that keeps segments). Other keys are not reported, and
// setting them is INVALID_CONFIG.
// Broker configs are the listener's settings under Kafka's names, read-only.
#pragma once

#include "gateway_config.h"
#include "plexus/sdk/kernel.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::protocol::kafka {

/// Kafka's ConfigResource.Type values the gateway answers for.
constexpr std::int8_t topic_resource = 2;
constexpr std::int8_t broker_resource = 4;

struct described_config
{
    std::string name;
    std::string value;
    bool is_default = true;
    std::int8_t source = 5; ///< Kafka's ConfigSource: 1 topic config, 4 static broker, 5 default
    std::int8_t type = 0;   ///< Kafka's ConfigType: 2 string, 3 int, 5 long, 7 list, 1 boolean
    bool read_only = false;
};

/// A topic's configs, in name order.
std::vector<described_config> describe_topic_configs(const sdk::stream_info& stream);
/// This broker's (node 0), in name order.
std::vector<described_config> describe_broker_configs(const gateway_config& config);

/// What AlterConfigs may change: the stream's config (sdk::stream_config).
sdk::stream_config config_of(const sdk::stream_info& stream);

/// IncrementalAlterConfigs' operations (AlterConfigs sets every key it names).
enum class config_operation : std::int8_t
{
    set = 0,
    remove = 1, ///< Kafka's DELETE: back to the default
    append = 2,
    subtract = 3,
};

/// Applies one change to `config`, for a topic that is `current`; the INVALID_CONFIG message
/// when it cannot be made. A fixed key may only be SET to the value it has (a no-op, so that a
/// client can send back what it described).
std::optional<std::string> apply_topic_config(sdk::stream_config& config,
                                              const sdk::stream_info& current,
                                              std::string_view name,
                                              config_operation op,
                                              const std::optional<std::string>& value);

/// Applies one CreateTopics config to `spec`; the INVALID_CONFIG message when it cannot be.
/// Whether a named engine or exchange exists is the kernel's to say, when it declares the stream.
std::optional<std::string> apply_creation_config(sdk::stream_spec& spec,
                                                 std::string_view name,
                                                 const std::optional<std::string>& value);

} // namespace plexus::protocol::kafka
