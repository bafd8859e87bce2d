// One MQTT connection: CONNECT / CONNACK, keep-alive, the session it takes (new, resumed or
// taken over), publishes in both directions with their QoS flows, subscriptions, the will,
// and closing in both directions.
//
// Lifecycle: created for an accepted socket → awaiting_connect (connect_timeout) →
// connecting (the session's queue is declared and consumed; input is held) → connected
// (CONNACK sent) → closed (DISCONNECT either way, an error, takeover, keep-alive timeout) →
// on_close() → destroyed. Errors: a malformed packet or a protocol violation closes the
// connection, after a v5 DISCONNECT (or CONNACK, before CONNECT was answered) with the
// reason code; 3.1.1 has no way to say why and just closes (spec §4.8 / §4.13).
//
// Threading: everything runs on the connection's shard. Kernel callbacks arrive later on the
// same shard and find out through `_alive` whether the session still exists; the socket is
// never closed from inside a call that still uses the session (closing is posted or returned
// from on_data), because the kernel destroys the session inside close(). Only the
// session_state (shared with a taking-over connection on another shard) is locked.
#pragma once

#include "codec.h"
#include "listener_shared.h"
#include "outbound_topic_aliases.h"
#include "queue_consumer.h"
#include "plexus/sdk/protocol.h"
#include "session_io.h"
#include "shard_follower.h"

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

namespace plexus::protocol::mqtt {

class owner_link;

class session final : public sdk::protocol_session
{
  public:
    session(sdk::connection& conn, sdk::kernel& k, listener_shared& shared, sdk::logger& log);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    sdk::status on_data(sdk::buffer_chain& in) noexcept override;
    void on_writable() noexcept override;
    void on_close(const sdk::status& why) noexcept override;
    void on_moved(sdk::kernel& k) noexcept override;

    // --- from queue_consumer and the registry ------------------------------------------
    void deliver(queue_consumer& from, std::vector<sdk::delivery> batch);
    void consumer_cancelled(queue_consumer& from, const sdk::status& why);
    void taken_over();

  private:
    enum class state : std::uint8_t
    {
        awaiting_connect,
        connecting,
        connected,
        closed,
    };

    /// A delivery ready to go out except for its packet id.
    struct outgoing
    {
        publish_packet packet;
        std::shared_ptr<queue_consumer> from; ///< nullptr for retained messages
        std::uint64_t tag = 0;
    };
    struct inflight
    {
        std::shared_ptr<queue_consumer> from;
        std::uint64_t tag = 0;
        std::uint8_t qos = 1;
        bool released = false; ///< QoS 2: PUBREC received, PUBREL sent
    };
    /// An inbound QoS 1/2 publish waiting for its kernel confirm; acks go out in order.
    struct pending_ack
    {
        std::uint16_t packet_id = 0;
        std::uint8_t qos = 1;
        bool done = false;
        reason_code reason = reason_code::success;
    };

    // session.cc: the connection
    sdk::status process(sdk::buffer_chain& in);
    void handle(packet&& p);
    void on_connect(connect_packet&& c);
    void refuse_connect(reason_code why, std::string text);
    void open_session(bool session_present);
    void connected(bool session_present);
    void on_disconnect(const disconnect_packet& d);
    void start_keep_alive();
    void keep_alive_check();
    /// Closes for a protocol error: DISCONNECT (v5) or CONNACK (before connected) with `why`.
    void fail(reason_code why, std::string text);
    void publish_will_now();
    void leave_offline();

    // session_publish.cc: client → broker
    void on_publish(publish_packet&& p);
    void on_pubrel(const ack_packet& a);
    void publish_to_kernel(const publish_packet& p, std::optional<std::uint64_t> ack_serial);
    void publish_confirmed(std::uint64_t serial, reason_code reason);
    void send_ready_acks();

    // session_move.cc: the shard_follower's hooks
    /// Nothing ties the session to this shard: it has never subscribed, and has no queue.
    bool can_follow() const;
    /// No kernel answer, posted flush or pass of the session is pending on this shard.
    bool idle_here() const;
    void leave_shard();
    void arrive_on_shard();

    // session_subscribe.cc
    void on_subscribe(subscribe_packet&& s);
    void on_unsubscribe(unsubscribe_packet&& u);
    /// Declares the session's own queue if it has none yet, then calls `then(status)`.
    void ensure_queue(sdk::callback<void(sdk::status)> then);
    /// Makes this session a member of a shared subscription's group: the group's queue
    /// (declared when missing), its binding and a consumer on it.
    void join_group(const subscription_entry& entry, const std::string& key, sdk::callback<void(sdk::status)> then);
    /// A resumed session consumes its shared subscriptions' group queues again.
    void rejoin_groups();
    void consume(const std::string& queue, const std::string& shared_key, sdk::callback<void(sdk::status)> then);
    void send_retained(const subscription_entry& sub);

