// One STOMP connection: CONNECT / CONNECTED, the frames of a connected client, heart-beats,
// and ERROR-then-close.
//
// Frames are handled one at a time, in order. A frame that needs the kernel (a queue to
// declare, a subscription to start, a SEND with a receipt, a COMMIT) makes the session busy;
// frames behind it wait in `_pending` until it is done, so receipts and errors keep the order
// of the frames that caused them. A SEND needing nothing new is published without waiting.
//
// Lifecycle: created for an accepted socket → awaiting CONNECT (the parser speaks 1.0) →
// connecting (the vhost is checked) → connected (CONNECTED sent, heart-beats run) → closed
// (after DISCONNECT, an ERROR, a heart-beat timeout or the peer going away) → on_close() →
// destroyed.
//
// Threading: everything runs on the connection's shard. Kernel callbacks arrive later on the
// same shard and find out through `_alive` whether the session still exists; the socket is
// never closed from inside a call that is still using the session (closing is posted or
// returned from on_data), because the kernel destroys the session inside close().
#pragma once

#include "destination.h"
#include "frame_parser.h"
#include "gateway_config.h"
#include "heart_beat.h"
#include "subscriber.h"
#include "version.h"
#include "plexus/sdk/protocol.h"
#include "session_io.h"

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>

namespace plexus::protocol::stomp {

using callback_status = sdk::callback<void(sdk::status)>;

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

    // --- what subscribers call -------------------------------------------------------------
    void deliver(subscriber& s, std::vector<sdk::delivery> batch);
    void subscription_cancelled(subscriber& s, const sdk::status& why);

  private:
    enum class state : std::uint8_t
    {
        awaiting_connect,
        connecting, // the vhost is being checked; later frames wait
        connected,
        closed, // ERROR or DISCONNECT handled: nothing more is read
    };

    /// A SEND on its way to the kernel: what it still needs before it can be published.
    struct pending_send
    {
        std::shared_ptr<sdk::message> msg;
        destination target;
        std::optional<std::string> reply_temp; ///< reply-to names /temp-queue/<this>
        std::string destination_text;          ///< as the SEND named it, for errors
        std::string receipt;
        bool await_publish = false;   ///< answer (receipt, commit) once the kernel stored it
        sdk::headers queue_arguments; ///< for the declare of a /queue/ destination
    };
    /// A delivery the client has to ACK or NACK, by the number in its message-id.
    struct unacked
    {
        std::shared_ptr<subscriber> from;
        std::uint64_t kernel_tag = 0;
    };
    /// ACK or NACK held in a transaction.
    struct held_settle
    {
        frame f;
    };
    struct transaction
    {
        std::vector<std::variant<std::shared_ptr<pending_send>, held_settle>> ops;
    };
    struct commit_state;
    struct subscribe_state;

    // input (session.cc)
    sdk::status process(sdk::buffer_chain& in);
    void run_pending();
    void handle(frame&& f);
    void wait() noexcept { _busy = true; }
    void done();

    // connecting (session.cc)
    void on_connect(frame&& f);
    void connected(const sdk::status& vhost_check);
    void start_heartbeats();
    void heartbeat_send_tick();
    void heartbeat_receive_tick();

    // SEND (session_send.cc)
    void on_send(frame&& f);
    std::shared_ptr<pending_send> prepare_send(const frame& f);
    void continue_send(std::shared_ptr<pending_send> p, callback_status finished);
    void publish(const std::shared_ptr<pending_send>& p, callback_status finished);
    /// Declares /queue/<name> (durable, with the frame's queue arguments) once per connection.
    void ensure_queue(const std::string& name, const sdk::headers& arguments, callback_status then);
    void ensure_temp_queue(const std::string& temp, callback_status then);

    // SUBSCRIBE, UNSUBSCRIBE, ACK, NACK (session_subscribe.cc)
    void on_subscribe(frame&& f);
    void subscribe_step(std::shared_ptr<subscribe_state> st);
    void subscribed(const std::shared_ptr<subscribe_state>& st, sdk::result<std::unique_ptr<sdk::subscription>> r);
    /// The kernel answered a subscribe: deliveries flow (after those that came early).
    void attach(subscriber& s, std::unique_ptr<sdk::subscription> handle);
    void on_unsubscribe(frame&& f);
    void on_settle(frame&& f);
    bool check_settle(const frame& f);
    void settle(const frame& f);
    void forget_unacked_of(const subscriber& s);
    void update_pauses();
    void deliveries_written();

    // BEGIN, COMMIT, ABORT (session_tx.cc)
    void on_begin(frame&& f);
    void on_commit(frame&& f);
    void commit_step(std::shared_ptr<commit_state> c);
    void on_abort(frame&& f);

    // output and closing (session.cc)
    void send(frame f);
    void receipt_for(const frame& f);
    void receipt(const std::string& id);
    /// ERROR with `e`, then close. `cause` (may be null) supplies the receipt-id.
    void fail(const frame_error& e, const frame* cause = nullptr);
    void flush();
    void teardown();

    sdk::connection& _conn;
    sdk::kernel& _kernel;
    const gateway_config& _config;
    sdk::logger& _log;
    std::shared_ptr<bool> _alive;

    state _state = state::awaiting_connect;
    frame_parser _parser;
    version _version = version::v1_0;
    std::string _vhost = "/";
    std::string _user;
    std::uint64_t _connection_id = 0;
    heart_beat _heart_beat;

    bool _busy = false;
    std::deque<frame> _pending;
    std::size_t _pending_bytes = 0;
    std::optional<frame_error> _input_error;

    sdk::buffer_chain _out;
    session_io _io; ///< input passes, flushes and closes (protocols/common/session_io)

    std::set<std::string, std::less<>> _declared;          ///< /queue/ queues declared by this session
    std::map<std::string, std::string, std::less<>> _temp; ///< /temp-queue/ name → kernel queue
    std::map<std::string, std::shared_ptr<subscriber>, std::less<>> _subscribers;
    std::map<std::uint64_t, unacked> _unacked; ///< by message number
    std::uint64_t _next_message = 1;
    std::map<std::string, transaction, std::less<>> _transactions;
    bool _paused = false;

    std::unique_ptr<sdk::timer> _handshake_timer;
    std::unique_ptr<sdk::timer> _send_timer;
    std::unique_ptr<sdk::timer> _receive_timer;
    bool _sent_since_tick = false;
    bool _received_since_tick = false;
    int _silent_ticks = 0;
};

} // namespace plexus::protocol::stomp
