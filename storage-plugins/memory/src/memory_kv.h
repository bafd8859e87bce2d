// The memory engine's metadata store: an ordered map under a mutex. Any shard may call it;
// apply() is atomic (one lock for the whole batch) and calls `done` inline, before it returns.
#pragma once

#include "plexus/sdk/storage.h"

#include <map>
#include <mutex>
#include <string>

namespace plexus::storage::memory {

class memory_kv final : public sdk::kv_store
{
  public:
    memory_kv() = default;
    ~memory_kv() = default;
    memory_kv(const memory_kv&) = delete;
    memory_kv& operator=(const memory_kv&) = delete;

    sdk::result<std::optional<std::string>> get(std::string_view key) noexcept override;
    sdk::result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override;
    void apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept override;

  private:
    std::mutex _mutex;
    std::map<std::string, std::string, std::less<>> _entries;
};

} // namespace plexus::storage::memory
