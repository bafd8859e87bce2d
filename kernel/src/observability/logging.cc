#include "kernel/src/observability/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>

namespace plexus::kernel {
namespace {

spdlog::level::level_enum to_spdlog(sdk::log_level l)
{
    switch (l) {
        case sdk::log_level::trace:
            return spdlog::level::trace;
        case sdk::log_level::debug:
            return spdlog::level::debug;
        case sdk::log_level::info:
            return spdlog::level::info;
        case sdk::log_level::warn:
            return spdlog::level::warn;
        case sdk::log_level::error:
            return spdlog::level::err;
        case sdk::log_level::critical:
            return spdlog::level::critical;
        case sdk::log_level::off:
            return spdlog::level::off;
    }
    return spdlog::level::info;
}

// One component's logger: an spdlog logger sharing the registry's stderr sink. Not registered
// in spdlog's global registry (no global mutable state of ours).
class component_logger final : public sdk::logger
{
  public:
    component_logger(std::string name, spdlog::sink_ptr sink, sdk::log_level level)
      : _impl(std::move(name), std::move(sink))
    {
        _impl.set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
        set(level);
    }
    bool enabled(sdk::log_level level) const noexcept override { return _impl.should_log(to_spdlog(level)); }
    void write(sdk::log_level level, std::string_view text) noexcept override
    {
        try {
            _impl.log(to_spdlog(level), "{}", text);
        } catch (...) {
            // Logging must never take the broker down.
        }
    }
    void set(sdk::log_level level) { _impl.set_level(to_spdlog(level)); }

  private:
    spdlog::logger _impl;
};

} // namespace

struct log_registry::impl
{
    std::mutex mu;
    spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    sdk::log_level default_level = sdk::log_level::info;
    std::map<std::string, sdk::log_level, std::less<>> overrides;
    std::map<std::string, std::unique_ptr<component_logger>, std::less<>> loggers;
};

log_registry::log_registry(std::string_view default_level)
  : _impl(std::make_unique<impl>())
{
    parse_log_level(default_level, _impl->default_level);
}

log_registry::~log_registry() = default;

sdk::logger& log_registry::get(std::string_view component)
{
    std::lock_guard lk(_impl->mu);
    auto it = _impl->loggers.find(component);
    if (it != _impl->loggers.end()) {
        return *it->second;
    }
    auto level = _impl->default_level;
    if (auto o = _impl->overrides.find(component); o != _impl->overrides.end()) {
        level = o->second;
    }
    auto lg = std::make_unique<component_logger>(std::string(component), _impl->sink, level);
    auto& ref = *lg;
    _impl->loggers.emplace(std::string(component), std::move(lg));
    return ref;
}

void log_registry::set_level(std::string_view component, sdk::log_level level)
{
    std::lock_guard lk(_impl->mu);
    _impl->overrides[std::string(component)] = level;
    if (auto it = _impl->loggers.find(component); it != _impl->loggers.end()) {
        it->second->set(level);
    }
}

bool parse_log_level(std::string_view text, sdk::log_level& out) noexcept
{
    static constexpr std::pair<std::string_view, sdk::log_level> names[] = {
        { "trace", sdk::log_level::trace }, { "debug", sdk::log_level::debug },
        { "info", sdk::log_level::info },   { "warn", sdk::log_level::warn },
        { "error", sdk::log_level::error }, { "critical", sdk::log_level::critical },
        { "off", sdk::log_level::off },
    };
    for (const auto& [name, level] : names) {
        if (text == name) {
            out = level;
            return true;
        }
    }
    return false;
}

} // namespace plexus::kernel
