#include "file_config.h"

#include "config_section.h"

namespace plexus::storage::file {

namespace {

/// Reads `key` into `target` when present, through `getter`; returns the error otherwise.
template<class Getter, class Apply>
sdk::status read_key(Getter&& getter, Apply&& apply)
{
    auto value = getter();
    if (!value) {
        return value.error();
    }
    if (value->has_value()) {
        apply(**value);
    }
    return {};
}

} // namespace

sdk::result<engine_config> parse_config(std::string_view json) noexcept
{
    auto section = config_section::parse(json, "file engine config");
    if (!section) {
        return section.error();
    }
    engine_config c;
    auto& s = *section;
    sdk::status st;
    st = read_key(
      [&] {
          return s.one_of("fsync", { "always", "batch", "none" });
      },
      [&](const std::string& v) {
          c.fsync = v == "always" ? fsync_policy::always : (v == "none" ? fsync_policy::none : fsync_policy::batch);
      });
    if (st.ok()) {
        st = read_key([&] { return s.integer("batch_delay_ms", 0); },
                      [&](std::uint64_t v) { c.batch_delay = std::chrono::milliseconds(v); });
    }
    if (st.ok()) {
        st = read_key([&] { return s.integer("segment_bytes", min_segment_bytes); },
                      [&](std::uint64_t v) { c.segment_bytes = v; });
    }
    if (st.ok() && c.segment_bytes > max_segment_bytes) {
        st = sdk::status(sdk::errc::invalid_argument,
                         "file engine config key 'segment_bytes': at most 1073741824 (1 GiB), got " +
                           std::to_string(c.segment_bytes));
    }
    if (st.ok()) {
        st = read_key([&] { return s.integer("segment_ms"); },
                      [&](std::uint64_t v) { c.segment_age = std::chrono::milliseconds(v); });
    }
    if (st.ok()) {
        st = read_key([&] { return s.integer("index_interval_bytes", 64); },
                      [&](std::uint64_t v) {
                          c.index_interval_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(v, 1u << 30));
                      });
    }
    if (st.ok()) {
        st = read_key(
          [&] {
              return s.one_of("verify_on_start", { "changed", "all" });
          },
          [&](const std::string& v) { c.verify_all_on_start = v == "all"; });
    }
    if (st.ok()) {
        st = s.finish();
    }
    if (!st.ok()) {
        return st;
    }
    return c;
}

} // namespace plexus::storage::file
