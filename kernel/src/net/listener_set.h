// The broker's listeners: for each configured listener, one SO_REUSEPORT acceptor per shard on
// the same address, so the OS spreads connections across shards and a connection lives on the
// shard that accepted it (ARCHITECTURE.md §5) until its session moves it to another
// (connection::move_to(), docs/adr/0022). Each accepted socket becomes a connection_impl
// driving one protocol_session; the set keeps each shard's live connections.
//
// Lifecycle (main thread): add() each listener (binds) → start() once the shards run →
// stop_accepting() → close_all() → destroy after the shards stopped.
#pragma once

#include "kernel/src/server/shard_set.h"
#include "plexus/sdk/kernel.h"
#include "plexus/sdk/protocol.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace plexus::kernel {

class connection_impl;

struct net_limits
{
    std::size_t max_inbound_bytes = 16u << 20; ///< unconsumed input beyond this closes the connection
    std::size_t high_watermark = 1u << 20;     ///< outbound bytes queued: above_high_watermark()
    std::size_t low_watermark = 256u << 10;    ///< back below: protocol_session::on_writable()
    /// How long a streaming connection's next read waits (read_coalescer.h); 0: never.
    std::chrono::microseconds read_coalesce{ 200 };
};

class listener_set
{
  public:
    listener_set(shard_set& shards,
                 std::function<sdk::kernel&(unsigned)> kernel_of,
                 sdk::logger& log,
                 net_limits limits = {});
    ~listener_set();
    listener_set(const listener_set&) = delete;
    listener_set& operator=(const listener_set&) = delete;

    /// Binds `host:port` on every shard (port 0: the OS picks one, shared by all shards).
    /// errc::unavailable names the listener, the address and the OS error.
    sdk::status add(const std::string& name,
                    const std::string& host,
                    std::uint16_t port,
                    sdk::protocol_listener& protocol);
    /// The bound port of a listener, 0 when unknown.
    std::uint16_t port(const std::string& name) const;
    /// Starts accepting on every shard. Call after shard_set::start().
    void start();
    void stop_accepting();
    /// Closes every connection (their sessions see `why`) and waits until they are gone.
    void close_all(const sdk::status& why);
    std::size_t connection_count() const noexcept;

  private:
    struct listener;
    struct shard_connections;
    class mover;

    /// What a connection calls when it is gone: it leaves its shard's registry.
    static std::function<void(connection_impl*)> forgetter(std::shared_ptr<shard_connections> conns,
                                                           std::shared_ptr<std::atomic<std::size_t>> count);

    shard_set& _shards;
    std::function<sdk::kernel&(unsigned)> _kernel_of;
    sdk::logger& _log;
    net_limits _limits;
    std::vector<std::unique_ptr<listener>> _listeners;
    std::vector<std::shared_ptr<shard_connections>> _connections; // one per shard
    std::shared_ptr<std::atomic<std::size_t>> _count;
    std::unique_ptr<mover> _mover;
};

} // namespace plexus::kernel
