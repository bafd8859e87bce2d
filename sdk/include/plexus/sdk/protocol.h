// Protocol plugins (gateways). The kernel owns the sockets: it accepts, reads into shared
// slabs, writes gathered chains, applies limits and closes. The plugin owns the bytes and the
// protocol's state machine: one protocol_session per connection.
//
// Threading: a connection and its session live on one shard at a time, the one that accepted
// them until the session asks to move (connection::move_to()); every call below happens on
// the shard they are on.
#pragma once

#include "plexus/sdk/buffer_chain.h"
#include "plexus/sdk/executor.h"
#include "plexus/sdk/kernel.h"
#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace plexus::sdk {

/// One accepted socket, implemented by the kernel.
class connection
{
  public:
    /// Queues bytes to send; gather-written in order; never blocks.
    virtual void write(buffer_chain data) noexcept = 0;
    /// Closes after queued writes are flushed (or at once if `flush` is false). Idempotent;
    /// the session's on_close() follows exactly once.
    virtual void close(const status& why, bool flush = true) noexcept = 0;
    /// Outbound bytes queued above the high watermark: stop producing until
    /// protocol_session::on_writable() is called.
    virtual bool above_high_watermark() const noexcept = 0;
    /// Stops reading from the socket: what the client sends next waits in the system's socket
    /// buffers, and TCP makes it wait (a session that holds requests while its responses are
    /// not read pushes back instead of buffering or disconnecting). At most the read already
    /// under way still reaches on_data(). Nothing is offered again on resume: a session that
    /// pauses keeps whatever it was given. Both calls on the connection's shard; idempotent.
    virtual void pause_reading() noexcept = 0;
    /// Reads again after pause_reading().
    virtual void resume_reading() noexcept = 0;
    /// Moves the connection and its session to `shard` (an executor id, as in
    /// publish_ack::home_shard), where the session's work is: a publisher on the shard of the
    /// queue it feeds saves a hand-off between threads per message. Returns false, changing
    /// nothing, when the connection is closing, already moving, or `shard` is its own or no
    /// shard. After true: on_data() is not called here again (a read under way is cancelled,
    /// or what it read is kept); bytes written until on_moved() go out first, in order; then
    /// on the new shard protocol_session::on_moved() is called before any on_data(), and the
    /// input not consumed yet is offered again. The session must have nothing pending on this
    /// shard when it asks (kernel callbacks, timers, posted tasks): what ran here afterwards
    /// would race with the new shard. The connection object, its id and its peer stay.
    virtual bool move_to(shard_id shard) noexcept = 0;
    virtual const peer_info& peer() const noexcept = 0;
    virtual std::uint64_t id() const noexcept = 0;
    /// The shard the connection is on; another one after a move.
    virtual executor& exec() noexcept = 0;

  protected:
    ~connection() = default; // owned by the kernel
};

/// One connection's protocol state, implemented by the plugin.
class protocol_session
{
  public:
    virtual ~protocol_session() = default;
    /// New bytes arrived; `in` holds everything not consumed yet. Consume whole frames
    /// (in.trim_front) and leave a partial tail. A failed status closes the connection (the
    /// session writes its protocol's error first).
    virtual status on_data(buffer_chain& in) noexcept = 0;
    /// Outbound queue fell below the low watermark.
    virtual void on_writable() noexcept {}
    /// The connection is gone (peer closed, error, shutdown). Called exactly once; the session
    /// is destroyed right after.
    virtual void on_close(const status& why) noexcept = 0;
    /// The connection moved (connection::move_to()); `k` is the new shard's facade, which
    /// replaces the one the session had. Runs on the new shard, before any on_data() there.
    /// A session that never asks to move never gets it.
    virtual void on_moved(kernel& k) noexcept { (void)k; }
};

/// One listener's instance of a protocol (one per configured listener).
class protocol_listener
{
  public:
    virtual ~protocol_listener() = default;
    /// A session for a freshly accepted connection, on the connection's shard. `k` is that
    /// shard's facade; both outlive the session.
    virtual std::unique_ptr<protocol_session> new_session(connection& conn, kernel& k) noexcept = 0;
};

struct listener_context
{
    std::string listener_name;
    logger* log = nullptr;
};

/// What a protocol plugin's descriptor creates.
class protocol_factory
{
  public:
    virtual ~protocol_factory() = default;
    virtual status validate(std::string_view config_json) const noexcept = 0;
    virtual result<std::unique_ptr<protocol_listener>> create(const listener_context& ctx,
                                                              std::string_view config_json) noexcept = 0;
    /// The port this protocol uses when the config names none (1883, 5672, 61613, 9092).
    virtual std::uint16_t default_port() const noexcept = 0;
    /// The record formats this protocol appends batches in (encoded_records), for the kernel
    /// to decode for readers that need messages. They live as long as the factory.
    virtual std::vector<const record_format*> record_formats() const noexcept { return {}; }
};

} // namespace plexus::sdk
