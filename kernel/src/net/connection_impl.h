// One accepted socket: reads into shared slabs and hands them to its protocol session, writes
// queued chains with one gathered write at a time, and closes exactly once. Lives on one shard
// at a time (every member runs there) and moves to another when its session asks (move_to());
// kept alive by its read and write coroutines and, between shards, by the move.
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

class connection_impl;

/// What re-homes a connection on another shard: the registry of live connections
/// (listener_set). Called on the connection's shard.
class connection_mover
{
  public:
    virtual bool has_shard(sdk::shard_id shard) const noexcept = 0;
    /// Takes `conn` (stopped: no read, no write under way) out of its shard's registry and
    /// has connection_impl::arrive() called on `to` with that shard's socket context.
    virtual void move(std::shared_ptr<connection_impl> conn, sdk::shard_id to) noexcept = 0;

  protected:
    ~connection_mover() = default;
};

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
                    std::function<void(connection_impl*)> on_gone,
                    connection_mover* mover = nullptr);
    ~connection_impl();

    /// Attaches the session and starts reading.
    void start(std::unique_ptr<sdk::protocol_session> session);

    /// The socket handed over to another shard (the mover, on the old shard): this object no
    /// longer has one until arrive().
    struct released_socket
    {
        int fd = -1;
        boost::asio::ip::tcp protocol = boost::asio::ip::tcp::v4();
    };
    released_socket release_socket() noexcept;
    /// On the new shard: the socket again, on that shard's context, and that shard's registry;
    /// tells the session (on_moved) and goes on reading. Closes when the socket cannot be
    /// adopted.
    void arrive(shard_executor& exec,
                released_socket socket,
                sdk::kernel& k,
                std::function<void(connection_impl*)> on_gone) noexcept;

    void write(sdk::buffer_chain data) noexcept override;
    void close(const sdk::status& why, bool flush = true) noexcept override;
    bool above_high_watermark() const noexcept override { return _queued_bytes > _limits.high_watermark; }
    void pause_reading() noexcept override { _read_paused = true; }
    void resume_reading() noexcept override;
    bool move_to(sdk::shard_id shard) noexcept override;
    const sdk::peer_info& peer() const noexcept override { return _peer; }
    std::uint64_t id() const noexcept override { return _id; }
    sdk::executor& exec() noexcept override { return *_exec; }

  private:
    /// Hands the connection to the mover once a requested move finds it stopped.
    void hand_off_if_stopped();
    void start_writing();
    void start_reading();
    boost::asio::awaitable<void> read_loop();
    boost::asio::awaitable<void> write_loop();
    void finish(const sdk::status& why);

    boost::asio::ip::tcp::socket _socket;
    shard_executor* _exec;
    std::uint64_t _id;
    net_limits _limits;
    std::uint64_t _writes = 0; ///< write() calls so far: the read coalescer's "answered"
    sdk::logger& _log;         // the listeners' (kernel.net): closes the kernel itself decides on
    std::function<void(connection_impl*)> _on_gone;
    connection_mover* _mover;
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
    bool _moving = false;        // move_to() accepted: no more input here; the hand-off follows
    bool _in_transit = false;    // handed off, not yet arrived: no socket
    sdk::shard_id _move_target{ 0 };
    sdk::status _close_reason;
};

} // namespace plexus::kernel
