// A storage engine's config section (JSON text from the kernel), read key by key.
//
// Each getter takes its key out of the section; finish() then refuses whatever is left, naming
// the unknown key and the known ones. Every error names the engine and the key, so plexusd's
// one-line startup error says what to fix.
#pragma once

#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"

#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace google::protobuf {
class Value;
}

namespace plexus::storage {

class config_section
{
  public:
    /// `owner` names the section in errors, e.g. "file engine config". Empty or blank JSON is
    /// an empty section.
    static sdk::result<config_section> parse(std::string_view json, std::string owner) noexcept;

    config_section(config_section&&) noexcept;
    config_section& operator=(config_section&&) noexcept;
    ~config_section();

    /// A whole number >= minimum (JSON numbers carry integers exactly up to 2^53).
    sdk::result<std::optional<std::uint64_t>> integer(std::string_view key, std::uint64_t minimum = 1) noexcept;
    /// A whole number in [minimum, maximum].
    sdk::result<std::optional<std::uint64_t>> integer_in(std::string_view key,
                                                         std::uint64_t minimum,
                                                         std::uint64_t maximum) noexcept;
    /// integer_in() stored into `target` when the key is present; `target` keeps its default otherwise.
    template<class T>
    sdk::status read_integer(std::string_view key, std::uint64_t minimum, std::uint64_t maximum, T& target) noexcept
    {
        auto v = integer_in(key, minimum, maximum);
        if (!v) {
            return v.error();
        }
        if (v->has_value()) {
            target = static_cast<T>(**v);
        }
        return {};
    }
    /// Any non-empty string (a host name, say).
    sdk::result<std::optional<std::string>> text(std::string_view key) noexcept;
    /// A string that is one of `choices`.
    sdk::result<std::optional<std::string>> one_of(std::string_view key,
                                                   std::initializer_list<std::string_view> choices) noexcept;
    sdk::result<std::optional<bool>> boolean(std::string_view key) noexcept;
    /// invalid_argument naming the first key no getter asked for.
    sdk::status finish() const noexcept;

  private:
    config_section() = default;
    std::unique_ptr<google::protobuf::Value> take(std::string_view key);
    sdk::status wrong(std::string_view key, std::string_view expected, const google::protobuf::Value& got) const;

    std::string _owner;
    std::map<std::string, std::unique_ptr<google::protobuf::Value>, std::less<>> _fields;
    std::vector<std::string> _known;
};

} // namespace plexus::storage
