// fake_connection: an sdk::connection for unit tests of protocol sessions, with no socket.
// It records what the session writes and how it closes; tests flip the watermark by hand.
#pragma once

#include "plexus/sdk/protocol.h"
#include "plexus/sdk/testing/fake_executor.h"

#include <optional>
#include <string>

namespace plexus::sdk::testing {

class fake_connection final : public connection
{
  public:
    explicit fake_connection(fake_executor& exec, std::uint64_t id = 1, std::string address = "127.0.0.1:40000")
      : _exec(exec)
      , _id(id)
    {
        _peer.address = std::move(address);
        _peer.loopback = _peer.address.rfind("127.", 0) == 0;
        set_local_end("127.0.0.1", 9092);
    }
    /// The broker's end as the client addressed it (peer_info::local_host / local_port).
    void set_local_end(std::string host, std::uint16_t port)
    {
        _peer.local_host = std::move(host);
        _peer.local_port = port;
    }

    void write(buffer_chain data) noexcept override
    {
        if (!_closed) {
            _written += data.to_string();
        }
    }
    void close(const status& why, bool flush = true) noexcept override
    {
        if (!_closed) {
            _closed = why;
            _flushed_on_close = flush;
        }
    }
    bool above_high_watermark() const noexcept override { return _high; }
    void pause_reading() noexcept override { _reading_paused = true; }
    void resume_reading() noexcept override { _reading_paused = false; }
    /// Records the request; the test plays the kernel's part (the session's on_moved()).
    bool move_to(shard_id shard) noexcept override
    {
        ++_move_requests;
        if (_closed || _moved_to || !_accept_moves) {
            return false;
        }
        _moved_to = shard;
        return true;
    }
    const peer_info& peer() const noexcept override { return _peer; }
    std::uint64_t id() const noexcept override { return _id; }
    executor& exec() noexcept override { return _exec; }

    /// Everything written so far (and clears it with take_written()).
    const std::string& written() const noexcept { return _written; }
    std::string take_written() { return std::exchange(_written, {}); }
    /// Set once close() was called: the reason it was given.
    const std::optional<status>& closed() const noexcept { return _closed; }
    bool flushed_on_close() const noexcept { return _flushed_on_close; }
    void set_above_high_watermark(bool high) noexcept { _high = high; }
    /// Whether the session asked the kernel to stop reading (pause_reading()).
    bool reading_paused() const noexcept { return _reading_paused; }
    /// The shard a move_to() asked for (accepted), until take_move().
    const std::optional<shard_id>& moved_to() const noexcept { return _moved_to; }
    std::optional<shard_id> take_move() { return std::exchange(_moved_to, std::nullopt); }
    /// Whether move_to() accepts (true by default).
    void set_accept_moves(bool accept) noexcept { _accept_moves = accept; }
    /// How often move_to() was called, accepted or not.
    unsigned move_requests() const noexcept { return _move_requests; }

  private:
    fake_executor& _exec;
    std::uint64_t _id;
    peer_info _peer;
    std::string _written;
    std::optional<status> _closed;
    bool _reading_paused = false;
    std::optional<shard_id> _moved_to;
    bool _accept_moves = true;
    unsigned _move_requests = 0;
    bool _flushed_on_close = false;
    bool _high = false;
};

} // namespace plexus::sdk::testing
