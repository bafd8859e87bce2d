// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (topic_configs.h says which keys).
// A topic is looked up with a passive declare_stream (which reports its retention); a change
// is set_stream_config. Errors are per resource, as Kafka answers them: an unknown topic is
// UNKNOWN_TOPIC_OR_PARTITION, a key or value that cannot be applied INVALID_CONFIG (and none of
// that resource's changes is made), another resource type INVALID_REQUEST.
#include "cluster.h"
#include "error_code.h"
#include "generated/alter_configs.h"
#include "generated/describe_configs.h"
#include "generated/incremental_alter_configs.h"
#include "session.h"
#include "topic_configs.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

template<class Request>
bool decode(Request& request, std::string_view body, std::int16_t version)
{
    wire_reader r(body);
    request.read(r, version);
    return r.ok();
}

/// A broker resource names this broker ("0") or the cluster-wide default ("").
bool names_this_broker(const std::string& name)
{
    return name.empty() || name == std::to_string(broker_node_id);
}

} // namespace

sdk::status session::on_describe_configs(const request_context& ctx, std::string_view body)
{
    generated::describe_configs_request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed("a DescribeConfigs request is truncated or malformed");
    }
    using result = generated::describe_configs_response::describe_configs_result;
    auto response = std::make_shared<generated::describe_configs_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::describe_configs_request::flexible(ctx.api_version));
        }
    };
    // Fills `out` with the configs `keys` asks for (null: all); unknown keys are left out.
    auto fill = [synonyms = request.include_synonyms](result& out,
                                                      const std::vector<described_config>& configs,
                                                      const std::optional<std::vector<std::string>>& keys) {
        for (const auto& c : configs) {
            if (keys && std::find(keys->begin(), keys->end(), c.name) == keys->end()) {
                continue;
            }
            result::describe_configs_resource_result entry;
            entry.name = c.name;
            entry.value = c.value;
            entry.read_only = c.read_only;
            entry.is_default = c.is_default;
            entry.config_source = c.source;
            entry.is_sensitive = false;
            entry.config_type = c.type;
            if (synonyms) {
                entry.synonyms.push_back({ c.name, c.value, c.source });
            }
            out.configs.push_back(std::move(entry));
        }
    };
    response->results.resize(request.resources.size());
    for (std::size_t i = 0; i < request.resources.size(); ++i) {
        const auto& res = request.resources[i];
        auto* out = &response->results[i];
        out->resource_type = res.resource_type;
        out->resource_name = res.resource_name;
        if (res.resource_type == broker_resource) {
            if (names_this_broker(res.resource_name)) {
                fill(*out, describe_broker_configs(_config), res.configuration_keys);
            } else {
                out->error_code = wire(error_code::invalid_request);
                out->error_message = "this broker is node 0, not " + res.resource_name;
            }
            continue;
        }
        if (res.resource_type != topic_resource) {
            out->error_code = wire(error_code::invalid_request);
            out->error_message = "only topic (2) and broker (4) configs are described";
            continue;
        }
        sdk::stream_spec spec;
        spec.vhost = _config.vhost;
        spec.name = res.resource_name;
        spec.passive = true;
        ++*left;
        _kernel.declare_stream(spec,
                               [alive = _alive, out, keys = res.configuration_keys, fill, finish](
                                 sdk::result<sdk::stream_info> found) mutable {
                                   if (!*alive) {
                                       return;
                                   }
                                   if (found) {
                                       fill(*out, describe_topic_configs(*found), keys);
                                   } else {
                                       out->error_code = wire(to_error_code(found.error()));
                                       out->error_message = std::string(found.error().message());
                                   }
                                   finish();
                               });
    }
    finish();
    return {};
}

