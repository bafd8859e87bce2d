// One Kafka client connection: size-prefixed request framing with a size limit checked before
// the body is read, request headers v0-v2, and one response per request in request order.
//
// Requests are decoded as they arrive and handled concurrently (Produce waits for its append,
// Fetch may long-poll); each gets a response slot when it is read, and responses are written
// only from the front of the slot queue, so clients see them in request order with their
// correlation ids. A Produce with acks=0 has a slot that completes with no response.
//
// Before anything else, a connection may have to log in (SASL PLAIN, session_sasl.cc): the
// listener's `sasl` setting decides whether an unauthenticated one is served at all.
//
// A request that cannot be framed or decoded (bad size, oversized, truncated body, unknown API
// key, an unsupported version of anything but ApiVersions) closes this connection with a log
// line, as Kafka does; the broker and other connections are unaffected.
//
// Threading: everything runs on the connection's shard. Kernel callbacks and timers arrive
// later on the same shard and check `_alive` first: the session may be gone by then.
#pragma once

#include "gateway_config.h"
#include "group_coordinator.h"
#include "producer_sequences.h"
#include "topic_registry.h"
#include "wire/wire_writer.h"
#include "plexus/sdk/protocol.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace plexus::protocol::kafka {

namespace generated {
struct fetch_request;
struct produce_response;
} // namespace generated

/// What a handler needs to answer one request.
struct request_context
{
    std::int16_t api_key = 0;
    std::int16_t api_version = 0;
    std::int32_t correlation_id = 0;
    std::uint64_t slot = 0;
};

class session final : public sdk::protocol_session
{
  public:
    session(sdk::connection& conn,
            sdk::kernel& k,
            const gateway_config& config,
            topic_registry& topics,
            group_coordinator& groups,
            producer_sequences& producers,
            sdk::logger& log);
    ~session() override;
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    sdk::status on_data(sdk::buffer_chain& in) noexcept override;
    /// Handles the requests held while the outbound queue was above its high watermark.
    void on_writable() noexcept override;
    void on_close(const sdk::status& why) noexcept override;

  private:
    struct fetch_state;
    using partitions_callback = sdk::callback<void(std::int16_t error, std::int32_t partitions)>;

    // framing and dispatch (session.cc)
    sdk::status process(sdk::buffer_chain& in);
    sdk::status dispatch(std::string frame);
    sdk::status malformed(std::string_view what);
    /// Closes the connection from a callback (where no status can be returned), with a log line.
    void fail_connection(std::string_view what) noexcept;
    /// Handles a whole request frame now, or holds it (in order) while the client is not
    /// reading its responses.
    sdk::status take_frame(std::string frame);
    sdk::status handle_frame(std::string frame);

    // SASL (session_sasl.cc)
    /// Whether a request of API `key` may be handled now; false closes the connection (Kafka
    /// closes a connection that sends other requests before its SASL login).
    bool admitted(std::int16_t key);
    sdk::status on_sasl_handshake(const request_context& ctx, std::string_view body);
    sdk::status on_sasl_authenticate(const request_context& ctx, std::string_view body);
    /// After SaslHandshake v0 the client sends its token with no request header, and is
    /// answered with a bare (empty) token on success; a failure closes without an answer.
    sdk::status on_raw_sasl_token(std::string token);
    /// Checks PLAIN credentials and the vhost; the message for the client on failure.
    std::optional<std::string> log_in(std::string_view token);
    /// Writes the response of `slot` and then closes (posted: the kernel destroys the session
    /// inside close()). Requests that arrive meanwhile are dropped.
    void close_after(std::uint64_t slot, std::string_view why);

    // responses in request order (session.cc)
    std::uint64_t open_slot();
    /// Frames `m` as the response to `ctx` (header v0 for ApiVersions and non-flexible
    /// versions, v1 otherwise) and writes every response that is now at the front.
    template<class Message>
    void respond(const request_context& ctx, const Message& m, bool flexible_header);
    void complete(std::uint64_t slot, std::optional<std::string> framed);
    void flush_ready();

