#include "gateway_config.h"

#include "config_section.h"

#include <string>

namespace plexus::protocol::kafka {

sdk::result<gateway_config> parse_gateway_config(std::string_view json) noexcept
try {
    auto section = storage::config_section::parse(json, "kafka listener config");
    if (!section) {
        return section.error();
    }
    auto& s = *section;
    gateway_config c;
    auto flag = [&](std::string_view key, bool& target) -> sdk::status {
        auto v = s.boolean(key);
        if (!v) {
            return v.error();
        }
        if (v->has_value()) {
            target = **v;
        }
        return {};
    };
    // `target` is a std::string (keeps its default when the key is absent) or a
    // std::optional<std::string> (stays unset).
    auto text = [&](std::string_view key, auto& target) -> sdk::status {
        auto v = s.text(key);
        if (!v) {
            return v.error();
        }
        if (v->has_value()) {
            target = **v;
        }
        return {};
    };
    auto sasl = [&]() -> sdk::status {
        auto v = s.text("sasl");
        if (!v) {
            return v.error();
        }
        if (!v->has_value()) {
            return {};
        }
        if (**v == "required") {
            c.sasl = sasl_mode::required;
        } else if (**v == "optional") {
            c.sasl = sasl_mode::optional;
        } else if (**v == "off") {
            c.sasl = sasl_mode::off;
        } else {
            return sdk::status(sdk::errc::invalid_argument,
                               "kafka listener config key 'sasl': expected required, optional or off, got '" + **v +
                                 "'");
        }
        return {};
    };
    std::uint64_t poll_ms = static_cast<std::uint64_t>(c.fetch_poll_interval.count());
    for (auto st : { s.read_integer("max_request_bytes", 1024, 1u << 30, c.max_request_bytes),
                     flag("auto_create_topics", c.auto_create_topics),
                     s.read_integer("default_partitions", 1, 10000, c.default_partitions),
                     text("advertised_host", c.advertised_host),
                     s.read_integer("advertised_port", 1, 65535, c.advertised_port),
                     text("vhost", c.vhost),
                     s.read_integer("fetch_poll_interval_ms", 1, 1000, poll_ms),
                     sasl(),
                     s.finish() }) {
        if (!st.ok()) {
            return st;
        }
    }
    c.fetch_poll_interval = std::chrono::milliseconds(poll_ms);
    return c;
} catch (const std::exception&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory reading the kafka listener config");
}

} // namespace plexus::protocol::kafka
