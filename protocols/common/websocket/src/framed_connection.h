// The sdk::connection a gateway's session gets on a WebSocket listener: what it writes goes
// out as one unmasked WebSocket message per write; closing sends a close frame first. The
// rest is the kernel's connection's.
//
// Threading and lifetime: owned by the websocket_session, on the connection's shard; it
// outlives the inner session (which holds a reference to it).
#pragma once

#include "frame.h"
#include "plexus/sdk/protocol.h"

namespace plexus::protocol::websocket {

/// The close code for the status a session closes with: 1000 for a normal end, 1011 when the
/// broker failed, 1009 for a limit, 1008 for a refused login, 1002 for anything else the
/// peer did wrong.
std::uint16_t close_code_for(const sdk::status& why) noexcept;

class framed_connection final : public sdk::connection
{
  public:
    framed_connection(sdk::connection& conn, opcode data_opcode) noexcept
      : _conn(conn)
      , _data_opcode(data_opcode)
    {
    }

    void write(sdk::buffer_chain data) noexcept override;
    /// Sends the close frame for `why` (unless one went already), then closes the kernel's
    /// connection, which may destroy the session and this object before it returns.
    void close(const sdk::status& why, bool flush = true) noexcept override;
    bool above_high_watermark() const noexcept override { return _conn.above_high_watermark(); }
    void pause_reading() noexcept override { _conn.pause_reading(); }
    void resume_reading() noexcept override { _conn.resume_reading(); }
    /// WebSocket connections stay on their shard: the outer session decodes frames past the
    /// point where the inner one would ask to move.
    bool move_to(sdk::shard_id) noexcept override { return false; }
    const sdk::peer_info& peer() const noexcept override { return _conn.peer(); }
    std::uint64_t id() const noexcept override { return _conn.id(); }
    sdk::executor& exec() noexcept override { return _conn.exec(); }

    /// Writes a control frame beside the inner session's messages (pong).
    void write_control(opcode op, std::string_view payload) noexcept;
    /// Writes the close frame once; later writes are dropped (nothing may follow it, §5.5.1).
    void send_close(std::uint16_t code, std::string_view reason) noexcept;
    bool close_sent() const noexcept { return _close_sent; }

  private:
    sdk::connection& _conn;
    const opcode _data_opcode;
    bool _close_sent = false;
};

} // namespace plexus::protocol::websocket
