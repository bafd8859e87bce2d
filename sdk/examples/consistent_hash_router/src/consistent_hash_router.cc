#include "consistent_hash_router.h"

#include <algorithm>
#include <charconv>
#include <new>
#include <string>
#include <variant>

namespace plexus_example::consistent_hash {
namespace {

using plexus::sdk::errc;
using plexus::sdk::status;

// splitmix64's finaliser: spreads FNV's weak low bits over the whole word.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// The binding key is the weight: decimal digits only, 1..max_weight.
bool parse_weight(std::string_view key, std::uint32_t& weight) noexcept
{
    if (key.empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), weight);
    return ec == std::errc() && end == key.data() + key.size() && weight >= 1 && weight <= max_weight;
}

bool is_space(char c) noexcept
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The plugin has no settings: its config section must be absent ("{}") or empty.
status check_empty_config(std::string_view json) noexcept
{
    std::size_t i = 0;
    auto skip = [&] {
        while (i < json.size() && is_space(json[i])) {
            ++i;
        }
    };
    skip();
    if (i == json.size()) {
        return {};
    }
    if (json[i] == '{') {
        ++i;
        skip();
        if (i < json.size() && json[i] == '}') {
            ++i;
            skip();
            if (i == json.size()) {
                return {};
            }
        }
    }
    return status(errc::invalid_argument,
                  "x_consistent_hash has no settings; its section must "
                  "be empty");
}

} // namespace

std::uint64_t hash64(std::string_view data, std::uint64_t seed) noexcept
{
    std::uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (char c : data) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

consistent_hash_router::consistent_hash_router(std::string hash_header)
  : _hash_header(std::move(hash_header))
{
}

std::vector<consistent_hash_router::point> consistent_hash_router::build_ring(
  const std::vector<weighted_binding>& bindings)
{
    std::size_t total = 0;
    for (const auto& b : bindings) {
        total += std::size_t{ b.weight } * points_per_weight;
    }
    std::vector<point> ring;
    ring.reserve(total);
    for (const auto& b : bindings) {
        // The points depend only on (destination, key), never on binding order, so every shard
        // and every restart builds the same ring from the same bindings.
        const std::uint64_t base = hash64(b.key, mix64(b.destination()));
        const std::uint32_t n = b.weight * points_per_weight;
        for (std::uint32_t i = 0; i < n; ++i) {
            ring.push_back(point{ mix64(base + i), b.destination });
        }
    }
    std::sort(ring.begin(), ring.end());
    return ring;
}

std::vector<consistent_hash_router::weighted_binding>::const_iterator consistent_hash_router::find(
  const plexus::sdk::binding& b) const
{
    return std::find_if(_bindings.begin(), _bindings.end(), [&](const weighted_binding& w) {
        return w.destination == b.destination && w.key == b.key;
    });
}

status consistent_hash_router::bind(const plexus::sdk::binding& b) noexcept
{
    try {
        std::uint32_t weight = 0;
        if (!parse_weight(b.key, weight)) {
            return status(errc::invalid_argument,
                          "x_consistent_hash binding key must be a weight from 1 to " + std::to_string(max_weight) +
                            ", got '" + b.key + "'");
        }
        if (find(b) != _bindings.end()) {
            return {};
        }
        // Build aside and swap, so a failed allocation leaves the router as it was.
        auto bindings = _bindings;
        bindings.push_back(weighted_binding{ b.key, b.destination, weight });
        auto ring = build_ring(bindings);
        _bindings.swap(bindings);
        _ring.swap(ring);
        return {};
    } catch (const std::bad_alloc&) {
        return status(errc::resource_exhausted, "x_consistent_hash: out of memory building ring");
    }
}

status consistent_hash_router::unbind(const plexus::sdk::binding& b) noexcept
{
    auto it = find(b);
    if (it == _bindings.end()) {
        return status(errc::not_found, "x_consistent_hash: no such binding");
    }
    try {
        auto bindings = _bindings;
        bindings.erase(bindings.begin() + (it - _bindings.begin()));
        auto ring = build_ring(bindings);
        _bindings.swap(bindings);
        _ring.swap(ring);
        return {};
    } catch (const std::bad_alloc&) {
        return status(errc::resource_exhausted, "x_consistent_hash: out of memory building ring");
    }
}

void consistent_hash_router::route(std::string_view key,
                                   const plexus::sdk::headers& h,
                                   plexus::sdk::destination_set& out) const noexcept
{
    if (_ring.empty()) {
        return;
    }
    std::string_view hashed = key;
    char number[32]; // the decimal form of a numeric header, without allocating
    if (!_hash_header.empty()) {
        const plexus::sdk::header_value* v = plexus::sdk::find_header(h, _hash_header);
        if (v == nullptr) {
            return; // nothing to hash: unroutable, like a missing hash header in RabbitMQ
        }
        if (const auto* s = std::get_if<std::string>(v)) {
            hashed = *s;
        } else if (const auto* i = std::get_if<std::int64_t>(v)) {
            auto [end, ec] = std::to_chars(number, number + sizeof number, *i);
            hashed = std::string_view(number, static_cast<std::size_t>(end - number));
        } else if (const auto* flag = std::get_if<bool>(v)) {
            hashed = *flag ? "true" : "false";
        } else {
            return; // void or floating point: no stable text form to hash
        }
    }
    const std::uint64_t x = hash64(hashed, 0);
    auto it =
      std::lower_bound(_ring.begin(), _ring.end(), x, [](const point& p, std::uint64_t v) { return p.hash < v; });
    out.add(it == _ring.end() ? _ring.front().destination : it->destination);
}

plexus::sdk::router_caps consistent_hash_router::caps() const noexcept
{
    plexus::sdk::router_caps c;
    c.header_matching = !_hash_header.empty();
    return c;
}

plexus::sdk::result<std::unique_ptr<plexus::sdk::router>> consistent_hash_router::clone() const noexcept
{
    try {
        return std::unique_ptr<plexus::sdk::router>(std::make_unique<consistent_hash_router>(*this));
    } catch (const std::bad_alloc&) {
        return status(errc::resource_exhausted, "x_consistent_hash: out of memory cloning");
    }
}

status consistent_hash_factory::validate(std::string_view config_json) const noexcept
{
    return check_empty_config(config_json);
}

status consistent_hash_factory::configure(std::string_view config_json) noexcept
{
    return check_empty_config(config_json);
}

plexus::sdk::result<std::unique_ptr<plexus::sdk::router>> consistent_hash_factory::create(
  const plexus::sdk::router_spec& spec) noexcept
{
    try {
        std::string header;
        if (const auto* v = plexus::sdk::find_header(spec.arguments, "hash-header")) {
            const auto* s = std::get_if<std::string>(v);
            if (s == nullptr || s->empty()) {
                return status(errc::invalid_argument,
                              "x_consistent_hash: argument hash-header must be a non-empty "
                              "string (exchange '" +
                                spec.exchange + "')");
            }
            header = *s;
        }
        return std::unique_ptr<plexus::sdk::router>(std::make_unique<consistent_hash_router>(std::move(header)));
    } catch (const std::bad_alloc&) {
        return status(errc::resource_exhausted, "x_consistent_hash: out of memory");
    }
}

} // namespace plexus_example::consistent_hash