void session::alter_topic_config(
  const std::string& topic,
  std::function<std::optional<std::string>(sdk::stream_config&, const sdk::stream_info&)> change,
  bool validate_only,
  sdk::callback<void(std::int16_t, std::optional<std::string>)> done)
{
    sdk::stream_spec spec;
    spec.vhost = _config.vhost;
    spec.name = topic;
    spec.passive = true;
    auto shared_done = std::make_shared<decltype(done)>(std::move(done));
    _kernel.declare_stream(
      spec,
      [this, alive = _alive, topic, change = std::move(change), validate_only, shared_done](
        sdk::result<sdk::stream_info> found) mutable {
          if (!*alive) {
              return;
          }
          if (!found) {
              (*shared_done)(wire(to_error_code(found.error())), std::string(found.error().message()));
              return;
          }
          auto config = config_of(*found);
          if (auto problem = change(config, *found)) {
              (*shared_done)(wire(error_code::invalid_config), std::move(problem));
              return;
          }
          if (validate_only) {
              (*shared_done)(0, std::nullopt);
              return;
          }
          _kernel.set_stream_config(
            _config.vhost, topic, config, [this, alive, topic, shared_done](sdk::result<sdk::stream_info> set) mutable {
                if (!*alive) {
                    return;
                }
                if (!set) {
                    (*shared_done)(wire(to_error_code(set.error())), std::string(set.error().message()));
                    return;
                }
                PLEXUS_LOG(_log,
                           info,
                           "kafka: topic '{}' retention now {} ms, {} bytes, {}",
                           topic,
                           set->retention_ms ? std::to_string(*set->retention_ms) : "unlimited",
                           set->retention_bytes ? std::to_string(*set->retention_bytes) : "unlimited",
                           set->compact ? "compacted" : "not compacted");
                (*shared_done)(0, std::nullopt);
            });
      });
}

template<class Request, class Response>
sdk::status session::alter_configs(const request_context& ctx, std::string_view body, bool incremental)
{
    Request request;
    if (!decode(request, body, ctx.api_version)) {
        return malformed(incremental ? "an IncrementalAlterConfigs request is truncated or malformed"
                                     : "an AlterConfigs request is truncated or malformed");
    }
    auto response = std::make_shared<Response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, Request::flexible(ctx.api_version));
        }
    };
    response->responses.resize(request.resources.size());
    for (std::size_t i = 0; i < request.resources.size(); ++i) {
        const auto& res = request.resources[i];
        auto* out = &response->responses[i];
        out->resource_type = res.resource_type;
        out->resource_name = res.resource_name;
        if (res.resource_type == broker_resource) {
            out->error_code = wire(error_code::invalid_config);
            out->error_message = "broker configs are the listener's settings and read-only";
            continue;
        }
        if (res.resource_type != topic_resource) {
            out->error_code = wire(error_code::invalid_request);
            out->error_message = "only topic configs can be altered";
            continue;
        }
        std::vector<std::tuple<std::string, config_operation, std::optional<std::string>>> changes;
        for (const auto& c : res.configs) {
            config_operation op = config_operation::set;
            if constexpr (requires { c.config_operation; }) {
                op = static_cast<config_operation>(c.config_operation);
            }
            changes.emplace_back(c.name, op, c.value);
        }
        // AlterConfigs replaces the topic's whole config: what it does not name is the default.
        auto change = [changes = std::move(changes), incremental](
                        sdk::stream_config& r, const sdk::stream_info& current) -> std::optional<std::string> {
            if (!incremental) {
                r = {};
            }
            for (const auto& [name, op, value] : changes) {
                if (op < config_operation::set || op > config_operation::subtract) {
                    return "unknown config operation " + std::to_string(static_cast<int>(op));
                }
                if (auto problem = apply_topic_config(r, current, name, op, value)) {
                    return problem;
                }
            }
            return std::nullopt;
        };
        ++*left;
        alter_topic_config(res.resource_name,
                           std::move(change),
                           request.validate_only,
                           [out, finish](std::int16_t error, std::optional<std::string> message) mutable {
                               out->error_code = error;
                               out->error_message = std::move(message);
                               finish();
                           });
    }
    finish();
    return {};
}

sdk::status session::on_alter_configs(const request_context& ctx, std::string_view body)
{
    return alter_configs<generated::alter_configs_request, generated::alter_configs_response>(ctx, body, false);
}

sdk::status session::on_incremental_alter_configs(const request_context& ctx, std::string_view body)
{
    return alter_configs<generated::incremental_alter_configs_request, generated::incremental_alter_configs_response>(
      ctx, body, true);
}

} // namespace plexus::protocol::kafka
