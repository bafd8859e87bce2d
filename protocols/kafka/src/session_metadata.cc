// Metadata: one broker (node 0 at the advertised address) leading every partition; a topic is
// a stream of the configured vhost. Unknown topics are created when both the gateway config
// (auto_create_topics) and the request (v4+ allow_auto_topic_creation) allow it.
#include "cluster.h"
#include "error_code.h"
#include "generated/metadata.h"
#include "session.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

constexpr std::int32_t node_id = broker_node_id;
constexpr std::size_t max_topic_name = 249; // Kafka's limit

bool valid_topic_name(std::string_view name)
{
    if (name.empty() || name.size() > max_topic_name || name == "." || name == "..") {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-';
    });
}

} // namespace

void session::resolve_topic(const std::string& name, bool create, partitions_callback done)
{
    if (!valid_topic_name(name)) {
        done(wire(error_code::invalid_topic_exception), 0);
        return;
    }
    sdk::stream_spec spec;
    spec.vhost = _config.vhost;
    spec.name = name;
    spec.passive = true;
    _kernel.declare_stream(
      spec, [this, alive = _alive, name, create, done = std::move(done)](sdk::result<sdk::stream_info> found) mutable {
          if (!*alive) {
              return;
          }
          if (found) {
              _topics.add(name);
              done(wire(error_code::none), found->partitions);
              return;
          }
          if (found.error().code() != sdk::errc::not_found || !create) {
              done(wire(to_error_code(found.error())), 0);
              return;
          }
          sdk::stream_spec spec;
          spec.vhost = _config.vhost;
          spec.name = name;
          spec.partitions = _config.default_partitions;
          _kernel.declare_stream(
            spec, [this, alive, name, done = std::move(done)](sdk::result<sdk::stream_info> made) mutable {
                if (!*alive) {
                    return;
                }
                if (!made) {
                    PLEXUS_LOG(_log, warn, "kafka: creating topic '{}' failed: {}", name, made.error().to_string());
                    done(wire(to_error_code(made.error())), 0);
                    return;
                }
                PLEXUS_LOG(_log, info, "kafka: created topic '{}' with {} partitions", name, made->partitions);
                _topics.add(name);
                done(wire(error_code::none), made->partitions);
            });
      });
}

sdk::status session::on_metadata(const request_context& ctx, std::string_view body)
{
    generated::metadata_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a Metadata request is truncated or malformed");
    }
    std::vector<std::string> names;
    // Null topics (v1+), or an empty list in v0, means every topic.
    bool all = !request.topics || (ctx.api_version == 0 && request.topics->empty());
    if (all) {
        names = _topics.names();
    } else {
        for (const auto& t : *request.topics) {
            names.push_back(t.name.value_or(std::string()));
        }
    }
    bool create = !all && _config.auto_create_topics && (ctx.api_version < 4 || request.allow_auto_topic_creation);

    auto response = std::make_shared<generated::metadata_response>();
    response->brokers.push_back({ node_id, advertised_host(), advertised_port(), std::nullopt });
    response->cluster_id = std::string(cluster_id);
    response->controller_id = node_id;
    response->topics.resize(names.size());
    auto left = std::make_shared<std::size_t>(names.size());
    if (names.empty()) {
        respond(ctx, *response, generated::metadata_request::flexible(ctx.api_version));
        return {};
    }
    for (std::size_t i = 0; i < names.size(); ++i) {
        resolve_topic(
          names[i],
          create,
          [this, ctx, response, left, i, all, name = names[i]](std::int16_t error, std::int32_t partitions) {
              auto& t = response->topics[i];
              t.name = name;
              t.error_code = error;
              for (std::int32_t p = 0; p < partitions && error == 0; ++p) {
                  generated::metadata_response::metadata_response_topic::metadata_response_partition part;
                  part.partition_index = p;
                  part.leader_id = node_id;
                  part.leader_epoch = 0;
                  part.replica_nodes = { node_id };
                  part.isr_nodes = { node_id };
                  t.partitions.push_back(std::move(part));
              }
              if (--*left > 0) {
                  return;
              }
              if (all) { // topics deleted since they were seen are left out, not reported
                  std::erase_if(response->topics, [](const auto& topic) { return topic.error_code != 0; });
              }
              respond(ctx, *response, generated::metadata_request::flexible(ctx.api_version));
          });
    }
    return {};
}

} // namespace plexus::protocol::kafka
