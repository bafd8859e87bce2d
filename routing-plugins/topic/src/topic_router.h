// topic: wildcard routing over a trie of words, in two syntaxes chosen per exchange:
//   AMQP: words split on '.', '*' matches one word, '#' matches zero or more words;
//   MQTT: levels split on '/', '+' matches one level, '#' matches this level and every level
//         below (so "a/#" matches "a"); topics starting with '$' are not matched by a filter
//         whose first level is a wildcard.
// route() splits the key into string_views on the stack and walks the trie (no allocation).
// One instance per shard; no locks.
#pragma once

#include "plexus/sdk/routing.h"

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace plexus::routing::topic {

class topic_router final : public sdk::router
{
  public:
    static constexpr const char* name = "topic";
    explicit topic_router(const sdk::router_spec& spec);
    explicit topic_router(sdk::topic_syntax syntax);
    topic_router(const topic_router& other);

    sdk::status bind(const sdk::binding& b) noexcept override;
    sdk::status unbind(const sdk::binding& b) noexcept override;
    void route(std::string_view key, const sdk::headers& h, sdk::destination_set& out) const noexcept override;
    sdk::router_caps caps() const noexcept override { return { true, false, false }; }
    std::size_t binding_count() const noexcept override { return _count; }
    sdk::result<std::unique_ptr<sdk::router>> clone() const noexcept override;

  private:
    struct node;
    struct word_hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>()(s); }
    };
    struct node
    {
        std::unordered_map<std::string, std::unique_ptr<node>, word_hash, std::equal_to<>> words;
        std::unique_ptr<node> one;  // '*' or '+'
        std::unique_ptr<node> many; // '#'
        std::vector<sdk::destination_id> destinations;
        std::unique_ptr<node> copy() const;
    };
    struct route_state
    {
        const std::string_view* words;
        std::size_t count;
        sdk::destination_set* out;
    };

    /// The node for `pattern`, created when `create`; nullptr when absent.
    node* find(std::string_view pattern, bool create);
    void match(const node& n, std::size_t i, const route_state& s, bool at_root) const noexcept;

    sdk::topic_syntax _syntax;
    char _separator;
    std::string_view _one;
    std::unique_ptr<node> _root;
    std::size_t _count = 0;
};

} // namespace plexus::routing::topic
