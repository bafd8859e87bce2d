// The file storage engine (ARCHITECTURE.md §4): each log is a directory of segments under
// <data_dir>/logs, the metadata store lives in <data_dir>/meta, and a lock file keeps a
// second process off the same data directory.
//
// Log directories are named by percent-encoding the log name (with a hash suffix when that
// is too long for a file name); each keeps its real name in a `name` file, which list_logs
// reads back.
//
// Threading: open_log / remove_log / list_logs / close may be called from any shard; one
// mutex guards the set of open logs. A log is used on its owner shard only.
#pragma once

#include "background_jobs.h"
#include "file_config.h"
#include "file_io.h"
#include "meta_store.h"

#include "plexus/sdk/storage.h"

#include <filesystem>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace plexus::storage::file {

/// The directory name of a log (percent-encoded; long names get a hash suffix).
std::string directory_name_of(std::string_view log_name);

class file_engine final : public sdk::storage_engine
{
  public:
    /// Takes the data directory's lock, creates the layout and loads the metadata store.
    static sdk::result<std::unique_ptr<file_engine>> open(const sdk::storage_context& ctx,
                                                          engine_config config,
                                                          io_hooks hooks = {});
    ~file_engine() override;

    sdk::result<std::unique_ptr<sdk::log>> open_log(const sdk::log_spec& spec) noexcept override;
    sdk::status remove_log(std::string_view name) noexcept override;
    sdk::result<std::vector<std::string>> list_logs() noexcept override;
    sdk::kv_store& metadata() noexcept override { return *_meta; }
    sdk::storage_caps caps() const noexcept override
    {
        sdk::storage_caps c;
        c.durable = true;
        c.timestamp_index = true;
        c.segment_bytes = _config.segment_bytes;
        return c;
    }
    sdk::status close() noexcept override;

  private:
    file_engine(std::filesystem::path root,
                engine_config config,
                io_hooks hooks,
                sdk::logger* logger,
                sdk::blocking_pool* blocking);

    /// Open logs by name, shared with each handle so that closing one works after the engine
    /// is gone.
    struct open_set
    {
        std::mutex mutex;
        std::set<std::string, std::less<>> names;
    };

    std::filesystem::path _root;
    engine_config _config;
    std::shared_ptr<const io_hooks> _hooks; ///< shared with every log core (log_environment)
    std::shared_ptr<background_jobs> _jobs = std::make_shared<background_jobs>();
    sdk::logger* _logger;
    sdk::blocking_pool* _blocking;
    file_handle _lock;
    std::unique_ptr<meta_store> _meta;
    std::shared_ptr<open_set> _open = std::make_shared<open_set>();
    bool _closed = false;
};

class file_factory final : public sdk::storage_factory
{
  public:
    sdk::status validate(std::string_view config_json) const noexcept override;
    sdk::result<std::unique_ptr<sdk::storage_engine>> create(const sdk::storage_context& ctx,
                                                             std::string_view config_json) noexcept override;
};

} // namespace plexus::storage::file
