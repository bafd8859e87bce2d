// The memory storage engine: logs and metadata in RAM, nothing survives a restart
// (caps().durable == false). Every completion runs inline, before the call returns.
//
// Threading: open_log / remove_log / list_logs / close may be called from any shard; they
// share one mutex, which guards only the map of logs (the control plane). A log handle is used
// on its owner shard and never locks. The metadata store locks on its own.
#pragma once

#include "memory_kv.h"
#include "memory_log.h"

#include "plexus/sdk/storage.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace plexus::storage::memory {

/// The engine's config section. JSON: {} or {"max_bytes_per_log": N}.
struct engine_config
{
    /// When set, an append that would take a log above this many bytes (message::size_bytes()
    /// summed over its records) fails with resource_exhausted and appends nothing.
    std::optional<std::uint64_t> max_bytes_per_log;
};

/// Parses and checks the config section; invalid_argument naming the key on any problem.
sdk::result<engine_config> parse_config(std::string_view json) noexcept;

class memory_engine final : public sdk::storage_engine
{
  public:
    explicit memory_engine(engine_config config) noexcept
      : _config(config)
    {
    }

    /// Opens the named log, creating it when missing. A log that is already open elsewhere
    /// fails with errc::locked: a log has one owner.
    sdk::result<std::unique_ptr<sdk::log>> open_log(const sdk::log_spec& spec) noexcept override;
    /// Forgets the log's records; not_found when the engine holds no such log. A handle still
    /// open (the SDK says callers close first) keeps working on the detached records, which
    /// are freed with it; the next open_log() of the name starts empty.
    sdk::status remove_log(std::string_view name) noexcept override;
    sdk::result<std::vector<std::string>> list_logs() noexcept override;
    sdk::kv_store& metadata() noexcept override { return _kv; }
    sdk::storage_caps caps() const noexcept override { return { false, false }; }
    /// Nothing to make durable; later open_log() calls fail with unavailable.
    sdk::status close() noexcept override;

  private:
    engine_config _config;
    memory_kv _kv;
    std::mutex _mutex;
    std::map<std::string, std::shared_ptr<log_data>, std::less<>> _logs;
    bool _closed = false;
};

class memory_factory final : public sdk::storage_factory
{
  public:
    sdk::status validate(std::string_view config_json) const noexcept override;
    sdk::result<std::unique_ptr<sdk::storage_engine>> create(const sdk::storage_context& ctx,
                                                             std::string_view config_json) noexcept override;
};

} // namespace plexus::storage::memory
