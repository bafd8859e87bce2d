#include "file_engine.h"

#include "file_log.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>

#include <algorithm>
#include <functional>

namespace plexus::storage::file {

namespace {

constexpr std::size_t max_directory_name = 200;

std::filesystem::path logs_dir(const std::filesystem::path& root)
{
    return root / "logs";
}

} // namespace

std::string directory_name_of(std::string_view log_name)
{
    std::string out;
    out.reserve(log_name.size() * 3);
    for (unsigned char c : log_name) {
        const bool plain =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (plain) {
            out.push_back(static_cast<char>(c));
        } else {
            out += fmt::format("%{:02X}", c);
        }
    }
    if (out.size() > max_directory_name) {
        out =
          fmt::format("{}~{:016x}", out.substr(0, max_directory_name - 17), std::hash<std::string_view>()(log_name));
    }
    return out;
}

file_engine::file_engine(std::filesystem::path root,
                         engine_config config,
                         io_hooks hooks,
                         sdk::logger* logger,
                         sdk::blocking_pool* blocking)
  : _root(std::move(root))
  , _config(config)
  , _hooks(std::make_shared<const io_hooks>(std::move(hooks)))
  , _logger(logger)
  , _blocking(blocking)
{
}

file_engine::~file_engine()
{
    close().ignore();
}

sdk::result<std::unique_ptr<file_engine>> file_engine::open(const sdk::storage_context& ctx,
                                                            engine_config config,
                                                            io_hooks hooks)
{
    if (ctx.blocking == nullptr) {
        return sdk::status(sdk::errc::invalid_argument, "the file engine needs a blocking pool");
    }
    std::unique_ptr<file_engine> engine(new file_engine(ctx.data_dir, config, std::move(hooks), ctx.log, ctx.blocking));
    std::error_code ec;
    std::filesystem::create_directories(logs_dir(engine->_root), ec);
    if (!ec) {
        std::filesystem::create_directories(engine->_root / "meta", ec);
    }
    if (ec) {
        return sdk::status(sdk::errc::io_error, "cannot create " + engine->_root.string() + ": " + ec.message());
    }
    const auto lock_path = engine->_root / "LOCK";
    if (auto st = open_file(lock_path, O_RDWR | O_CREAT, engine->_lock); !st.ok()) {
        return st;
    }
    if (::flock(engine->_lock.fd(), LOCK_EX | LOCK_NB) != 0) {
        return sdk::status(sdk::errc::locked,
                           "data directory " + engine->_root.string() + " is in use by another process (" +
                             lock_path.string() + " is locked)");
    }
    auto meta = meta_store::open(engine->_root / "meta", config.fsync, ctx.blocking, ctx.log);
    if (!meta) {
        return meta.error();
    }
    engine->_meta = std::move(*meta);
    return engine;
}

sdk::result<std::unique_ptr<sdk::log>> file_engine::open_log(const sdk::log_spec& spec) noexcept
{
    try {
        if (spec.name.empty()) {
            return sdk::status(sdk::errc::invalid_argument, "a log needs a name");
        }
        if (spec.owner == nullptr) {
            return sdk::status(sdk::errc::invalid_argument, "log '" + spec.name + "' needs an owner executor");
        }
        {
            std::lock_guard lock(_open->mutex);
            if (_closed) {
                return sdk::status(sdk::errc::unavailable, "the file engine is closed");
            }
            if (!_open->names.insert(spec.name).second) {
                return sdk::status(sdk::errc::locked, "log '" + spec.name + "' is already open");
            }
        }
        auto release = [open = _open, name = spec.name] {
            std::lock_guard lock(open->mutex);
            open->names.erase(name);
        };
        const auto dir = logs_dir(_root) / directory_name_of(spec.name);
        std::error_code ec;
        if (!std::filesystem::exists(dir / "name", ec)) {
            std::filesystem::create_directories(dir, ec);
            auto st = ec ? sdk::status(sdk::errc::io_error, "cannot create " + dir.string() + ": " + ec.message())
                         : write_file_atomically(dir / "name", as_bytes(spec.name));
            if (st.ok()) {
                st = sync_directory(logs_dir(_root)); // the new log's own entry
            }
            if (!st.ok()) {
                release();
                return st;
            }
        }
        log_environment env{ _config, spec.owner, _blocking, _logger, _hooks, _jobs };
        if (spec.segment_bytes != 0) {
            // Held to the range the config accepts (as Redpanda bounds a topic's
            // segment.bytes): a client's tiny value would otherwise mean a file per batch.
            env.config.segment_bytes = std::clamp(spec.segment_bytes, min_segment_bytes, max_segment_bytes);
        }
        auto core = std::make_shared<log_core>(spec.name, dir, env);
        if (auto st = core->open(spec.first_offset); !st.ok()) {
            release();
            return sdk::status(st.code(), "cannot open log '" + spec.name + "': " + std::string(st.message()));
        }
        return std::unique_ptr<sdk::log>(std::make_unique<file_log>(std::move(core), release));
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory opening log '" + spec.name + "'");
    } catch (const std::exception& e) {
        return sdk::status(sdk::errc::io_error, "cannot open log '" + spec.name + "': " + e.what());
    }
}

sdk::status file_engine::remove_log(std::string_view name) noexcept
{
    try {
        const auto dir = logs_dir(_root) / directory_name_of(name);
        std::error_code ec;
        if (!std::filesystem::exists(dir / "name", ec)) {
            return sdk::status(sdk::errc::not_found, "no log named '" + std::string(name) + "'");
        }
        // Rename first so that a crash in the middle of the removal never leaves a half log
        // that list_logs would report.
        auto doomed = _root / fmt::format("removing-{}", directory_name_of(name));
        std::filesystem::remove_all(doomed, ec);
        std::filesystem::rename(dir, doomed, ec);
        if (ec) {
            return sdk::status(sdk::errc::io_error, "cannot remove log '" + std::string(name) + "': " + ec.message());
        }
        sync_directory(logs_dir(_root)).ignore();
        std::filesystem::remove_all(doomed, ec);
        return {};
    } catch (...) {
        return sdk::status(sdk::errc::internal, "removing log '" + std::string(name) + "' failed");
    }
}

sdk::result<std::vector<std::string>> file_engine::list_logs() noexcept
{
    try {
        std::vector<std::string> names;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(logs_dir(_root), ec)) {
            std::string name;
            if (read_whole_file(entry.path() / "name", name).ok()) {
                names.push_back(std::move(name));
            }
        }
        if (ec) {
            return sdk::status(sdk::errc::io_error, "cannot list " + logs_dir(_root).string() + ": " + ec.message());
        }
        std::sort(names.begin(), names.end());
        return names;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory listing logs");
    }
}

sdk::status file_engine::close() noexcept
{
    {
        std::lock_guard lock(_open->mutex);
        if (_closed) {
            return {};
        }
        _closed = true;
    }
    _jobs->wait_idle(); // the logs' syncs and reads that are still running
    return _meta ? _meta->close() : sdk::status{};
}

sdk::status file_factory::validate(std::string_view config_json) const noexcept
{
    return parse_config(config_json).error();
}

sdk::result<std::unique_ptr<sdk::storage_engine>> file_factory::create(const sdk::storage_context& ctx,
                                                                       std::string_view config_json) noexcept
{
    auto config = parse_config(config_json);
    if (!config) {
        return config.error();
    }
    try {
        auto engine = file_engine::open(ctx, *config);
        if (!engine) {
            return engine.error();
        }
        return std::unique_ptr<sdk::storage_engine>(std::move(*engine));
    } catch (...) {
        return sdk::status(sdk::errc::internal, "creating the file engine failed");
    }
}

} // namespace plexus::storage::file
