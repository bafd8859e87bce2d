#include "session.h"

#include "generated/alter_configs.h"
#include "generated/create_partitions.h"
#include "generated/create_topics.h"
#include "generated/delete_topics.h"
#include "generated/delete_groups.h"
#include "generated/describe_cluster.h"
#include "generated/describe_configs.h"
#include "generated/describe_groups.h"
#include "generated/fetch.h"
#include "generated/find_coordinator.h"
#include "generated/heartbeat.h"
#include "generated/incremental_alter_configs.h"
#include "generated/init_producer_id.h"
#include "generated/join_group.h"
#include "generated/leave_group.h"
#include "generated/list_groups.h"
#include "generated/offset_commit.h"
#include "generated/offset_fetch.h"
#include "generated/sync_group.h"
#include "generated/list_offsets.h"
#include "generated/metadata.h"
#include "generated/produce.h"
#include "generated/request_header.h"
#include "generated/sasl_authenticate.h"
#include "generated/sasl_handshake.h"
#include "served_apis.h"
#include "wire/wire_reader.h"

#include <array>

namespace plexus::protocol::kafka {
namespace {

constexpr std::int16_t api_versions_key = 18;
/// Kafka's sasl.server.max.receive.size: what a connection may send before it has logged in.
constexpr std::uint32_t max_unauthenticated_bytes = 512u << 10;
/// Requests a connection may have waiting while its client reads no responses (the kernel's
/// limit on input a session leaves unconsumed, net_limits::max_inbound_bytes, is the same).
constexpr std::size_t max_held_bytes = 16u << 20;

} // namespace

session::session(sdk::connection& conn,
                 sdk::kernel& k,
                 const gateway_config& config,
                 topic_registry& topics,
                 group_coordinator& groups,
                 producer_sequences& producers,
                 sdk::logger& log)
  : _conn(conn)
  , _kernel(k)
  , _config(config)
  , _topics(topics)
  , _groups(groups)
  , _producers(producers)
  , _log(log)
  , _alive(std::make_shared<bool>(true))
{
}

session::~session()
{
    *_alive = false;
}

void session::on_close(const sdk::status&) noexcept
{
    *_alive = false;
    _group_ticker.reset();
}

sdk::status session::on_data(sdk::buffer_chain& in) noexcept
{
    if (_closing) {
        in.trim_front(in.size());
        return {};
    }
    try {
        // All input moves into the session (the slabs are shared, not copied): a request may be
        // larger than the kernel's bound on unconsumed input (16 MiB), and max_request_bytes,
        // checked from the size prefix before a body is buffered, is the bound here.
        _input.append(in);
        in.trim_front(in.size());
        return process(_input);
    } catch (const std::exception&) {
        return malformed("out of memory handling a request");
    }
}

sdk::status session::malformed(std::string_view what)
{
    PLEXUS_LOG(_log, warn, "kafka connection from {} closed: {}", _conn.peer().address, what);
    _closing = true;
    return sdk::status(sdk::errc::protocol_error, what);
}

sdk::status session::process(sdk::buffer_chain& in)
{
    while (in.size() >= 4) {
        std::array<std::byte, 4> prefix{};
        in.copy_out(0, prefix);
        std::int32_t size = static_cast<std::int32_t>(
          (std::to_integer<std::uint32_t>(prefix[0]) << 24) | (std::to_integer<std::uint32_t>(prefix[1]) << 16) |
          (std::to_integer<std::uint32_t>(prefix[2]) << 8) | std::to_integer<std::uint32_t>(prefix[3]));
        // A raw SASL token has no header and may be short; the smallest header (v0) is 8
        // bytes. The limit is checked before any body is buffered.
        if (size < (_sasl == sasl_step::raw_token ? 0 : 8)) {
            return malformed(fmt::format("a request size of {} bytes is not a request", size));
        }
        bool in_sasl = _sasl == sasl_step::raw_token || _sasl == sasl_step::authenticate;
        if (in_sasl && static_cast<std::uint32_t>(size) > max_unauthenticated_bytes) {
            return malformed(fmt::format("a request of {} bytes during the SASL login", size));
        }
        if (static_cast<std::uint32_t>(size) > _config.max_request_bytes) {
            return malformed(
              fmt::format("a request of {} bytes exceeds max_request_bytes ({})", size, _config.max_request_bytes));
        }
        if (in.size() < 4 + static_cast<std::size_t>(size)) {
            return {};
        }
        std::string frame(static_cast<std::size_t>(size), '\0');
        in.copy_out(4, std::as_writable_bytes(std::span<char>(frame.data(), frame.size())));
        in.trim_front(4 + static_cast<std::size_t>(size));
        if (auto st = take_frame(std::move(frame)); !st.ok()) {
            return st;
        }
        if (_closing) { // a response that closes the connection is on its way
            in.trim_front(in.size());
            return {};
        }
    }
    return {};
}

sdk::status session::take_frame(std::string frame)
{
    // Once the client stops reading, nothing more is handled for it (Fetch responses can be
    // large), and what arrives behind a held request waits too, so requests keep their order.
    // The kernel stops reading from the socket meanwhile, so the client is slowed by TCP
    // instead of filling the broker's memory (as a Kafka broker mutes the channel); what was
    // read already is held, within max_held_bytes. A held frame is handled as what it is when
    // its turn comes (a raw SASL token after a SaslHandshake v0 included); its size was checked
    // when it arrived.
    if (_held.empty() && !_conn.above_high_watermark()) {
        return handle_frame(std::move(frame));
    }
    if (!_held.empty() && _held_bytes + frame.size() > max_held_bytes) {
        return malformed(
          fmt::format("{} bytes of requests wait for a client that reads no responses", _held_bytes + frame.size()));
    }
    if (_held.empty()) {
        PLEXUS_LOG(_log, debug, "kafka: {} reads no responses: its requests wait", _conn.peer().address);
        _conn.pause_reading();
    }
    _held_bytes += frame.size();
    _held.push_back(std::move(frame));
    return {};
}

sdk::status session::handle_frame(std::string frame)
{
    return _sasl == sasl_step::raw_token ? on_raw_sasl_token(std::move(frame)) : dispatch(std::move(frame));
}

void session::on_writable() noexcept
{
    sdk::status st;
    try {
        while (st.ok() && !_closing && !_held.empty() && !_conn.above_high_watermark()) {
            auto frame = std::move(_held.front());
            _held.pop_front();
            _held_bytes -= frame.size();
            st = handle_frame(std::move(frame));
        }
        if (st.ok() && !_closing && _held.empty()) {
            _conn.resume_reading();
        }
    } catch (const std::exception&) {
        st = malformed("out of memory handling a request");
    }
    if (!st.ok()) {
        // Posted: the kernel destroys the session inside close().
        _conn.exec().post([conn = &_conn, alive = _alive, st] {
            if (*alive) {
                conn->close(st);
            }
        });
    }
}

sdk::status session::dispatch(std::string frame)
{
    wire_reader peek(frame);
    std::int16_t key = peek.int16();
    std::int16_t version = peek.int16();
    const served_api* api = find_served_api(key);
    if (api == nullptr) {
        return malformed(fmt::format("API key {} is not served", key));
    }
    bool supported = version >= api->lowest && version <= api->highest;
    if (!supported && key != api_versions_key) {
        return malformed(fmt::format("{} v{} is not served (v{}-v{})", api->name, version, api->lowest, api->highest));
    }
    // ApiVersions past the served range is read with the newest header layout it could have:
    // flexible from v3 on, as in Kafka.
    bool flexible = supported ? api->flexible(version) : version >= 3;
    wire_reader r(frame);
    generated::request_header header;
    header.read(r, flexible ? 2 : 1);
    if (!r.ok()) {
        return malformed(fmt::format("{} v{}: the request header is truncated", api->name, version));
    }
    if (header.client_id) {
        _client_id = *header.client_id;
    }
    if (!admitted(key)) {
        return malformed(fmt::format("{} before a SASL login", api->name));
    }
    request_context ctx{ key, version, header.correlation_id, open_slot() };
    std::string_view body = std::string_view(frame).substr(r.position());
    switch (key) {
        case api_versions_key:
            on_api_versions(ctx, body, supported);
            return {};
        case generated::metadata_request::kafka_api_key:
            return on_metadata(ctx, body);
        case generated::produce_request::kafka_api_key:
            return on_produce(ctx, body);
        case generated::fetch_request::kafka_api_key:
            return on_fetch(ctx, body);
        case generated::list_offsets_request::kafka_api_key:
            return on_list_offsets(ctx, body);
        case generated::find_coordinator_request::kafka_api_key:
            return on_find_coordinator(ctx, body);
        case generated::join_group_request::kafka_api_key:
            return on_join_group(ctx, body);
        case generated::sync_group_request::kafka_api_key:
            return on_sync_group(ctx, body);
        case generated::heartbeat_request::kafka_api_key:
            return on_heartbeat(ctx, body);
        case generated::leave_group_request::kafka_api_key:
            return on_leave_group(ctx, body);
        case generated::offset_commit_request::kafka_api_key:
            return on_offset_commit(ctx, body);
        case generated::offset_fetch_request::kafka_api_key:
            return on_offset_fetch(ctx, body);
        case generated::list_groups_request::kafka_api_key:
            return on_list_groups(ctx, body);
        case generated::describe_groups_request::kafka_api_key:
            return on_describe_groups(ctx, body);
        case generated::init_producer_id_request::kafka_api_key:
            return on_init_producer_id(ctx, body);
        case generated::create_topics_request::kafka_api_key:
            return on_create_topics(ctx, body);
        case generated::delete_topics_request::kafka_api_key:
            return on_delete_topics(ctx, body);
        case generated::create_partitions_request::kafka_api_key:
            return on_create_partitions(ctx, body);
        case generated::sasl_handshake_request::kafka_api_key:
            return on_sasl_handshake(ctx, body);
        case generated::sasl_authenticate_request::kafka_api_key:
            return on_sasl_authenticate(ctx, body);
        case generated::describe_cluster_request::kafka_api_key:
            return on_describe_cluster(ctx, body);
        case generated::delete_groups_request::kafka_api_key:
            return on_delete_groups(ctx, body);
        case generated::describe_configs_request::kafka_api_key:
            return on_describe_configs(ctx, body);
        case generated::alter_configs_request::kafka_api_key:
            return on_alter_configs(ctx, body);
        case generated::incremental_alter_configs_request::kafka_api_key:
            return on_incremental_alter_configs(ctx, body);
        default:
            return malformed(fmt::format("API key {} has no handler", key));
    }
}

void session::fail_connection(std::string_view what) noexcept
{
    if (_closing) {
        return;
    }
    _closing = true;
    PLEXUS_LOG(_log, warn, "kafka connection from {} closed: {}", _conn.peer().address, what);
    // Posted: the kernel destroys the session inside close(), and we may be deep in it.
    _conn.exec().post([conn = &_conn, alive = _alive] {
        if (*alive) {
            conn->close(sdk::status(sdk::errc::resource_exhausted, "kafka session out of memory"));
        }
    });
}

void session::close_after(std::uint64_t slot, std::string_view why)
{
    _closing = true;
    _close_reason = std::string(why);
    _close_after_slot = slot;
}

std::uint64_t session::open_slot()
{
    _slots.emplace_back();
    return _first_slot + _slots.size() - 1;
}

void session::complete(std::uint64_t slot, std::optional<std::string> framed)
{
    if (slot < _first_slot || slot - _first_slot >= _slots.size()) {
        return;
    }
    auto& s = _slots[slot - _first_slot];
    s.ready = true;
    s.framed = std::move(framed);
    flush_ready();
}

void session::flush_ready()
{
    while (!_slots.empty() && _slots.front().ready) {
        if (_slots.front().framed) {
            _conn.write(sdk::buffer_chain::copy_of(*_slots.front().framed));
        }
        _slots.pop_front();
        if (_close_after_slot && *_close_after_slot == _first_slot) {
            _close_after_slot.reset();
            PLEXUS_LOG(_log, warn, "kafka connection from {} closed: {}", _conn.peer().address, _close_reason);
            _conn.exec().post([conn = &_conn, alive = _alive, why = _close_reason] {
                if (*alive) {
                    conn->close(sdk::status(sdk::errc::unauthenticated, why));
                }
            });
        }
        ++_first_slot;
    }
}

} // namespace plexus::protocol::kafka
