// FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, ListGroups and DescribeGroups:
// the wire side of the listener's group_coordinator. This broker is every group's coordinator.
#include "error_code.h"
#include "generated/describe_groups.h"
#include "generated/find_coordinator.h"
#include "generated/heartbeat.h"
#include "generated/join_group.h"
#include "generated/leave_group.h"
#include "generated/list_groups.h"
#include "generated/sync_group.h"
#include "session.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

constexpr std::int8_t group_key = 0; // FindCoordinator key type 1 is a transaction id
constexpr std::chrono::milliseconds group_tick{ 200 };

template<class Request>
bool decode(Request& request, std::string_view body, std::int16_t version)
{
    wire_reader r(body);
    request.read(r, version);
    return r.ok();
}

} // namespace

sdk::status session::on_find_coordinator(const request_context& ctx, std::string_view body)
{
    generated::find_coordinator_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a FindCoordinator request is truncated or malformed");
    }
    generated::find_coordinator_response response;
    if (request.key_type != group_key) {
        response.error_code = wire(error_code::coordinator_not_available);
        response.error_message = "transactions are not served";
        response.node_id = -1;
        response.port = -1;
    } else {
        response.node_id = 0;
        response.host = advertised_host();
        response.port = advertised_port();
    }
    respond(ctx, response, generated::find_coordinator_request::flexible(ctx.api_version));
    return {};
}

void session::group_wait_started()
{
    if (_group_waits++ > 0) {
        return;
    }
    struct ticker
    {
        session* self;
        std::shared_ptr<bool> alive;
        void operator()()
        {
            if (!*alive || self->_group_waits == 0) {
                return;
            }
            self->_groups.tick();
            self->_group_ticker = self->_conn.exec().post_after(group_tick, ticker{ self, alive });
        }
    };
    _group_ticker = _conn.exec().post_after(group_tick, ticker{ this, _alive });
}

void session::group_wait_ended()
{
    if (_group_waits > 0 && --_group_waits == 0) {
        _group_ticker.reset();
    }
}

sdk::status session::on_join_group(const request_context& ctx, std::string_view body)
{
    generated::join_group_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a JoinGroup request is truncated or malformed");
    }
    group_coordinator::join_request join;
    join.group = request.group_id;
    join.member_id = request.member_id;
    join.client_id = _client_id;
    join.client_host = _conn.peer().address;
    join.protocol_type = request.protocol_type;
    for (auto& p : request.protocols) {
        join.protocols.emplace_back(std::move(p.name), std::move(p.metadata));
    }
    join.session_timeout = std::chrono::milliseconds(request.session_timeout_ms);
    // v0 has no rebalance timeout: Kafka uses the session timeout for it.
    join.rebalance_timeout = std::chrono::milliseconds(request.rebalance_timeout_ms > 0 ? request.rebalance_timeout_ms
                                                                                        : request.session_timeout_ms);
    group_wait_started();
    _groups.join(std::move(join), _conn.exec(), [this, alive = _alive, ctx](group_coordinator::join_result r) {
        if (!*alive) {
            return;
        }
        group_wait_ended();
        generated::join_group_response response;
        response.error_code = r.error;
        response.generation_id = r.generation;
        response.protocol_type = r.protocol_type;
        response.protocol_name = r.protocol_name;
        response.leader = r.leader;
        response.member_id = r.member_id;
        for (auto& [id, meta] : r.members) {
            generated::join_group_response::join_group_response_member m;
            m.member_id = id;
            m.metadata = std::move(meta);
            response.members.push_back(std::move(m));
        }
        respond(ctx, response, generated::join_group_request::flexible(ctx.api_version));
    });
    return {};
}

sdk::status session::on_sync_group(const request_context& ctx, std::string_view body)
{
    generated::sync_group_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a SyncGroup request is truncated or malformed");
    }
    std::vector<std::pair<std::string, std::string>> assignments;
    for (auto& a : request.assignments) {
        assignments.emplace_back(std::move(a.member_id), std::move(a.assignment));
    }
    group_wait_started();
    _groups.sync(request.group_id,
                 request.generation_id,
                 request.member_id,
                 std::move(assignments),
                 _conn.exec(),
                 [this, alive = _alive, ctx](group_coordinator::sync_result r) {
                     if (!*alive) {
                         return;
                     }
                     group_wait_ended();
                     generated::sync_group_response response;
                     response.error_code = r.error;
                     response.protocol_type = r.protocol_type;
                     response.protocol_name = r.protocol_name;
                     response.assignment = std::move(r.assignment);
                     respond(ctx, response, generated::sync_group_request::flexible(ctx.api_version));
                 });
    return {};
}

sdk::status session::on_heartbeat(const request_context& ctx, std::string_view body)
{
    generated::heartbeat_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a Heartbeat request is truncated or malformed");
    }
    generated::heartbeat_response response;
    response.error_code = _groups.heartbeat(request.group_id, request.generation_id, request.member_id);
    respond(ctx, response, generated::heartbeat_request::flexible(ctx.api_version));
    return {};
}

sdk::status session::on_leave_group(const request_context& ctx, std::string_view body)
{
    generated::leave_group_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a LeaveGroup request is truncated or malformed");
    }
    generated::leave_group_response response;
    if (ctx.api_version < 3) {
        response.error_code = _groups.leave(request.group_id, request.member_id);
    } else {
        for (const auto& m : request.members) {
            generated::leave_group_response::member_response out;
            out.member_id = m.member_id;
            out.group_instance_id = m.group_instance_id;
            out.error_code = _groups.leave(request.group_id, m.member_id);
            response.members.push_back(std::move(out));
        }
    }
    respond(ctx, response, generated::leave_group_request::flexible(ctx.api_version));
    return {};
}

} // namespace plexus::protocol::kafka

namespace plexus::protocol::kafka {

sdk::status session::on_list_groups(const request_context& ctx, std::string_view body)
{
    generated::list_groups_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a ListGroups request is truncated or malformed");
    }
    generated::list_groups_response response;
    for (auto& g : _groups.list()) {
        bool wanted =
          request.states_filter.empty() ||
          std::find(request.states_filter.begin(), request.states_filter.end(), g.state) != request.states_filter.end();
        if (wanted) {
            response.groups.push_back({ g.group_id, g.protocol_type, g.state });
        }
    }
    respond(ctx, response, generated::list_groups_request::flexible(ctx.api_version));
    return {};
}

sdk::status session::on_describe_groups(const request_context& ctx, std::string_view body)
{
    generated::describe_groups_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a DescribeGroups request is truncated or malformed");
    }
    generated::describe_groups_response response;
    for (const auto& id : request.groups) {
        auto g = _groups.describe(id);
        generated::describe_groups_response::described_group out;
        out.group_id = g.group_id;
        out.group_state = g.state;
        out.protocol_type = g.protocol_type;
        out.protocol_data = g.protocol_name;
        for (auto& m : g.members) {
            generated::describe_groups_response::described_group::described_group_member dm;
            dm.member_id = std::move(m.member_id);
            dm.client_id = std::move(m.client_id);
            dm.client_host = std::move(m.client_host);
            dm.member_metadata = std::move(m.metadata);
            dm.member_assignment = std::move(m.assignment);
            out.members.push_back(std::move(dm));
        }
        response.groups.push_back(std::move(out));
    }
    respond(ctx, response, generated::describe_groups_request::flexible(ctx.api_version));
    return {};
}

} // namespace plexus::protocol::kafka
