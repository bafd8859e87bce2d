// Routing plugins: an exchange type (AMQP direct/fanout/topic/headers, or one a user writes).
// The factory creates one router per exchange; the kernel keeps a clone per shard and applies
// every bind/unbind to each clone on its own shard, so route() needs no locks.
#pragma once

#include "plexus/sdk/message.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"
#include "plexus/sdk/strong_types.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::sdk {

/// A binding from an exchange to a destination (a queue or a stream).
struct binding
{
    std::string key;            ///< binding key / pattern; meaning is the router's
    destination_id destination; ///< kernel id of the bound queue or stream
    headers arguments;          ///< e.g. x-match for the headers router
};

/// Where route() writes its matches. The caller clears it before routing and deduplicates
/// after, so routers may append the same destination twice.
class destination_set
{
  public:
    void add(destination_id d) { _items.push_back(d); }
    void clear() noexcept { _items.clear(); }
    std::size_t size() const noexcept { return _items.size(); }
    bool empty() const noexcept { return _items.empty(); }
    const destination_id* begin() const noexcept { return _items.data(); }
    const destination_id* end() const noexcept { return _items.data() + _items.size(); }
    destination_id operator[](std::size_t i) const noexcept { return _items[i]; }
    /// Sorts and removes duplicates.
    void deduplicate();

  private:
    std::vector<destination_id> _items;
};

enum class topic_syntax : std::uint8_t
{
    amqp, ///< words split on '.', '*' = one word, '#' = zero or more words
    mqtt, ///< levels split on '/', '+' = one level, '#' = this level and all below; '$' topics
          ///< are not matched by a leading wildcard
};

struct router_caps
{
    bool wildcards = false; ///< binding keys are patterns
    bool header_matching = false;
    bool key_ignored = false; ///< fanout: every binding matches
};

/// The arguments an exchange is declared with, as a router sees them.
struct router_spec
{
    std::string exchange;
    headers arguments;
    topic_syntax syntax = topic_syntax::amqp;
};

/// One exchange's routing table. Owned by one shard; never shared between threads.
class router
{
  public:
    virtual ~router() = default;
    /// Adds a binding. Idempotent: binding twice is one binding.
    virtual status bind(const binding& b) noexcept = 0;
    /// Removes a binding; not_found when it does not exist.
    virtual status unbind(const binding& b) noexcept = 0;
    /// Hot path: appends the destinations matching (key, headers) to `out`.
    /// Must not allocate except when `out` grows, block, or throw.
    virtual void route(std::string_view key, const headers& h, destination_set& out) const noexcept = 0;
    virtual router_caps caps() const noexcept = 0;
    virtual std::size_t binding_count() const noexcept = 0;
    /// A deep copy with the same bindings, for another shard.
    virtual result<std::unique_ptr<router>> clone() const noexcept = 0;
};

/// What a routing plugin's descriptor creates.
class router_factory
{
  public:
    virtual ~router_factory() = default;
    /// Checks the plugin's config section (JSON text, "{}" when absent).
    virtual status validate(std::string_view config_json) const noexcept = 0;
    /// Applies the config; called once, after validate() succeeded for every plugin.
    virtual status configure(std::string_view config_json) noexcept = 0;
    /// A router for one exchange; invalid_argument for arguments it does not accept.
    virtual result<std::unique_ptr<router>> create(const router_spec& spec) noexcept = 0;
};

inline void destination_set::deduplicate()
{
    if (_items.size() < 2) {
        return;
    }
    std::sort(_items.begin(), _items.end());
    _items.erase(std::unique(_items.begin(), _items.end()), _items.end());
}

} // namespace plexus::sdk
