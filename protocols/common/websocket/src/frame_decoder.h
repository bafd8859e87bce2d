// Turns the bytes a client sends after the handshake into what the transport acts on: the
// unmasked payload of data frames, as soon as it arrives, and whole control frames.
//
// Data frames are not held until their message is complete: the inner protocol reads a byte
// stream (its frames may span WebSocket messages, or share one), so payload is passed on in
// order as it is unmasked. The decoder still tracks messages for the rules about them:
// continuations only inside a fragmented message, no new data frame inside one, and the
// message size limit (checked from each frame's header, before its payload is read).
//
// Threading: one per connection, on its shard.
#pragma once

#include "frame.h"

#include <optional>
#include <vector>

namespace plexus::protocol::websocket {

struct decoded_control
{
    opcode op = opcode::ping;
    std::string payload; ///< unmasked
};

/// One step of what the peer sent, in wire order.
using decoded = std::variant<sdk::buffer_chain, decoded_control>;

class frame_decoder
{
  public:
    explicit frame_decoder(std::uint64_t max_message_bytes) noexcept
      : _max_message_bytes(max_message_bytes)
    {
    }

    /// Consumes from `in` every whole control frame and every payload byte of data frames that
    /// has arrived, appending them to `out` (adjacent payload is merged into one chain). A
    /// partial header or control frame stays in `in`. An error means the connection must be
    /// closed with that code; what was appended before it is still valid.
    std::optional<frame_error> decode(sdk::buffer_chain& in, std::vector<decoded>& out);

  private:
    std::optional<frame_error> start_frame(const frame_header& h);
    void take_payload(sdk::buffer_chain& in, std::vector<decoded>& out);

    const std::uint64_t _max_message_bytes;
    // The data frame whose payload is being read (when _remaining > 0 or just started).
    std::optional<frame_header> _frame;
    std::uint64_t _remaining = 0;
    std::uint64_t _offset = 0; ///< payload bytes of _frame already read (for the mask)
    // The data message in progress: a first frame without FIN was seen.
    bool _in_message = false;
    std::uint64_t _message_bytes = 0;
};

} // namespace plexus::protocol::websocket
