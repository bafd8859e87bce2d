// The broker: shards, storage engines, vhosts with their exchanges, queues and streams, the
// per-shard kernel facades, the protocol listeners and the admin API (served over HTTP by
// plexusd's startup code, not by the broker). plexusd's main() builds one.
//
// Lifecycle: create() (engines created) → start() (shards run, definitions restored,
// listeners bound) → serve → stop(grace) (stop accepting, drain, flush) → destructor.
// create/start/stop are called from the main thread only.
#pragma once

#include "kernel/src/admin/admin_api.h"
#include "kernel/src/config/broker_config.h"
#include "kernel/src/observability/logging.h"
#include "kernel/src/observability/metrics_registry.h"
#include "kernel/src/plugin/registry.h"
#include "plexus/sdk/kernel.h"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace plexus::kernel {

class broker
{
  public:
    /// `plugins` must already hold every plugin the config names (load_configured()), and
    /// outlive the broker. Fails when an engine or a listener cannot be created.
    static sdk::result<std::unique_ptr<broker>> create(const broker_config& config,
                                                       plugin_registry& plugins,
                                                       log_registry& logs);
    virtual ~broker() = default;

    /// Starts the shards, re-creates the stored definitions and binds every listener;
    /// errc::unavailable names the address that could not be bound, corruption or
    /// precondition_failed the stored definition that could not be restored.
    virtual sdk::status start() = 0;
    /// Stops accepting, gives connections `grace` to finish, flushes every log and engine.
    virtual void stop(std::chrono::milliseconds grace) = 0;

    /// (listener name, bound port) for every listener, after start().
    virtual std::vector<std::pair<std::string, std::uint16_t>> bound_ports() const = 0;
    virtual unsigned shard_count() const noexcept = 0;
    /// Shard i's kernel facade (for tests and in-process tools).
    virtual sdk::kernel& facade(unsigned shard) noexcept = 0;
    virtual admin_api& admin() noexcept = 0;
    virtual metrics_registry& metrics() noexcept = 0;
};

} // namespace plexus::kernel
