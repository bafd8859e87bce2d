#include "kernel/src/server/broker.h"

#include "kernel/src/admin/admin_service.h"
#include "kernel/src/net/listener_set.h"
#include "kernel/src/server/broker_core.h"
#include "kernel/src/server/kernel_facade.h"

#include <boost/asio/post.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <future>

namespace plexus::kernel {
namespace {

using sdk::errc;

net_limits net_limits_of(const broker_config& config)
{
    net_limits limits;
    limits.read_coalesce = std::chrono::microseconds(config.read_coalesce_us);
    return limits;
}

class broker_impl final : public broker
{
  public:
    broker_impl(const broker_config& config, plugin_registry& plugins, log_registry& logs)
      : _core(config, plugins, logs)
    {
    }

    ~broker_impl() override { stop(std::chrono::milliseconds(0)); }

    sdk::status init()
    {
        for (const auto& [name, json] : _core.config().routing_types) {
            if (auto st = _core.plugins().routing(name)->configure(json); !st.ok()) {
                return sdk::status(st.code(), fmt::format("routing plugin '{}': {}", name, st.message()));
            }
        }
        if (auto st = _core.create_engines(); !st.ok()) {
            return st;
        }
        for (unsigned i = 0; i < _core.shards().size(); ++i) {
            _facades.push_back(std::make_unique<kernel_facade>(_core, i));
        }
        _listeners = std::make_unique<listener_set>(
          _core.shards(),
          [this](unsigned shard) -> sdk::kernel& { return *_facades[shard]; },
          _core.logs().get("kernel.net"),
          net_limits_of(_core.config()));
        for (const auto& l : _core.config().listeners) {
            sdk::listener_context ctx;
            ctx.listener_name = l.name;
            ctx.log = &_core.logs().get("protocol." + l.protocol);
            auto created = _core.plugins().protocol(l.protocol)->create(ctx, l.config_json);
            if (!created) {
                return sdk::status(
                  created.error().code(),
                  fmt::format("listener '{}' (protocol {}): {}", l.name, l.protocol, created.error().message()));
            }
            _protocols.push_back(std::move(*created));
        }
        _admin = std::make_unique<admin_service>(_core, *_facades[0], [this] { return bound_ports(); });
        return {};
    }

    sdk::status start() override
    {
        _core.shards().start();
        _started = true;
        for (const auto& vhost : _core.config().vhosts) {
            auto promise = std::make_shared<std::promise<sdk::status>>();
            auto fut = promise->get_future();
            _core.run_control(
              [this, vhost, promise]() -> awaitable<void> { promise->set_value(co_await _core.declare_vhost(vhost)); });
            if (auto st = fut.get(); !st.ok()) {
                return st;
            }
        }
        {
            auto promise = std::make_shared<std::promise<sdk::status>>();
            auto fut = promise->get_future();
            _core.run_control(
              [this, promise]() -> awaitable<void> { promise->set_value(co_await _core.restore_definitions()); });
            if (auto st = fut.get(); !st.ok()) {
                return st;
            }
        }
        _core.check_disk(); // a broker started on a full disk refuses its first publish
        _core.start_retention_timers();
        const auto& listeners = _core.config().listeners;
        for (std::size_t i = 0; i < listeners.size(); ++i) {
            const auto& l = listeners[i];
            if (auto st = _listeners->add(l.name, l.host, l.port, *_protocols[i]); !st.ok()) {
                return st;
            }
        }
        _listeners->start();
        PLEXUS_LOG(_core.log(), info, "serving on {} shard(s)", _core.shards().size());
        return {};
    }

    void stop(std::chrono::milliseconds grace) override
    {
        if (!_started) {
            return;
        }
        _started = false;
        _listeners->stop_accepting();
        auto deadline = std::chrono::steady_clock::now() + grace;
        while (_listeners->connection_count() > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20)); // clients closing on their own
        }
        _listeners->close_all(sdk::status(errc::unavailable, "broker shutting down"));
        _core.drain_and_flush(std::max(grace, std::chrono::milliseconds(1000)));
        _core.shards().stop();
        _core.release_destinations();
        for (auto& [name, engine] : _core.engines()) {
            if (auto st = engine->close(); !st.ok()) {
                PLEXUS_LOG(_core.log(), error, "storage engine '{}' failed to close: {}", name, st.to_string());
            }
        }
        PLEXUS_LOG(_core.log(), info, "stopped");
    }

    std::vector<std::pair<std::string, std::uint16_t>> bound_ports() const override
    {
        std::vector<std::pair<std::string, std::uint16_t>> out;
        for (const auto& l : _core.config().listeners) {
            out.emplace_back(l.name, _listeners->port(l.name));
        }
        return out;
    }

    unsigned shard_count() const noexcept override { return _facades.size(); }
    sdk::kernel& facade(unsigned shard) noexcept override { return *_facades[shard]; }
    admin_api& admin() noexcept override { return *_admin; }
    metrics_registry& metrics() noexcept override { return _core.metrics(); }

  private:
    broker_core _core;
    std::vector<std::unique_ptr<kernel_facade>> _facades;
    std::vector<std::unique_ptr<sdk::protocol_listener>> _protocols;
    std::unique_ptr<listener_set> _listeners;
    std::unique_ptr<admin_service> _admin;
    bool _started = false;
};

} // namespace

sdk::result<std::unique_ptr<broker>> broker::create(const broker_config& config,
                                                    plugin_registry& plugins,
                                                    log_registry& logs)
{
    auto b = std::make_unique<broker_impl>(config, plugins, logs);
    if (auto st = b->init(); !st.ok()) {
        return st;
    }
    return std::unique_ptr<broker>(std::move(b));
}

} // namespace plexus::kernel