    // session_deliver.cc: broker → client
    std::optional<publish_packet> prepare(const queue_consumer& from, const sdk::delivery& d);
    void send_publish(outgoing&& o);
    void pump();
    void on_puback(const ack_packet& a);
    void on_pubrec(const ack_packet& a);
    void on_pubcomp(const ack_packet& a);
    std::uint16_t next_packet_id();
    void deliveries_written();
    void resend_releases();

    // output and closing
    void send(const packet& p);
    /// A delivery: encoded without a copy into a `packet`; a v5 client's topic alias is set
    /// on it here, in the order packets go out.
    void send(publish_packet& p);
    void queue_output(sdk::buffer_chain bytes);
    void flush();
    void teardown();

    /// Stores the state of a persistent session (session_store.h); call with the session's
    /// mutex held. `offline_since` is 0 while a connection holds the session.
    void persist_locked(sdk::timestamp_ms offline_since = sdk::timestamp_ms{});
    void persist();

    bool v5() const noexcept { return _version == protocol_version::v5; }
    sdk::timestamp_ms now() const noexcept;

    sdk::connection& _conn;
    sdk::kernel* _kernel; ///< this shard's facade: another one after a move
    listener_shared& _shared;
    const gateway_config& _config;
    sdk::logger& _log;
    std::shared_ptr<bool> _alive;
    std::shared_ptr<owner_link> _owner;

    state _state = state::awaiting_connect;
    protocol_version _version = protocol_version::v311;
    std::uint64_t _connection_id = 0;
    const std::string _vhost; ///< the listener's
    std::string _client_id;
    bool _assigned_id = false; ///< the client sent an empty id (v5: returned in CONNACK)
    std::shared_ptr<session_state> _session;
    std::uint64_t _generation = 0;
    std::optional<will_message> _will;
    bool _publish_will = true; ///< false after a normal DISCONNECT (or a refused CONNECT)
    bool _taken_over = false;
    bool _counted_connected = false; ///< in $SYS/broker/clients/connected
    std::uint32_t _session_expiry = 0;

    // client limits from CONNECT
    std::uint16_t _keep_alive = 0;
    bool _server_keep_alive = false; ///< v5: the listener's maximum replaced the client's keep-alive
    std::uint16_t _client_receive_maximum = 65535;
    std::uint32_t _client_max_packet_size = max_variable_byte_integer + 5;
    std::unordered_map<std::uint16_t, std::string> _topic_aliases; ///< the client's, inbound
    outbound_topic_aliases _outbound_aliases;                      ///< ours, on deliveries

    // output
    sdk::buffer_chain _out;
    /// Input passes, flushes and closes (protocols/common/session_io); input is held while
    /// the session's queue is set up, between CONNECT and CONNACK.
    session_io _io;

    // client → broker
    std::uint64_t _next_serial = 0; ///< serial of _acks.front() is _acks_base
    std::uint64_t _acks_base = 0;
    std::deque<pending_ack> _acks;
    std::uint32_t _inbound_unacked = 0; ///< QoS 1/2 publishes not completed (receive maximum)
    std::uint32_t _qos0_unanswered = 0; ///< QoS 0 publishes whose route the kernel has not told

    // broker → client
    std::shared_ptr<queue_consumer> _own;                                     ///< the session's queue
    std::map<std::string, std::shared_ptr<queue_consumer>> _shared_consumers; ///< by "$share/g/f"
    std::map<std::uint16_t, inflight> _inflight;
    std::deque<outgoing> _waiting; ///< QoS 1/2 deliveries beyond the in-flight window
    /// Deliveries that came while connecting, delivered once CONNACK is out.
    std::vector<std::pair<std::shared_ptr<queue_consumer>, sdk::delivery>> _before_connack;
    std::uint16_t _last_packet_id = 0;
    bool _consumers_paused = false;
    std::vector<sdk::callback<void(sdk::status)>> _queue_waiters; ///< ensure_queue() callers
    /// SUBSCRIBE or UNSUBSCRIBE came, or a resumed session consumes: deliveries and the kernel
    /// calls of subscriptions are on this shard from then on.
    bool _consumes = false;

    std::unique_ptr<sdk::timer> _connect_timer;
    std::unique_ptr<sdk::timer> _keep_alive_timer;
    std::chrono::steady_clock::time_point _last_received;
    shard_follower _follower; ///< a publisher follows its subscribers' shard (session_move.cc)
};

} // namespace plexus::protocol::mqtt
