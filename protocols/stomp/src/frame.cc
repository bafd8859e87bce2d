#include "frame.h"

#include <array>

namespace plexus::protocol::stomp {
namespace {

constexpr std::array<std::pair<command, std::string_view>, 15> names{ {
  { command::connect, "CONNECT" },
  { command::stomp, "STOMP" },
  { command::send, "SEND" },
  { command::subscribe, "SUBSCRIBE" },
  { command::unsubscribe, "UNSUBSCRIBE" },
  { command::ack, "ACK" },
  { command::nack, "NACK" },
  { command::begin, "BEGIN" },
  { command::commit, "COMMIT" },
  { command::abort, "ABORT" },
  { command::disconnect, "DISCONNECT" },
  { command::connected, "CONNECTED" },
  { command::message, "MESSAGE" },
  { command::receipt, "RECEIPT" },
  { command::error, "ERROR" },
} };

} // namespace

std::string_view name_of(command c) noexcept
{
    for (const auto& [cmd, name] : names) {
        if (cmd == c) {
            return name;
        }
    }
    return "?";
}

std::optional<command> command_named(std::string_view line) noexcept
{
    for (const auto& [cmd, name] : names) {
        if (name == line) {
            return cmd;
        }
    }
    return std::nullopt;
}

const std::string* frame::header(std::string_view key) const noexcept
{
    for (const auto& h : headers) {
        if (h.first == key) {
            return &h.second;
        }
    }
    return nullptr;
}

} // namespace plexus::protocol::stomp
