// Shared by the built-in routers, which take no settings: accepts "" or "{}" (whitespace
// allowed) and refuses anything else naming what it found. Header-only so that each plugin
// stays a self-contained .so.
#pragma once

#include "plexus/sdk/status.h"

#include <string>
#include <string_view>

namespace plexus::routing {

inline sdk::status check_empty_config(std::string_view router, std::string_view json)
{
    std::string compact;
    for (char c : json) {
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
            compact += c;
        }
    }
    if (compact.empty() || compact == "{}") {
        return {};
    }
    return sdk::status(sdk::errc::invalid_argument,
                       std::string(router) + " router takes no settings, got " + std::string(json));
}

} // namespace plexus::routing
