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

/// A new empty directory under the system temp dir.
std::filesystem::path make_temp_dir(const std::string& engine)
{
    std::random_device rd;
    std::mt19937_64 gen(rd());
    for (int attempt = 0; attempt < 100; ++attempt) {
        auto dir = std::filesystem::temp_directory_path() / ("plexus-storage-" + engine + "-" + std::to_string(gen()));
        std::error_code ec;
        if (std::filesystem::create_directory(dir, ec)) {
            return dir;
        }
    }
    FAIL("could not create a temporary data directory");
    return {};
}

} // namespace

// ---- thread_blocking_pool ------------------------------------------------------------------

thread_blocking_pool::thread_blocking_pool()
  : _worker([this] { run(); })
{
}

thread_blocking_pool::~thread_blocking_pool()
{
    {
        std::lock_guard lock(_mutex);
        _stopping = true;
    }
    _cv.notify_all();
    _worker.join();
}

void thread_blocking_pool::submit(sdk::callback<void()> work) noexcept
{
    {
        std::lock_guard lock(_mutex);
        _queue.push_back(std::move(work));
        ++_submitted;
    }
    _cv.notify_one();
}

std::uint64_t thread_blocking_pool::submitted() const
{
    std::lock_guard lock(_mutex);
    return _submitted;
}

void thread_blocking_pool::run()
{
    for (;;) {
        sdk::callback<void()> work;
        {
            std::unique_lock lock(_mutex);
            _cv.wait(lock, [this] { return _stopping || !_queue.empty(); });
            if (_queue.empty()) {
                return; // stopping, and everything submitted has run
            }
            work = std::move(_queue.front());
            _queue.pop_front();
        }
        if (work) {
            work();
        }
    }
}

// ---- capturing_logger ----------------------------------------------------------------------

void capturing_logger::write(sdk::log_level level, std::string_view text) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        _lines.emplace_back(text);
    } catch (...) {
        // a test logger that cannot allocate drops the line
    }
}

std::vector<std::string> capturing_logger::lines() const
{
    std::lock_guard lock(_mutex);
    return _lines;
}

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

engine_fixture::engine_fixture()
  : _engine_name(env_or("PLEXUS_STORAGE_ENGINE", "memory"))
{
    const std::string dir = env_or("PLEXUS_PLUGIN_DIR", PLEXUS_DEFAULT_PLUGIN_DIR);
    auto loaded = kernel::load_plugin({ dir }, PLEXUS_KIND_STORAGE, _engine_name);
    if (!loaded) {
        FAIL("cannot load storage engine '" << _engine_name << "': " << loaded.error().to_string());
    }
    _plugin = *loaded;
    _factory = static_cast<sdk::storage_factory*>(_plugin.factory);
    _data_dir = make_temp_dir(_engine_name);
    auto created = create_engine("{}");
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
    REQUIRE(_engine->close().ok());
    _engine.reset();
    _shard.run_all();
    auto created = create_engine("{}");
    if (!created) {
        FAIL("cannot recreate storage engine '" << _engine_name << "': " << created.error().to_string());
    }
    _engine = std::move(*created);
}

std::unique_ptr<sdk::log> engine_fixture::open_log(const std::string& name)
{
    sdk::log_spec spec;
    spec.name = name;
    spec.owner = &_shard;
    auto log = _engine->open_log(spec);
    if (!log) {
        FAIL("open_log('" << name << "') failed: " << log.error().to_string());
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
    sdk::record_batch all;
    all.base_offset = from;
    for (;;) {
        auto r = read(log, from, 64 * 1024);
        if (!r) {
            return r;
        }
        if (r->empty()) {
            return all;
        }
        REQUIRE(r->base_offset == from);
        from = r->last_offset() + 1;
        for (auto& m : r->records) {
            all.records.push_back(std::move(m));
        }
    }
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
