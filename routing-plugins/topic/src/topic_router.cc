#include "topic_router.h"

#include "../../common/router_factory.h"

#include "../../common/router_factory.h"

#include <algorithm>
#include <array>

namespace plexus::routing::topic {
namespace {

// Splits `key` on `sep` into `out`; an empty key has no words (RabbitMQ's rule).
template<class Out>
void split(std::string_view key, char sep, Out&& push)
{
    if (key.empty()) {
        return;
    }
    std::size_t start = 0;
    for (;;) {
        auto pos = key.find(sep, start);
        if (pos == std::string_view::npos) {
            push(key.substr(start));
            return;
        }
        push(key.substr(start, pos - start));
        start = pos + 1;
    }
}

constexpr std::size_t stack_words = 32;

} // namespace

std::unique_ptr<topic_router::node> topic_router::node::copy() const
{
    auto n = std::make_unique<node>();
    for (const auto& [w, child] : words) {
        n->words.emplace(w, child->copy());
    }
    if (one) {
        n->one = one->copy();
    }
    if (many) {
        n->many = many->copy();
    }
    n->destinations = destinations;
    return n;
}

topic_router::topic_router(const sdk::router_spec& spec)
  : topic_router(spec.syntax)
{
}

topic_router::topic_router(sdk::topic_syntax syntax)
  : _syntax(syntax)
  , _separator(syntax == sdk::topic_syntax::mqtt ? '/' : '.')
  , _one(syntax == sdk::topic_syntax::mqtt ? "+" : "*")
  , _root(std::make_unique<node>())
{
}

topic_router::topic_router(const topic_router& other)
  : _syntax(other._syntax)
  , _separator(other._separator)
  , _one(other._one)
  , _root(other._root->copy())
  , _count(other._count)
{
}

topic_router::node* topic_router::find(std::string_view pattern, bool create)
{
    node* n = _root.get();
    bool missing = false;
    split(pattern, _separator, [&](std::string_view w) {
        if (missing) {
            return;
        }
        std::unique_ptr<node>* slot = nullptr;
        if (w == "#") {
            slot = &n->many;
        } else if (w == _one) {
            slot = &n->one;
        } else {
            auto it = n->words.find(w);
            if (it == n->words.end()) {
                if (!create) {
                    missing = true;
                    return;
                }
                it = n->words.emplace(std::string(w), std::make_unique<node>()).first;
            }
            n = it->second.get();
            return;
        }
        if (!*slot) {
            if (!create) {
                missing = true;
                return;
            }
            *slot = std::make_unique<node>();
        }
        n = slot->get();
    });
    return missing ? nullptr : n;
}

sdk::status topic_router::bind(const sdk::binding& b) noexcept
{
    try {
        node* n = find(b.key, true);
        if (std::find(n->destinations.begin(), n->destinations.end(), b.destination) == n->destinations.end()) {
            n->destinations.push_back(b.destination);
            ++_count;
        }
        return {};
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory");
    }
}

sdk::status topic_router::unbind(const sdk::binding& b) noexcept
{
    try {
        if (node* n = find(b.key, false)) {
            auto it = std::find(n->destinations.begin(), n->destinations.end(), b.destination);
            if (it != n->destinations.end()) {
                n->destinations.erase(it);
                --_count;
                return {};
            }
        }
    } catch (const std::bad_alloc&) {
        return sdk::status(sdk::errc::resource_exhausted, "out of memory");
    }
    return sdk::status(sdk::errc::not_found, "no binding with pattern '" + b.key + "'");
}

void topic_router::match(const node& n, std::size_t i, const route_state& s, bool at_root) const noexcept
{
    // MQTT: a topic whose first level starts with '$' is not matched by a leading wildcard.
    const bool wildcards_allowed = !(at_root && _syntax == sdk::topic_syntax::mqtt && s.count > 0 &&
                                     !s.words[0].empty() && s.words[0].front() == '$');
    if (n.many && wildcards_allowed) {
        for (std::size_t j = i; j <= s.count; ++j) { // '#' takes zero or more words
            match(*n.many, j, s, false);
        }
    }
    if (i == s.count) {
        for (auto d : n.destinations) {
            s.out->add(d);
        }
        return;
    }
    if (auto it = n.words.find(s.words[i]); it != n.words.end()) {
        match(*it->second, i + 1, s, false);
    }
    if (n.one && wildcards_allowed) {
        match(*n.one, i + 1, s, false);
    }
}

void topic_router::route(std::string_view key, const sdk::headers&, sdk::destination_set& out) const noexcept
{
    std::array<std::string_view, stack_words> on_stack;
    std::size_t count = 0;
    std::vector<std::string_view> spilled; // only for keys with more than 32 words
    try {
        split(key, _separator, [&](std::string_view w) {
            if (count < stack_words) {
                on_stack[count++] = w;
                return;
            }
            if (spilled.empty()) {
                spilled.assign(on_stack.begin(), on_stack.end());
            }
            spilled.push_back(w);
            ++count;
        });
    } catch (const std::bad_alloc&) {
        return;
    }
    route_state s{ spilled.empty() ? on_stack.data() : spilled.data(), count, &out };
    match(*_root, 0, s, true);
}

sdk::result<std::unique_ptr<sdk::router>> topic_router::clone() const noexcept
{
    return clone_router(*this);
}

} // namespace plexus::routing::topic
