// Cuts STOMP frames off a byte stream however it was fragmented. Incremental: bytes already
// scanned for the end of the headers or the NUL are not scanned again when more arrive, and a
// partial frame is left in the input. The body is shared from the input, never copied.
//
// What it reads (spec 1.2 "Augmented BNF"): EOLs between frames (heart-beats, also accepted
// as CR LF), a command line, header lines `key:value` ending in LF or CR LF, a blank line, a
// body of content-length octets (NULs allowed) or up to the first NUL, and the NUL.
//
// Errors end the stream: after one the input is out of step, so the session sends ERROR and
// closes. Every error says what was wrong, in words a client developer can act on.
#pragma once

#include "frame.h"
#include "version.h"

#include <cstddef>
#include <string>
#include <variant>

namespace plexus::protocol::stomp {

struct parse_limits
{
    std::size_t max_header_bytes = 64 * 1024; ///< command line and header lines together
    std::size_t max_headers = 1000;
    std::size_t max_body_bytes = 16u << 20;
};

struct frame_error
{
    std::string message; ///< short: the ERROR frame's `message` header
    std::string detail;  ///< longer: the ERROR frame's body
};

/// Nothing yet (wait for more bytes), a frame, or the error that ends the stream.
using parse_step = std::variant<std::monostate, frame, frame_error>;

class frame_parser
{
  public:
    explicit frame_parser(parse_limits limits = {})
      : _limits(limits)
    {
    }

    /// Header escaping from now on (the version CONNECTED announced). Until then 1.0 rules.
    void set_version(version v) noexcept { _version = v; }

    /// The next frame off the front of `in`. Heart-beat EOLs before it are consumed too.
    parse_step next(sdk::buffer_chain& in);

  private:
    parse_step read_head(sdk::buffer_chain& in);
    parse_step read_body(sdk::buffer_chain& in);
    parse_step parse_head(std::string_view head);
    void reset() noexcept;

    parse_limits _limits;
    version _version = version::v1_0;

    // The frame being read, kept across calls.
    std::size_t _line_start = 0; ///< where the line being scanned began
    std::size_t _scanned = 0;    ///< bytes already searched for LF (head) or NUL (body)
    bool _have_head = false;
    frame _frame;
    std::size_t _head_end = 0; ///< offset of the body
    std::optional<std::size_t> _content_length;
};

} // namespace plexus::protocol::stomp
