// One accepted socket: reads into shared slabs and hands them to its protocol session, writes
// queued chains with one gathered write at a time, and closes exactly once. Lives on one shard
// (every member runs there); kept alive by its read and write coroutines.
#pragma once

#include "kernel/src/net/listener_set.h"
#include "plexus/sdk/log.h"
#include "plexus/sdk/protocol.h"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <deque>
#include <functional>
#include <memory>

namespace plexus::kernel {

class connection_impl final
  : public sdk::connection
  , public std::enable_shared_from_this<connection_impl>
{
  public:
    connection_impl(boost::asio::ip::tcp::socket socket,
                    shard_executor& exec,
                    std::uint64_t id,
                    const net_limits& limits,
                    sdk::logger& log,
                    std::function<void(connection_impl*)> on_gone);
    ~connection_impl();

    /// Attaches the session and starts reading.
    void start(std::unique_ptr<sdk::protocol_session> session);

    void write(sdk::buffer_chain data) noexcept override;
    void close(const sdk::status& why, bool flush = true) noexcept override;
    bool above_high_watermark() const noexcept override { return _queued_bytes > _limits.high_watermark; }
    void pause_reading() noexcept override { _read_paused = true; }
    void resume_reading() noexcept override;
    const sdk::peer_info& peer() const noexcept override { return _peer; }
    std::uint64_t id() const noexcept override { return _id; }
    sdk::executor& exec() noexcept override { return _exec; }

  private:
    void start_reading();
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    void finish(const sdk::status& why);

    boost::asio::ip::tcp::socket _socket;
    shard_executor& _exec;
    std::uint64_t _id;
    net_limits _limits;
    std::uint64_t _writes = 0; ///< write() calls so far: the read coalescer's "answered"
    sdk::logger& _log;         // the listeners' (kernel.net): closes the kernel itself decides on
    std::function<void(connection_impl*)> _on_gone;
    sdk::peer_info _peer;
    std::unique_ptr<sdk::protocol_session> _session;
    sdk::buffer_chain _inbound;
    std::deque<sdk::buffer_chain> _outq;
    std::size_t _queued_bytes = 0;
    bool _writing = false;
    bool _reading = false;       // read_loop() runs (it ends when paused, and is started again on resume)
    bool _read_paused = false;   // pause_reading(): no further reads
    bool _writable_owed = false; ///< the queue went above the high watermark; on_writable() is due
    bool _closing = false;       // no more input is processed
    bool _finished = false;      // on_close ran
    sdk::status _close_reason;
};

} // namespace plexus::kernel
