#include "config_section.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <cmath>
#include <cstdio>

namespace plexus::storage {

namespace {

/// The largest integer a JSON number (a double) carries exactly.
constexpr double max_exact_integer = 9007199254740992.0; // 2^53

std::string describe(const google::protobuf::Value& v)
{
    switch (v.kind_case()) {
        case google::protobuf::Value::kNullValue:
            return "null";
        case google::protobuf::Value::kNumberValue: {
            char n[32];
            std::snprintf(n, sizeof n, "%.17g", v.number_value());
            return std::string("a number (") + n + ")";
        }
        case google::protobuf::Value::kStringValue:
            return "a string (\"" + v.string_value() + "\")";
        case google::protobuf::Value::kBoolValue:
            return v.bool_value() ? "a boolean (true)" : "a boolean (false)";
        case google::protobuf::Value::kStructValue:
            return "an object";
        case google::protobuf::Value::kListValue:
            return "a list";
        default:
            return "nothing";
    }
}

} // namespace

config_section::config_section(config_section&&) noexcept = default;
config_section& config_section::operator=(config_section&&) noexcept = default;
config_section::~config_section() = default;

sdk::result<config_section> config_section::parse(std::string_view json, std::string owner) noexcept
{
    try {
        config_section section;
        section._owner = std::move(owner);
        if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) {
            return section;
        }
        // protobuf checks the JSON syntax into a generic Struct; keys are checked by the getters.
        google::protobuf::Struct root;
        auto parsed =
          google::protobuf::util::JsonStringToMessage(google::protobuf::StringPiece(json.data(), json.size()), &root);
        if (!parsed.ok()) {
            return sdk::status(sdk::errc::invalid_argument,
                               section._owner + " is not a JSON object: " + std::string(parsed.message()));
        }
        for (auto& [key, value] : *root.mutable_fields()) {
            section._fields.emplace(key, std::make_unique<google::protobuf::Value>(std::move(value)));
        }
        return section;
    } catch (...) {
        return sdk::status(sdk::errc::internal, owner + " could not be parsed");
    }
}

std::unique_ptr<google::protobuf::Value> config_section::take(std::string_view key)
{
    _known.emplace_back(key);
    auto it = _fields.find(key);
    if (it == _fields.end()) {
        return nullptr;
    }
    auto value = std::move(it->second);
    _fields.erase(it);
    return value;
}

sdk::status config_section::wrong(std::string_view key,
                                  std::string_view expected,
                                  const google::protobuf::Value& got) const
{
    return sdk::status(sdk::errc::invalid_argument,
                       _owner + " key '" + std::string(key) + "': expected " + std::string(expected) + ", got " +
                         describe(got));
}

sdk::result<std::optional<std::uint64_t>> config_section::integer(std::string_view key, std::uint64_t minimum) noexcept
{
    try {
        auto v = take(key);
        if (!v) {
            return std::optional<std::uint64_t>{};
        }
        const std::string expected = "an integer >= " + std::to_string(minimum);
        if (v->kind_case() != google::protobuf::Value::kNumberValue) {
            return wrong(key, expected, *v);
        }
        const double d = v->number_value();
        if (!(d >= static_cast<double>(minimum)) || d > max_exact_integer || std::floor(d) != d) {
            return wrong(key, expected, *v);
        }
        return std::optional<std::uint64_t>(static_cast<std::uint64_t>(d));
    } catch (...) {
        return sdk::status(sdk::errc::internal, _owner + " could not be read");
    }
}

sdk::result<std::optional<std::uint64_t>> config_section::integer_in(std::string_view key,
                                                                     std::uint64_t minimum,
                                                                     std::uint64_t maximum) noexcept
{
    auto v = integer(key, minimum);
    if (v && v->has_value() && **v > maximum) {
        try {
            return sdk::status(sdk::errc::invalid_argument,
                               _owner + " key '" + std::string(key) + "': at most " + std::to_string(maximum) +
                                 ", got " + std::to_string(**v));
        } catch (...) {
            return sdk::status(sdk::errc::internal, "config could not be read");
        }
    }
    return v;
}

sdk::result<std::optional<std::string>> config_section::text(std::string_view key) noexcept
{
    try {
        auto v = take(key);
        if (!v) {
            return std::optional<std::string>{};
        }
        if (v->kind_case() != google::protobuf::Value::kStringValue || v->string_value().empty()) {
            return wrong(key, "a non-empty string", *v);
        }
        return std::optional<std::string>(v->string_value());
    } catch (...) {
        return sdk::status(sdk::errc::internal, _owner + " could not be read");
    }
}

sdk::result<std::optional<std::string>> config_section::one_of(std::string_view key,
                                                               std::initializer_list<std::string_view> choices) noexcept
{
    try {
        auto v = take(key);
        if (!v) {
            return std::optional<std::string>{};
        }
        std::string expected = "one of";
        for (auto c : choices) {
            expected += (expected.size() > 6 ? ", " : " ") + std::string(c);
        }
        if (v->kind_case() != google::protobuf::Value::kStringValue) {
            return wrong(key, expected, *v);
        }
        for (auto c : choices) {
            if (v->string_value() == c) {
                return std::optional<std::string>(v->string_value());
            }
        }
        return wrong(key, expected, *v);
    } catch (...) {
        return sdk::status(sdk::errc::internal, _owner + " could not be read");
    }
}

sdk::result<std::optional<bool>> config_section::boolean(std::string_view key) noexcept
{
    try {
        auto v = take(key);
        if (!v) {
            return std::optional<bool>{};
        }
        if (v->kind_case() != google::protobuf::Value::kBoolValue) {
            return wrong(key, "true or false", *v);
        }
        return std::optional<bool>(v->bool_value());
    } catch (...) {
        return sdk::status(sdk::errc::internal, _owner + " could not be read");
    }
}

sdk::status config_section::finish() const noexcept
{
    try {
        if (_fields.empty()) {
            return {};
        }
        std::string known;
        for (const auto& k : _known) {
            known += (known.empty() ? "" : ", ") + k;
        }
        return sdk::status(sdk::errc::invalid_argument,
                           _owner + ": unknown key '" + _fields.begin()->first +
                             "' (known: " + (known.empty() ? std::string("none") : known) + ")");
    } catch (...) {
        return sdk::status(sdk::errc::internal, _owner + " could not be read");
    }
}

} // namespace plexus::storage
