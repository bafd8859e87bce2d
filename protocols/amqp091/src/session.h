// One AMQP 0-9-1 connection: the protocol header, the start / tune / open handshake,
// heartbeats, the table of channels, and closing in both directions.
//
// Resource alarms: while the kernel has one raised (the disk alarm), a client that announced
// the connection.blocked capability is sent connection.blocked when it publishes, and
// connection.unblocked when the alarm clears; the publishes themselves are refused by the
// kernel (nacked under confirms). The socket keeps being read: the facade cannot pause it.
//
// Lifecycle: created by the listener for an accepted socket → protocol header → start /
// start-ok (SASL) → tune / tune-ok → open (vhost checked with the kernel) → open → closing
// (connection.close sent, waiting for close-ok) or closed → on_close() → destroyed.
//
// Errors: a channel error closes only its channel (channel.h); a connection error sends
// connection.close with the code, the reply text and the offending method, then waits for
// close-ok (2 s at most) — except after a framing error, when the input cannot be trusted
// any more and the socket closes as soon as the close frame is out.
//
// Threading: everything runs on the connection's shard. Kernel callbacks arrive later on the
// same shard and find out through `_alive` whether the session still exists; the socket is
// never closed from inside a call that is still using the session (closing is posted or
// returned from on_data), because the kernel destroys the session inside close().
#pragma once

#include "capabilities.h"
#include "frame.h"
#include "gateway_config.h"
#include "methods.h"
#include "outbound.h"
#include "plexus/sdk/protocol.h"
#include "session_io.h"
#include "shard_follower.h"

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace plexus::protocol::amqp091 {

class channel;

class session final : public sdk::protocol_session
{
  public:
    session(sdk::connection& conn, sdk::kernel& k, const gateway_config& config, sdk::logger& log);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    sdk::status on_data(sdk::buffer_chain& in) noexcept override;
    void on_writable() noexcept override;
    void on_close(const sdk::status& why) noexcept override;
    void on_moved(sdk::kernel& k) noexcept override;

    // --- what channels use ---------------------------------------------------------------
    void send(std::uint16_t channel, const method& m);
    void send_content(std::uint16_t channel,
                      const method& m,
                      const basic_properties& properties,
                      const sdk::buffer_chain& body);
    /// Closes the whole connection for `e`.
    void connection_error(amqp_error e);
    /// Outbound bytes are below the connection's high watermark (deliveries may continue).
    bool writable() const noexcept { return !_conn.above_high_watermark(); }
    bool closing() const noexcept { return _state == state::closing || _state == state::closed; }
    /// Deliveries were queued: they are written now, and when that crossed the connection's
    /// high watermark every consumer of the connection pauses until on_writable().
    void deliveries_written();
    bool consumers_paused() const noexcept { return _consumers_paused; }
    /// A channel received basic.publish: under a resource alarm the client is sent
    /// connection.blocked first (once, until the alarm clears).
    void publishing();
    /// The kernel refused a publish the client asked no confirm for: logged, but at most
    /// once per 10 s per connection (a publisher under the disk alarm refuses thousands).
    void publish_refused(std::uint16_t channel, const sdk::status& why);
    /// A publish was routed (publish_ack::home_shard): after a steady run of them to queues of
    /// one other shard, a connection that only publishes moves there (session_move.cc).
    void published_home(std::optional<sdk::shard_id> home);

    sdk::kernel& kernel() noexcept { return *_kernel; }
    sdk::logger& log() noexcept { return _log; }
    sdk::executor& exec() noexcept { return _conn.exec(); }
    const std::string& vhost() const noexcept { return _vhost; }
    const std::string& user() const noexcept { return _user; }
    std::uint64_t connection_id() const noexcept { return _connection_id; }
    const client_capabilities& client() const noexcept { return _client; }
    const sdk::peer_info& peer() const noexcept { return _conn.peer(); }

  private:
    enum class state : std::uint8_t
    {
        awaiting_header,
        awaiting_start_ok,
        awaiting_tune_ok,
        awaiting_open,
        opening, // connection.open is being checked (by the kernel, while its frame is handled)
        open,
        closing, // we sent connection.close; only close-ok (or close) is read
        closed,  // the socket is about to close
    };

    sdk::status process(sdk::buffer_chain& in);
    sdk::status read_protocol_header(sdk::buffer_chain& in);
    void handle_frame(frame f);
    void handle_connection_method(method&& m);
    void handle_channel_method(std::uint16_t number, method&& m);
    void handle_content_frame(const frame& f);
    void handle_closing(const frame& f);

    void on_start_ok(connection_start_ok&& m);
    void on_tune_ok(const connection_tune_ok& m);
    void on_open(connection_open&& m);
    void opened(const sdk::status& vhost_check);

    /// Follows this shard's alarms (from open, and again after a move).
    void watch_alarms();
    void on_alarms(const sdk::resource_alarms& alarms);

    void start_heartbeats();
    void heartbeat_tick();

    // session_move.cc: the shard_follower's hooks
    /// No channel keeps state the kernel ties to this shard (consumers, a transaction,
    /// unsettled gets): the connection may follow its queues.
    bool can_follow() const;
    /// Nothing of the session is pending on this shard (kernel answers, posted work).
    bool idle_here() const;

    /// Destroys every channel (their subscriptions requeue what was not acked). Posted, since
    /// the caller may be a channel.
    void schedule_teardown();
    void teardown();
    void flush();

    sdk::connection& _conn;
    sdk::kernel* _kernel; // this shard's facade: another one after a move
    const gateway_config& _config;
    sdk::logger& _log;
    std::shared_ptr<bool> _alive;

    state _state = state::awaiting_header;
    outbound _out;
    session_io _io; ///< input passes, flushes and closes (protocols/common/session_io)

    bool _consumers_paused = false;

    std::uint64_t _connection_id = 0;
    std::string _vhost;
    std::string _user;
    client_capabilities _client;
    std::uint16_t _channel_max = 0;
    std::uint32_t _frame_max_in = frame_min_size;
    std::uint16_t _heartbeat = 0;

    std::map<std::uint16_t, std::shared_ptr<channel>> _channels;

    std::unique_ptr<sdk::alarm_watch> _alarm_watch;
    std::uint64_t _refused_unlogged = 0;
    std::chrono::steady_clock::time_point _refused_logged_at{};
    bool _alarm_raised = false;
    bool _blocked = false; // connection.blocked sent, unblocked not yet

    std::unique_ptr<sdk::timer> _handshake_timer;
    std::unique_ptr<sdk::timer> _heartbeat_timer;

    shard_follower _follower; ///< following the queues' shard (session_move.cc)
    std::unique_ptr<sdk::timer> _close_timer;
    bool _sent_since_tick = false;
    bool _received_since_tick = false;
    int _silent_ticks = 0;
};

} // namespace plexus::protocol::amqp091
