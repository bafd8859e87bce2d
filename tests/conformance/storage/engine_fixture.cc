#include "conformance/storage/engine_fixture.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>
#include <system_error>

namespace plexus::test::storage {

namespace {

std::string env_or(const char* name, const char* fallback)
{
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::string(v) : std::string(fallback);
}

} // namespace

// ---- messages ------------------------------------------------------------------------------

sdk::message_ptr make_message(const std::vector<std::string>& fragments, std::int64_t ts, std::string routing_key)
{
    auto m = std::make_shared<sdk::message>();
    m->exchange = "x";
    m->routing_key = std::move(routing_key);
    m->timestamp = sdk::timestamp_ms(ts);
    for (const auto& f : fragments) {
        m->body.append(sdk::bytes::copy_of(f));
    }
    return m;
}

sdk::record_batch batch_of(int n, const std::string& prefix, int first, std::int64_t ts)
{
    sdk::record_batch b;
    for (int i = first; i < first + n; ++i) {
        b.records.push_back(make_message({ prefix + std::to_string(i) }, ts));
    }
    return b;
}

std::vector<std::string> bodies(const sdk::record_batch& b)
{
    std::vector<std::string> out;
    for (const auto& m : b.records) {
        out.push_back(m ? m->body.to_string() : std::string("<null>"));
    }
    return out;
}

// ---- engine_fixture ------------------------------------------------------------------------

std::string engine_fixture::engine_under_test()
{
    return env_or("PLEXUS_STORAGE_ENGINE", "memory");
}

engine_fixture::engine_fixture(std::string config_json)
  : _engine_name(engine_under_test())
  , _plugin_dir(env_or("PLEXUS_PLUGIN_DIR", PLEXUS_DEFAULT_PLUGIN_DIR))
  , _config_json(std::move(config_json))
{
    auto loaded = kernel::load_plugin({ _plugin_dir }, PLEXUS_KIND_STORAGE, _engine_name);
    if (!loaded) {
        FAIL("cannot load storage engine '" << _engine_name << "': " << loaded.error().to_string());
    }
    _plugin = *loaded;
    _factory = static_cast<sdk::storage_factory*>(_plugin.factory);
    _data_dir = test::make_temp_dir("storage-" + _engine_name);
    auto created = create_engine(_config_json);
    if (!created) {
        std::error_code ec;
        std::filesystem::remove_all(_data_dir, ec);
        _plugin.descriptor->destroy_factory(_plugin.factory);
        FAIL("cannot create storage engine '" << _engine_name << "': " << created.error().to_string());
    }
    _engine = std::move(*created);
}

engine_fixture::~engine_fixture()
{
    if (_engine) {
        _engine->close().ignore();
        _engine.reset();
    }
    _shard.run_all();
    if (_factory != nullptr) {
        _plugin.descriptor->destroy_factory(_plugin.factory);
    }
    std::error_code ec;
    std::filesystem::remove_all(_data_dir, ec);
}

sdk::result<std::unique_ptr<sdk::storage_engine>> engine_fixture::create_engine(std::string_view config_json)
{
    sdk::storage_context ctx;
    ctx.data_dir = _data_dir.string();
    ctx.log = &_logger;
    ctx.blocking = &_pool;
    return _factory->create(ctx, config_json);
}

void engine_fixture::restart_engine()
{
    stop_engine();
    start_engine();
}

void engine_fixture::stop_engine()
{
    REQUIRE(_engine);
    REQUIRE(_engine->close().ok());
    _engine.reset();
    _shard.run_all();
}

void engine_fixture::start_engine()
{
    REQUIRE_FALSE(_engine);
    auto created = create_engine(_config_json);
    if (!created) {
        FAIL("cannot recreate storage engine '" << _engine_name << "': " << created.error().to_string());
    }
    _engine = std::move(*created);
}

std::unique_ptr<sdk::log> engine_fixture::open_log(const std::string& name)
{
    sdk::log_spec spec;
    spec.name = name;
    return open_log(std::move(spec));
}

std::unique_ptr<sdk::log> engine_fixture::open_log(sdk::log_spec spec)
{
    spec.owner = &_shard;
    auto log = _engine->open_log(spec);
    if (!log) {
        FAIL("open_log('" << spec.name << "') failed: " << log.error().to_string());
    }
    REQUIRE(*log != nullptr);
    return std::move(*log);
}

sdk::result<sdk::record_batch> engine_fixture::read(sdk::log& log, sdk::offset from, std::size_t max_bytes)
{
    return await<sdk::result<sdk::record_batch>>([&](auto done) { log.read(from, max_bytes, std::move(done)); });
}

sdk::result<sdk::record_batch> engine_fixture::read_all(sdk::log& log, sdk::offset from)
{
    auto all =
      plexus::test::read_to_end([&](sdk::offset at, std::size_t max_bytes) { return read(log, at, max_bytes); }, from);
    INFO((all.ok() ? std::string() : all.error().to_string()));
    REQUIRE((all.ok() || all.error().code() != sdk::errc::internal)); // a broken engine, or offsets that are not dense
    return all;
}

sdk::result<sdk::offset> engine_fixture::flush(sdk::log& log)
{
    return await<sdk::result<sdk::offset>>([&](auto done) { log.flush(std::move(done)); });
}

sdk::result<sdk::offset> engine_fixture::offset_for_timestamp(sdk::log& log, std::int64_t ts)
{
    return await<sdk::result<sdk::offset>>(
      [&](auto done) { log.offset_for_timestamp(sdk::timestamp_ms(ts), std::move(done)); });
}

sdk::status engine_fixture::apply(std::vector<sdk::kv_store::write> writes)
{
    return await<sdk::status>([&](auto done) { _engine->metadata().apply(std::move(writes), std::move(done)); });
}

void engine_fixture::fail_if_past(std::chrono::steady_clock::time_point deadline)
{
    if (std::chrono::steady_clock::now() > deadline) {
        FAIL("a storage completion did not run within 10 s");
    }
}

void engine_fixture::check_single_completion(int calls)
{
    if (calls != 1) {
        FAIL("a storage completion ran " << calls << " times");
    }
}

} // namespace plexus::test::storage
