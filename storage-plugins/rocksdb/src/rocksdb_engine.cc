#include "rocksdb_engine.h"

#include "key_codec.h"
#include "rocksdb_options.h"
#include "status_mapping.h"

#include <new>

namespace plexus::storage::rocks {

namespace {

sdk::status closed_status()
{
    return sdk::status(sdk::errc::unavailable, "the rocksdb engine is closed");
}

} // namespace

sdk::result<std::unique_ptr<rocksdb_engine>> rocksdb_engine::open(const sdk::storage_context& ctx,
                                                                  const engine_config& config,
                                                                  rocksdb::Env* env) noexcept
{
    try {
        if (ctx.data_dir.empty()) {
            return sdk::status(sdk::errc::invalid_argument, "the rocksdb engine needs a data directory");
        }
        if (ctx.blocking == nullptr) {
            return sdk::status(sdk::errc::invalid_argument, "the rocksdb engine needs a blocking pool");
        }
        auto db = database::open(ctx.data_dir, config, *ctx.blocking, env);
        if (!db) {
            return db.error();
        }
        std::unique_ptr<rocksdb_engine> engine(new rocksdb_engine(std::move(*db), ctx.log));
        if (auto st = engine->load_logs(); !st.ok()) {
            return st;
        }
        if (ctx.log != nullptr) {
            PLEXUS_LOG(*ctx.log,
                       info,
                       "rocksdb engine opened in '{}' with {} logs (fsync {}, compression {}, block cache {} bytes, "
                       "write buffer {} bytes)",
                       ctx.data_dir,
                       engine->_logs.size(),
                       to_string(config.fsync),
                       to_string(config.compression),
                       config.block_cache_bytes,
                       config.write_buffer_bytes);
        }
        return engine;
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory opening the rocksdb engine");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "opening the rocksdb engine failed");
    }
}

rocksdb_engine::~rocksdb_engine()
{
    close().ignore();
}

sdk::status rocksdb_engine::load_logs()
{
    std::unique_ptr<rocksdb::Iterator> it(_db->db().NewIterator(rocksdb::ReadOptions(), _db->log_meta()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto meta = decode_log_meta(it->value());
        if (!meta) {
            return sdk::status(sdk::errc::corruption, "unreadable entry for log '" + it->key().ToString() + "'");
        }
        _logs.emplace(it->key().ToString(), std::make_shared<log_slot>(meta->id));
        if (meta->id >= _next_id) {
            _next_id = meta->id + 1;
        }
    }
    return to_status(it->status(), "listing the logs");
}

sdk::result<std::unique_ptr<sdk::log>> rocksdb_engine::open_log(const sdk::log_spec& spec) noexcept
{
    try {
        if (spec.name.empty()) {
            return sdk::status(sdk::errc::invalid_argument, "a log needs a name");
        }
        if (spec.owner == nullptr) {
            return sdk::status(sdk::errc::invalid_argument, "log '" + spec.name + "' needs an owner executor");
        }
        if (spec.first_offset < sdk::offset{ 0 }) {
            return sdk::status(sdk::errc::invalid_argument,
                               "log '" + spec.name + "' cannot begin at offset " + std::to_string(spec.first_offset()));
        }
        std::shared_ptr<log_slot> slot;
        bool created = false;
        {
            std::lock_guard lock(_mutex);
            if (_closed) {
                return closed_status();
            }
            auto it = _logs.find(spec.name);
            if (it == _logs.end()) {
                // The log_meta entry is what makes the log exist, empty or not; its start is
                // where the log begins until records come (log_spec::first_offset).
                auto fresh = std::make_shared<log_slot>(_next_id);
                rocksdb::WriteBatch wb;
                if (auto s =
                      wb.Put(_db->log_meta(), spec.name, encode_log_meta(log_meta{ fresh->id, spec.first_offset }));
                    !s.ok()) {
                    return to_status(s, "creating log '" + spec.name + "'");
                }
                if (auto st = _db->write(wb, "creating log", spec.name); !st.ok()) {
                    return st;
                }
                _next_id = _next_id + 1;
                it = _logs.emplace(spec.name, std::move(fresh)).first;
                created = true;
            }
            slot = it->second;
            if (!slot->try_open()) {
                return sdk::status(sdk::errc::locked, "log '" + spec.name + "' is already open");
            }
        }
        // The slot is ours from here: give it back on any failure.
        struct release_on_failure
        {
            log_slot* slot;
            ~release_on_failure()
            {
                if (slot != nullptr) {
                    slot->close();
                }
            }
        } guard{ slot.get() };

        sdk::offset start = spec.first_offset; // the log's when it exists already
        if (!created) {
            std::string value;
            auto s = _db->db().Get(rocksdb::ReadOptions(), _db->log_meta(), spec.name, &value);
            if (!s.ok()) {
                return to_status(s, "reading the entry of log '" + spec.name + "'");
            }
            auto meta = decode_log_meta(value);
            if (!meta || meta->id != slot->id) {
                return sdk::status(sdk::errc::corruption, "unreadable entry for log '" + spec.name + "'");
            }
            start = meta->start;
        }
        auto core = std::make_shared<log_core>(_db, spec.name, slot->id, *spec.owner);
        if (auto st = core->recover(start); !st.ok()) {
            return st;
        }
        auto handle = std::make_unique<rocksdb_log>(std::move(core), slot);
        guard.slot = nullptr;
        return std::unique_ptr<sdk::log>(std::move(handle));
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory opening log '" + spec.name + "'");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "opening log '" + spec.name + "' failed");
    }
}

sdk::status rocksdb_engine::remove_log(std::string_view name) noexcept
{
    try {
        std::lock_guard lock(_mutex);
        if (_closed) {
            return closed_status();
        }
        auto it = _logs.find(name);
        if (it == _logs.end()) {
            return sdk::status(sdk::errc::not_found, "no log named '" + std::string(name) + "'");
        }
        if (it->second->open.load(std::memory_order_acquire)) {
            return sdk::status(sdk::errc::locked, "log '" + std::string(name) + "' is open; close it first");
        }
        const log_id id = it->second->id;
        rocksdb::WriteBatch wb;
        auto s = wb.DeleteRange(_db->logs(), fixed_key::first_of(id).slice(), fixed_key::past(id).slice());
        if (s.ok()) {
            s = wb.DeleteRange(_db->time_index(), fixed_key::first_of(id).slice(), fixed_key::past(id).slice());
        }
        if (s.ok()) {
            s = wb.Delete(_db->log_meta(), rocksdb::Slice(name.data(), name.size()));
        }
        if (!s.ok()) {
            return to_status(s, "staging the removal of log '" + std::string(name) + "'");
        }
        const bool sync = _db->config().fsync != fsync_policy::none;
        if (auto st = _db->write(wb, "removing log", name, sync); !st.ok()) {
            return st;
        }
        _logs.erase(it);
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory removing a log");
    } catch (...) {
        return sdk::status(sdk::errc::internal, "removing a log failed");
    }
}

sdk::result<std::vector<std::string>> rocksdb_engine::list_logs() noexcept
{
    try {
        std::vector<std::string> names;
        std::lock_guard lock(_mutex);
        if (_closed) {
            return closed_status();
        }
        names.reserve(_logs.size());
        for (const auto& [name, slot] : _logs) {
            names.push_back(name);
        }
        return names;
    } catch (...) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory listing logs");
    }
}

sdk::status rocksdb_engine::close() noexcept
{
    bool first = false;
    {
        std::lock_guard lock(_mutex);
        first = !_closed;
        _closed = true;
    }
    auto st = _db->close(); // idempotent: a second call returns the first result
    if (first && !st.ok() && _logger != nullptr) {
        PLEXUS_LOG(*_logger, error, "closing the rocksdb engine: {}", st.to_string());
    }
    return st;
}

// ---- rocksdb_factory -----------------------------------------------------------------------

sdk::status rocksdb_factory::validate(std::string_view config_json) const noexcept
{
    auto config = parse_config(config_json);
    if (!config) {
        return config.error();
    }
    // Also refuses a compression this librocksdb lacks, before anything is created.
    return make_database_options(*config).error();
}

sdk::result<std::unique_ptr<sdk::storage_engine>> rocksdb_factory::create(const sdk::storage_context& ctx,
                                                                          std::string_view config_json) noexcept
{
    auto config = parse_config(config_json);
    if (!config) {
        return config.error();
    }
    auto engine = rocksdb_engine::open(ctx, *config);
    if (!engine) {
        return engine.error();
    }
    return std::unique_ptr<sdk::storage_engine>(std::move(*engine));
}

} // namespace plexus::storage::rocks
