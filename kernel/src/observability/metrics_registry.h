// Every metric of the broker: one registry, scopes per part ("kernel_queue", "protocol_mqtt"),
// one cell per shard behind each handle (plus one for non-shard threads), summed at scrape.
#pragma once

#include "plexus/sdk/metrics.h"

#include <memory>
#include <string>
#include <string_view>

namespace plexus::kernel {

class metrics_registry
{
  public:
    explicit metrics_registry(unsigned shard_count);
    ~metrics_registry();
    metrics_registry(const metrics_registry&) = delete;
    metrics_registry& operator=(const metrics_registry&) = delete;

    /// The scope whose metrics are named plexus_<prefix>_<name>. Thread-safe; the returned
    /// scope lives as long as the registry.
    sdk::metrics_scope& scope(std::string_view prefix);
    /// Prometheus text exposition format (version 0.0.4) of every metric. Thread-safe.
    std::string render_prometheus() const;

  private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

} // namespace plexus::kernel
