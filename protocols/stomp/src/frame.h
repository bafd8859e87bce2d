// A STOMP frame as the gateway sees it: a command, the header lines in the order they came
// (repeated keys kept; the first one is the one that counts, spec 1.2 "Repeated Header
// Entries") and a body that shares the slices it arrived in.
#pragma once

#include "plexus/sdk/buffer_chain.h"

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plexus::protocol::stomp {

enum class command : std::uint8_t
{
    // client frames
    connect,
    stomp, // 1.1+: CONNECT under another name, so that HTTP servers can tell it apart
    send,
    subscribe,
    unsubscribe,
    ack,
    nack,
    begin,
    commit,
    abort,
    disconnect,
    // server frames
    connected,
    message,
    receipt,
    error,
};

/// The command as it is written on the wire ("SEND").
std::string_view name_of(command c) noexcept;
/// The command a command line names; nullopt for anything else (case matters, spec 1.2).
std::optional<command> command_named(std::string_view line) noexcept;

using header_line = std::pair<std::string, std::string>;

struct frame
{
    command cmd = command::send;
    std::vector<header_line> headers;
    sdk::buffer_chain body;

    /// The value of the first header called `key`, or nullptr.
    const std::string* header(std::string_view key) const noexcept;
    void add(std::string key, std::string value) { headers.emplace_back(std::move(key), std::move(value)); }
};

} // namespace plexus::protocol::stomp
