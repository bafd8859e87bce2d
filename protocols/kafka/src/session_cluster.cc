// The broker as clients are told of it: its advertised address (Metadata, FindCoordinator)
// and DescribeCluster (KIP-700): the one broker, which is also the controller. There are no
// ACLs, so authorized operations are not reported.
#include "cluster.h"
#include "error_code.h"
#include "generated/describe_cluster.h"
#include "session.h"

namespace plexus::protocol::kafka {
namespace {

constexpr std::int8_t brokers_endpoint = 1;
constexpr std::int8_t controllers_endpoint = 2;

} // namespace

std::string session::advertised_host() const
{
    return _config.advertised_host ? *_config.advertised_host : _conn.peer().local_host;
}

std::int32_t session::advertised_port() const noexcept
{
    return _config.advertised_port ? *_config.advertised_port : _conn.peer().local_port;
}

sdk::status session::on_describe_cluster(const request_context& ctx, std::string_view body)
{
    generated::describe_cluster_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a DescribeCluster request is truncated or malformed");
    }
    generated::describe_cluster_response response;
    response.endpoint_type = request.endpoint_type;
    response.cluster_id = std::string(cluster_id);
    if (request.endpoint_type == brokers_endpoint) {
        response.controller_id = broker_node_id;
        response.brokers.push_back({ broker_node_id, advertised_host(), advertised_port(), std::nullopt });
    } else if (request.endpoint_type == controllers_endpoint) {
        // As a Kafka broker answers: controllers are described by the controllers themselves.
        response.error_code = wire(error_code::unsupported_endpoint_type);
        response.error_message = "this broker describes brokers (endpoint type 1)";
    } else {
        response.error_code = wire(error_code::invalid_request);
        response.error_message = fmt::format("endpoint type {} is neither brokers (1) nor controllers (2)",
                                             static_cast<int>(request.endpoint_type));
    }
    respond(ctx, response, true);
    return {};
}

} // namespace plexus::protocol::kafka
