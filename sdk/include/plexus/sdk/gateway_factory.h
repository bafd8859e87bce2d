// The protocol_factory every gateway writes the same way: the config section is parsed by one
// function (validate() and create() agree on it) and each listener is built from the parsed
// config. A gateway supplies its listener class, its parser and its standard port.
#pragma once

#include "plexus/sdk/protocol.h"
#include "plexus/sdk/result.h"

#include <cstdint>
#include <exception>
#include <memory>
#include <string_view>
#include <type_traits>
#include <vector>

namespace plexus::sdk {

/// `Parse` is `result<Config>(std::string_view) noexcept`; `Listener` is constructible from a
/// `Config&&`. `Port` is the protocol's standard port (the embedded default config uses it).
/// `Formats`, when given, is `std::vector<const record_format*>() noexcept`: the record formats
/// the protocol appends (protocol_factory::record_formats()).
template<class Listener, auto Parse, std::uint16_t Port, auto Formats = nullptr>
class gateway_factory final : public protocol_factory
{
  public:
    status validate(std::string_view config_json) const noexcept override { return Parse(config_json).error(); }
    result<std::unique_ptr<protocol_listener>> create(const listener_context&,
                                                      std::string_view config_json) noexcept override
    {
        auto config = Parse(config_json);
        if (!config) {
            return config.error();
        }
        try {
            return std::unique_ptr<protocol_listener>(std::make_unique<Listener>(std::move(*config)));
        } catch (const std::exception& e) {
            return status(errc::resource_exhausted, std::string("cannot create the listener: ") + e.what());
        }
    }
    std::uint16_t default_port() const noexcept override { return Port; }
    std::vector<const record_format*> record_formats() const noexcept override
    {
        if constexpr (std::is_null_pointer_v<decltype(Formats)>) {
            return {};
        } else {
            return Formats();
        }
    }
};

} // namespace plexus::sdk
