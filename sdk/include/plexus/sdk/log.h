// The logger plugins and the kernel write to. Only the formatted text crosses the ABI; the
// kernel implements it with spdlog, one logger per component ("protocol.mqtt").
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string_view>

namespace plexus::sdk {

enum class log_level : std::uint8_t
{
    trace,
    debug,
    info,
    warn,
    error,
    critical,
    off
};

class logger
{
  public:
    virtual bool enabled(log_level level) const noexcept = 0;
    virtual void write(log_level level, std::string_view text) noexcept = 0;

  protected:
    ~logger() = default; // owned by the kernel
};

} // namespace plexus::sdk

/// Formats only when the level is enabled. Formatting errors must not escape: callers pass
/// format strings checked at compile time by fmt.
#define PLEXUS_LOG(lg, lvl, ...)                                                                                       \
    do {                                                                                                               \
        if ((lg).enabled(::plexus::sdk::log_level::lvl)) {                                                             \
            (lg).write(::plexus::sdk::log_level::lvl, ::fmt::format(__VA_ARGS__));                                     \
        }                                                                                                              \
    } while (0)
