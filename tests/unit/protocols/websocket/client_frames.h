// Frames as a client sends them (masked), and server frames read back, for the tests.
#pragma once

#include "frame.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace plexus::protocol::websocket::testing {

/// A client frame: FIN and opcode in the first byte as given (so tests can set RSV bits),
/// the shortest length encoding unless `length_bytes` forces 2 or 8, masked unless told not.
inline std::string client_frame(std::uint8_t first_byte,
                                std::string_view payload,
                                bool masked = true,
                                int length_bytes = 0,
                                std::uint32_t mask = 0x37fa213d)
{
    std::string f;
    f.push_back(static_cast<char>(first_byte));
    const std::uint8_t m = masked ? 0x80 : 0;
    const std::uint64_t n = payload.size();
    if (length_bytes == 0) {
        length_bytes = n < 126 ? 0 : (n <= 0xFFFF ? 2 : 8);
    }
    if (length_bytes == 0) {
        f.push_back(static_cast<char>(m | n));
    } else if (length_bytes == 2) {
        f.push_back(static_cast<char>(m | 126));
        f.push_back(static_cast<char>(n >> 8));
        f.push_back(static_cast<char>(n));
    } else {
        f.push_back(static_cast<char>(m | 127));
        for (int i = 7; i >= 0; --i) {
            f.push_back(static_cast<char>(n >> (8 * i)));
        }
    }
    const char key[4] = { static_cast<char>(mask >> 24),
                          static_cast<char>(mask >> 16),
                          static_cast<char>(mask >> 8),
                          static_cast<char>(mask) };
    if (masked) {
        f.append(key, 4);
    }
    for (std::size_t i = 0; i < payload.size(); ++i) {
        f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
    }
    return f;
}

constexpr std::uint8_t fin = 0x80;

inline std::string text(std::string_view payload)
{
    return client_frame(fin | 0x1, payload);
}
inline std::string binary(std::string_view payload)
{
    return client_frame(fin | 0x2, payload);
}

/// One server frame read from the front of `wire` (which it consumes).
struct server_frame
{
    bool fin = false;
    std::uint8_t op = 0;
    bool masked = false;
    std::string payload;
};

inline server_frame read_server_frame(std::string& wire)
{
    server_frame f;
    if (wire.size() < 2) {
        return f;
    }
    const auto b0 = static_cast<std::uint8_t>(wire[0]);
    const auto b1 = static_cast<std::uint8_t>(wire[1]);
    f.fin = (b0 & 0x80) != 0;
    f.op = b0 & 0x0F;
    f.masked = (b1 & 0x80) != 0;
    std::uint64_t n = b1 & 0x7F;
    std::size_t pos = 2;
    if (n == 126 || n == 127) {
        const int bytes = n == 126 ? 2 : 8;
        n = 0;
        for (int i = 0; i < bytes; ++i) {
            n = (n << 8) | static_cast<std::uint8_t>(wire[pos++]);
        }
    }
    f.payload = wire.substr(pos, n);
    wire.erase(0, pos + n);
    return f;
}

/// The status code of a close frame's payload.
inline int close_status(const server_frame& f)
{
    if (f.payload.size() < 2) {
        return -1;
    }
    return (static_cast<std::uint8_t>(f.payload[0]) << 8) | static_cast<std::uint8_t>(f.payload[1]);
}

} // namespace plexus::protocol::websocket::testing