    // handlers (one file each)
    void on_api_versions(const request_context& ctx, std::string_view body, bool supported);
    sdk::status on_metadata(const request_context& ctx, std::string_view body);
    sdk::status on_produce(const request_context& ctx, std::string_view body);
    /// Where one partition's answer of a Produce goes; `finish` once it is filled in.
    struct produced_partition
    {
        std::shared_ptr<generated::produce_response> response;
        std::size_t t = 0;
        std::size_t p = 0;
        std::string topic;
        std::int32_t partition = 0;
        sdk::ack_level level = sdk::ack_level::stored;
        std::function<void()> finish;
    };
    /// Checks an idempotent batch against producer_sequences, appends it and answers.
    void append_produced(produced_partition where,
                         sdk::encoded_records encoded,
                         producer_sequences::batch_key idempotent);
    /// The stored batches of `producer_id` on a partition from `from`, or from the retry window's
    /// start when that is later (-1: from it).
    void find_producer_batches(const std::string& topic,
                               std::int32_t partition,
                               std::int64_t producer_id,
                               std::int64_t from,
                               sdk::callback<void(sdk::result<std::vector<producer_sequences::found_batch>>)> done);
    sdk::status on_init_producer_id(const request_context& ctx, std::string_view body);
    sdk::status on_fetch(const request_context& ctx, std::string_view body);
    void fetch_round(std::shared_ptr<fetch_state> st);
    void fetch_wait(const std::shared_ptr<fetch_state>& st);
    void fetch_finish(const std::shared_ptr<fetch_state>& st);
    sdk::status on_list_offsets(const request_context& ctx, std::string_view body);
    // consumer groups (session_groups.cc) and their offsets (session_offsets.cc)
    sdk::status on_find_coordinator(const request_context& ctx, std::string_view body);
    sdk::status on_join_group(const request_context& ctx, std::string_view body);
    sdk::status on_sync_group(const request_context& ctx, std::string_view body);
    sdk::status on_heartbeat(const request_context& ctx, std::string_view body);
    sdk::status on_leave_group(const request_context& ctx, std::string_view body);
    sdk::status on_list_groups(const request_context& ctx, std::string_view body);
    sdk::status on_describe_groups(const request_context& ctx, std::string_view body);
    sdk::status on_delete_groups(const request_context& ctx, std::string_view body);
    sdk::status on_offset_commit(const request_context& ctx, std::string_view body);
    sdk::status on_offset_fetch(const request_context& ctx, std::string_view body);
    // the cluster (session_cluster.cc)
    sdk::status on_describe_cluster(const request_context& ctx, std::string_view body);
    // topic and broker configs (session_configs.cc)
    sdk::status on_describe_configs(const request_context& ctx, std::string_view body);
    sdk::status on_alter_configs(const request_context& ctx, std::string_view body);
    sdk::status on_incremental_alter_configs(const request_context& ctx, std::string_view body);
    /// AlterConfigs and IncrementalAlterConfigs differ in where a change starts: from the
    /// defaults (the request is the whole config) or from the topic's current config.
    template<class Request, class Response>
    sdk::status alter_configs(const request_context& ctx, std::string_view body, bool incremental);
    /// Looks the topic up, applies `change` to its retention (given the topic as it is) and, unless `validate_only`,
    /// sets the result; `done(Kafka error code, message)`.
    void alter_topic_config(
      const std::string& topic,
      std::function<std::optional<std::string>(sdk::stream_config&, const sdk::stream_info&)> change,
      bool validate_only,
      sdk::callback<void(std::int16_t, std::optional<std::string>)> done);
    // topics (session_admin.cc)
    sdk::status on_create_topics(const request_context& ctx, std::string_view body);
    /// CreateTopics' validate_only: INVALID_CONFIG in `out` when the topic's forward exchange
    /// is not there; then `finish`. `out` is an element of the response's topics.
    template<class TopicResult>
    void check_forward_exchange(const sdk::stream_spec& spec, TopicResult* out, std::function<void()> finish);
    sdk::status on_delete_topics(const request_context& ctx, std::string_view body);
    sdk::status on_create_partitions(const request_context& ctx, std::string_view body);
    /// While a JoinGroup or SyncGroup waits, this shard ticks the coordinator (its clock only
    /// moves when members call in, and the members it waits for may be gone).
    void group_wait_started();
    void group_wait_ended();

    /// Finds a topic (a stream in the configured vhost), creating it with the default
    /// partition count when `create` allows; `done(error code, partitions)`.
    void resolve_topic(const std::string& name, bool create, partitions_callback done);
    /// Where this client is told the broker is: the configured advertised address, else the
    /// address and port it connected to.
    std::string advertised_host() const;
    std::int32_t advertised_port() const noexcept;

    sdk::connection& _conn;
    sdk::kernel& _kernel;
    const gateway_config& _config;
    topic_registry& _topics;
    group_coordinator& _groups;
    producer_sequences& _producers;
    sdk::logger& _log;
    std::string _client_id; ///< from the latest request header (names new group members)
    /// Where the SASL exchange is: nothing yet, a token expected raw (handshake v0) or in a
    /// SaslAuthenticate (v1), or logged in.
    enum class sasl_step : std::uint8_t
    {
        start,
        raw_token,
        authenticate,
        done,
    };
    sasl_step _sasl = sasl_step::start;
    std::string _user; ///< who logged in (guest when served without SASL); empty before
    std::optional<std::uint64_t> _close_after_slot;
    std::string _close_reason;
    std::uint32_t _group_waits = 0;
    std::unique_ptr<sdk::timer> _group_ticker;
    std::shared_ptr<bool> _alive;
    bool _closing = false;

    /// Responses not yet written: [_first_slot, _first_slot + size). nullopt = not ready.
    struct slot
    {
        bool ready = false;
        std::optional<std::string> framed; ///< ready with nothing: acks=0 Produce
    };
    std::deque<slot> _slots;
    std::uint64_t _first_slot = 0;
    /// Requests read while the outbound queue was above the high watermark, not yet handled
    /// (as Kafka mutes a connection whose responses are not read); on_writable() goes on.
    std::deque<std::string> _held;
    std::size_t _held_bytes = 0;
    sdk::buffer_chain _input; ///< what arrived and is not a whole request yet
};

} // namespace plexus::protocol::kafka

#include "generated/response_header.h"

namespace plexus::protocol::kafka {

template<class Message>
void session::respond(const request_context& ctx, const Message& m, bool flexible_header)
{
    // Called from kernel callbacks too: nothing may throw back into the kernel.
    try {
        wire_writer w;
        w.int32(0); // size, patched below
        generated::response_header header;
        header.correlation_id = ctx.correlation_id;
        header.write(w, flexible_header ? 1 : 0);
        m.write(w, ctx.api_version);
        w.patch_int32(0, static_cast<std::uint32_t>(w.size() - 4));
        complete(ctx.slot, w.take());
    } catch (const std::exception&) {
        fail_connection("out of memory encoding a response");
    }
}

} // namespace plexus::protocol::kafka
