// STOMP 1.2 frames for the STOMP driver: writing client frames and reading server frames from
// a byte stream. Bodies are binary (the bench payload holds NUL bytes), so every frame written
// with a body carries content-length, and a frame read with content-length is taken by length.
// Header values are kept as they were on the wire (escaped): the driver only reads numbers
// and echoes ids back, which must go back exactly as they came.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace plexus::bench {

struct stomp_frame
{
    std::string_view command;
    std::vector<std::pair<std::string_view, std::string_view>> headers;
    std::span<const std::byte> body;

    /// The first header of that name (STOMP 1.2: repeated headers, the first wins); empty
    /// when absent.
    std::string_view header(std::string_view name) const noexcept;
};

/// Appends one frame to `out`: the command, the headers, content-length when `body` is not
/// empty, the body and the NUL.
void write_stomp_frame(std::string& out,
                       std::string_view command,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                       std::span<const std::byte> body = {});

class stomp_reader
{
  public:
    enum class status
    {
        frame,      // `out` holds the next frame, valid until the next call that changes the reader
        incomplete, // feed more bytes
        malformed,  // the stream cannot be read on; error() says why
    };

    /// Where the next received bytes go: at least `n` bytes of room, filled by the caller,
    /// who then calls `commit(filled)`.
    std::span<char> room(std::size_t n);
    void commit(std::size_t filled) noexcept { _end += filled; }

    /// Takes the next frame out of what was fed, skipping heart-beat EOLs between frames.
    status next(stomp_frame& out);
    const std::string& error() const noexcept { return _error; }

  private:
    std::string _buffer;
    std::size_t _begin = 0; // first unread byte
    std::size_t _end = 0;   // one past the last fed byte
    std::string _error;
};

} // namespace plexus::bench
