// engine_session: one storage engine as the broker runs it: loaded through the real plugin
// loader (kernel::load_plugin), created over a data directory with a config section, its logs
// owned by a shard_loop and its blocking work on a two-thread pool (as the broker's).
//
// Order of teardown: the caller destroys its log handles, then close() (or the destructor)
// closes and destroys the engine, then the pool drains and joins, then the shard's leftover
// completions are dropped.
#pragma once

#include "bench/storage/scenario.h"
#include "bench/storage/shard_loop.h"
#include "bench/storage/work_dir.h"
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/testing/thread_pool.h"
#include "plexus/sdk/storage.h"

#include <filesystem>
#include <memory>
#include <string>

namespace plexus::bench {

/// Engine log lines at `threshold` and above go to stderr, prefixed with the engine's name.
class stderr_logger final : public sdk::logger
{
  public:
    explicit stderr_logger(sdk::log_level threshold) noexcept
      : _threshold(threshold)
    {
    }
    bool enabled(sdk::log_level level) const noexcept override { return level >= _threshold; }
    void write(sdk::log_level level, std::string_view text) noexcept override;

  private:
    sdk::log_level _threshold;
};

struct engine_spec
{
    std::string plugin_dir;
    std::string engine;      ///< plugin name: file, rocksdb, memory
    std::string config_json; ///< the engine's config section
    std::filesystem::path data_dir;
    sdk::logger* logger = nullptr;
};

class engine_session
{
  public:
    static sdk::result<std::unique_ptr<engine_session>> open(const engine_spec& spec);
    /// Maps the plugin's library now, so that a later timed open() does not pay for dlopen.
    static sdk::status preload(const std::string& plugin_dir, const std::string& engine);
    ~engine_session();
    engine_session(const engine_session&) = delete;
    engine_session& operator=(const engine_session&) = delete;

    shard_loop& shard() noexcept { return _shard; }
    sdk::storage_engine& engine() noexcept { return *_engine; }
    /// Opens (creating) a log owned by this session's shard.
    sdk::result<std::unique_ptr<sdk::log>> open_log(const std::string& name);
    /// Closes the engine (blocking: it makes everything durable) and destroys it. Every log
    /// handle must be gone.
    sdk::status close();

  private:
    /// The loaded plugin's factory, destroyed after everything it created.
    struct plugin_factory
    {
        kernel::loaded_plugin plugin;
        ~plugin_factory();
    };

    engine_session() = default;

    plugin_factory _factory;
    shard_loop _shard;
    sdk::testing::thread_pool _pool{ 2 }; // as many as the broker's blocking pool
    std::unique_ptr<sdk::storage_engine> _engine;
};

/// How a scenario starts: its own work directory, an engine over `<dir>/data` and one log.
/// Members go in reverse order: the log, then the engine, then the directory.
struct bench_log
{
    work_dir dir;
    std::unique_ptr<engine_session> session;
    std::unique_ptr<sdk::log> log;
};

sdk::result<bench_log> open_bench_log(const scenario_context& ctx,
                                      const std::string& engine,
                                      const std::string& config_json,
                                      const std::string& purpose);

} // namespace plexus::bench
