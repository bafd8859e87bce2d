#include "kernel/src/queue/dead_letter.h"

#include "plexus/sdk/dead_letter.h"

#include <algorithm>

namespace plexus::kernel {
namespace {

void set_once(sdk::headers& h, std::string_view key, std::string value)
{
    if (sdk::find_header(h, key) == nullptr) {
        h.push_back({ std::string(key), std::move(value) });
    }
}

bool is_cycle(const std::vector<sdk::death_entry>& deaths, std::string_view queue, death_reason reason)
{
    if (reason == death_reason::rejected) {
        return false;
    }
    const bool been_here = std::any_of(deaths.begin(), deaths.end(), [&](const auto& d) { return d.queue == queue; });
    const bool ever_rejected = std::any_of(
      deaths.begin(), deaths.end(), [](const auto& d) { return d.reason == to_string(death_reason::rejected); });
    return been_here && !ever_rejected;
}

} // namespace

std::string_view to_string(death_reason r) noexcept
{
    switch (r) {
        case death_reason::rejected:
            return "rejected";
        case death_reason::expired:
            return "expired";
        case death_reason::maxlen:
            return "maxlen";
    }
    return "rejected";
}

sdk::message_ptr make_dead_letter(const sdk::message& msg,
                                  std::string_view queue,
                                  death_reason reason,
                                  const dead_letter_route& route,
                                  std::int64_t now_ms)
{
    auto deaths = sdk::deaths_of(msg);
    if (is_cycle(deaths, queue, reason)) {
        return nullptr;
    }
    const std::string_view why = to_string(reason);
    auto same =
      std::find_if(deaths.begin(), deaths.end(), [&](const auto& d) { return d.queue == queue && d.reason == why; });
    sdk::death_entry entry;
    if (same != deaths.end()) {
        entry = std::move(*same);
        deaths.erase(same);
        ++entry.count;
    } else {
        entry.queue = std::string(queue);
        entry.reason = std::string(why);
    }
    entry.time_ms = now_ms;
    entry.exchange = msg.exchange;
    entry.routing_keys = { msg.routing_key };
    if (msg.properties.ttl_ms) {
        entry.original_ttl_ms = msg.properties.ttl_ms;
    }
    deaths.insert(deaths.begin(), std::move(entry));

    auto copy = std::make_shared<sdk::message>(msg);
    copy->exchange = route.exchange;
    copy->routing_key = route.routing_key.value_or(msg.routing_key);
    copy->properties.ttl_ms.reset();
    auto& h = copy->headers_;
    std::string encoded = sdk::encode_deaths(deaths);
    auto existing = std::find_if(h.begin(), h.end(), [](const auto& e) { return e.key == sdk::death_header; });
    if (existing != h.end()) {
        existing->value = std::move(encoded);
    } else {
        h.push_back({ std::string(sdk::death_header), std::move(encoded) });
    }
    set_once(h, "x-first-death-reason", std::string(why));
    set_once(h, "x-first-death-queue", std::string(queue));
    set_once(h, "x-first-death-exchange", msg.exchange);
    return copy;
}

} // namespace plexus::kernel
