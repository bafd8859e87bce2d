#include "bench/storage/engine_session.h"

#include <cstdio>

namespace plexus::bench {

void stderr_logger::write(sdk::log_level level, std::string_view text) noexcept
{
    static constexpr const char* names[] = { "trace", "debug", "info", "warn", "error", "critical", "off" };
    std::fprintf(
      stderr, "  [engine %s] %.*s\n", names[static_cast<int>(level)], static_cast<int>(text.size()), text.data());
}

engine_session::plugin_factory::~plugin_factory()
{
    if (plugin.factory != nullptr) {
        plugin.descriptor->destroy_factory(plugin.factory);
    }
}

sdk::result<std::unique_ptr<engine_session>> engine_session::open(const engine_spec& spec)
{
    auto loaded = kernel::load_plugin({ spec.plugin_dir }, PLEXUS_KIND_STORAGE, spec.engine);
    if (!loaded) {
        return loaded.error();
    }
    std::unique_ptr<engine_session> s(new engine_session());
    s->_factory.plugin = *loaded;
    std::error_code ec;
    std::filesystem::create_directories(spec.data_dir, ec);
    if (ec) {
        return sdk::status(sdk::errc::io_error, "cannot create " + spec.data_dir.string() + ": " + ec.message());
    }
    sdk::storage_context ctx;
    ctx.data_dir = spec.data_dir.string();
    ctx.log = spec.logger;
    ctx.blocking = &s->_pool;
    auto* factory = static_cast<sdk::storage_factory*>(s->_factory.plugin.factory);
    auto created = factory->create(ctx, spec.config_json);
    if (!created) {
        return created.error();
    }
    s->_engine = std::move(*created);
    return s;
}

sdk::status engine_session::preload(const std::string& plugin_dir, const std::string& engine)
{
    auto loaded = kernel::load_plugin({ plugin_dir }, PLEXUS_KIND_STORAGE, engine);
    if (!loaded) {
        return loaded.error();
    }
    loaded->descriptor->destroy_factory(loaded->factory); // the library stays mapped
    return {};
}

engine_session::~engine_session()
{
    close().ignore();
}

sdk::result<std::unique_ptr<sdk::log>> engine_session::open_log(const std::string& name)
{
    if (!_engine) {
        return sdk::status(sdk::errc::unavailable, "the engine is closed");
    }
    return _engine->open_log(sdk::log_spec{ name, &_shard });
}

sdk::status engine_session::close()
{
    if (!_engine) {
        return {};
    }
    auto st = _engine->close();
    _engine.reset();
    return st;
}

sdk::result<bench_log> open_bench_log(const scenario_context& ctx,
                                      const std::string& engine,
                                      const std::string& config_json,
                                      const std::string& purpose)
{
    auto dir = work_dir::create(ctx.work_parent, engine + "-" + purpose);
    if (!dir) {
        return dir.error();
    }
    auto session = engine_session::open({ ctx.plugin_dir, engine, config_json, dir->path() / "data", ctx.logger });
    if (!session) {
        return session.error();
    }
    auto log = (*session)->open_log("s/bench/" + purpose + "/0");
    if (!log) {
        return log.error();
    }
    return bench_log{ std::move(*dir), std::move(*session), std::move(*log) };
}

} // namespace plexus::bench
