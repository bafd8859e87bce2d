// The key-value spaces plugins keep their own durable state in (sdk::kernel::plugin_store):
// each a view of the default engine's metadata store under the prefix `plugin/<space>/`, so
// plugin keys never meet the kernel's definitions and cursors.
//
// Threading: the views are created under a mutex (any shard's facade may ask) and live as
// long as the broker; each forwards to the engine's store, which may be used from any thread.
#pragma once

#include "plexus/sdk/storage.h"

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace plexus::kernel {

/// Keys of one space, stored as `plugin/<space>/<key>` in the metadata store.
class prefixed_store final : public sdk::kv_store
{
  public:
    prefixed_store(sdk::kv_store& inner, std::string prefix)
      : _inner(inner)
      , _prefix(std::move(prefix))
    {
    }
    sdk::result<std::optional<std::string>> get(std::string_view key) noexcept override;
    sdk::result<std::vector<std::pair<std::string, std::string>>> scan(std::string_view prefix) noexcept override;
    void apply(std::vector<write> writes, sdk::callback<void(sdk::status)> done) noexcept override;

  private:
    sdk::kv_store& _inner;
    const std::string _prefix;
};

class plugin_stores
{
  public:
    explicit plugin_stores(sdk::kv_store& metadata)
      : _metadata(metadata)
    {
    }

    /// The view of `space`, created on first use.
    sdk::kv_store& space(std::string_view name);

  private:
    sdk::kv_store& _metadata;
    std::mutex _mutex;
    std::map<std::string, std::unique_ptr<prefixed_store>, std::less<>> _spaces;
};

} // namespace plexus::kernel
