// Loggers per component ("kernel.queue", "protocol.mqtt") over spdlog, with a level per
// component. Client-caused errors go through rate_limited() so that one bad client cannot
// flood the log.
#pragma once

#include "plexus/sdk/log.h"

#include <memory>
#include <string>
#include <string_view>

namespace plexus::kernel {

class log_registry
{
  public:
    /// `default_level`: trace|debug|info|warn|error|critical|off.
    explicit log_registry(std::string_view default_level);
    ~log_registry();
    log_registry(const log_registry&) = delete;
    log_registry& operator=(const log_registry&) = delete;

    /// The component's logger; created on first use; lives as long as the registry. Thread-safe.
    sdk::logger& get(std::string_view component);
    /// Sets one component's level ("kernel.queue=debug").
    void set_level(std::string_view component, sdk::log_level level);

  private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

/// Parses "info" etc.; nullopt-like false when unknown.
bool parse_log_level(std::string_view text, sdk::log_level& out) noexcept;

} // namespace plexus::kernel
