#include "arguments.h"

namespace plexus::protocol::amqp091 {

std::optional<sdk::header_value> to_scalar(const field_value& v)
{
    return std::visit(
      [](const auto& x) -> std::optional<sdk::header_value> {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::monostate> || std::is_same_v<T, bool> ||
                        std::is_same_v<T, std::int64_t> || std::is_same_v<T, double> ||
                        std::is_same_v<T, std::string>) {
              return sdk::header_value(x);
          } else {
              return std::nullopt;
          }
      },
      v.value);
}

sdk::headers to_arguments(const field_table& t)
{
    sdk::headers out;
    out.reserve(t.size());
    for (const auto& e : t) {
        if (auto s = to_scalar(e.value)) {
            out.push_back({ e.key, std::move(*s) });
        } else {
            std::string raw;
            wire_writer w(raw);
            write_value(w, e.value);
            out.push_back({ e.key, std::move(raw) });
        }
    }
    return out;
}

} // namespace plexus::protocol::amqp091
