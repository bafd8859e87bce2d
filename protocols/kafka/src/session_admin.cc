// CreateTopics, DeleteTopics and CreatePartitions: topics are kernel streams, so these are
// declare_stream, delete_stream and add_stream_partitions. Topic configs that a stream has (retention.ms,
// retention.bytes, plexus.storage, plexus.forward.exchange) are applied; cleanup.policy=delete is the default and
// accepted; anything else is INVALID_CONFIG rather than silently ignored (topic_configs.h). One broker: a replication
// factor above 1 cannot be met.
#include "error_code.h"
#include "generated/create_partitions.h"
#include "generated/create_topics.h"
#include "generated/delete_topics.h"
#include "session.h"
#include "topic_configs.h"

#include <set>

namespace plexus::protocol::kafka {
namespace {

struct topic_problem
{
    error_code code = error_code::none;
    std::string message;
};

/// Fills `spec` from a CreateTopics entry, or says what is wrong with it.
topic_problem to_stream_spec(const generated::create_topics_request::creatable_topic& t,
                             std::int32_t default_partitions,
                             sdk::stream_spec& spec)
{
    spec.name = t.name;
    spec.partitions = t.num_partitions == -1 ? default_partitions : t.num_partitions;
    if (spec.partitions < 1 || spec.partitions > 10000) {
        return { error_code::invalid_partitions, "the number of partitions must be 1 to 10000" };
    }
    if (t.replication_factor != -1 && t.replication_factor != 1) {
        return { error_code::invalid_replication_factor, "this broker is a single node: replication factor 1" };
    }
    if (!t.assignments.empty()) {
        return { error_code::invalid_replica_assignment, "manual replica assignments are not supported" };
    }
    for (const auto& c : t.configs) {
        if (auto problem = apply_creation_config(spec, c.name, c.value)) {
            return { error_code::invalid_config, std::move(*problem) };
        }
    }
    return {};
}

/// The error a failed declare of `spec` gets: what the topic's configs named (an engine or an
/// exchange that is not there) is INVALID_CONFIG, as Kafka answers a config it cannot apply.
topic_problem declare_failure(const sdk::stream_spec& spec, const sdk::status& st)
{
    bool bad_config = (st.code() == sdk::errc::invalid_argument && !spec.storage.empty()) ||
                      (st.code() == sdk::errc::not_found && !spec.forward_exchange.empty());
    return { bad_config ? error_code::invalid_config : to_error_code(st), std::string(st.message()) };
}

} // namespace

template<class TopicResult>
void session::check_forward_exchange(const sdk::stream_spec& spec, TopicResult* out, std::function<void()> finish)
{
    // validate_only: the exchange can be looked up without creating anything; the engine
    // cannot (the SDK does not list engines), so a wrong plexus.storage shows only on creation.
    if (spec.forward_exchange.empty()) {
        finish();
        return;
    }
    sdk::exchange_spec exchange;
    exchange.vhost = spec.vhost;
    exchange.name = spec.forward_exchange;
    exchange.passive = true;
    _kernel.declare_exchange(exchange, [alive = _alive, out, spec, finish](sdk::status st) mutable {
        if (!*alive) {
            return;
        }
        if (!st.ok()) {
            auto problem = declare_failure(spec, st);
            out->error_code = wire(problem.code);
            out->error_message = std::move(problem.message);
        }
        finish();
    });
}

sdk::status session::on_create_topics(const request_context& ctx, std::string_view body)
{
    generated::create_topics_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a CreateTopics request is truncated or malformed");
    }
    auto response = std::make_shared<generated::create_topics_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::create_topics_request::flexible(ctx.api_version));
        }
    };
    response->topics.resize(request.topics.size());
    for (std::size_t i = 0; i < request.topics.size(); ++i) {
        const auto& t = request.topics[i];
        auto* out = &response->topics[i];
        out->name = t.name;
        sdk::stream_spec spec;
        spec.vhost = _config.vhost;
        auto problem = to_stream_spec(t, _config.default_partitions, spec);
        if (problem.code != error_code::none) {
            out->error_code = wire(problem.code);
            out->error_message = problem.message;
            continue;
        }
        out->num_partitions = spec.partitions;
        out->replication_factor = 1;
        ++*left;
        // A passive declare first: declaring an existing stream again is not an error in the
        // kernel, but it is TOPIC_ALREADY_EXISTS in Kafka.
        sdk::stream_spec exists = spec;
        exists.passive = true;
        _kernel.declare_stream(
          exists,
          [this, alive = _alive, out, spec, finish, validate_only = request.validate_only](
            sdk::result<sdk::stream_info> found) mutable {
              if (!*alive) {
                  return;
              }
              if (found || found.error().code() != sdk::errc::not_found) {
                  out->error_code = wire(found ? error_code::topic_already_exists : to_error_code(found.error()));
                  out->error_message =
                    found ? "topic '" + spec.name + "' already exists" : std::string(found.error().message());
                  finish();
                  return;
              }
              if (validate_only) {
                  check_forward_exchange(spec, out, std::move(finish));
                  return;
              }
              _kernel.declare_stream(
                spec, [this, alive, out, spec, finish](sdk::result<sdk::stream_info> made) mutable {
                    if (!*alive) {
                        return;
                    }
                    if (made) {
                        _topics.add(spec.name);
                        PLEXUS_LOG(_log,
                                   info,
                                   "kafka: created topic '{}' with {} partitions in engine '{}'{}",
                                   spec.name,
                                   made->partitions,
                                   made->storage,
                                   made->forward_exchange.empty() ? std::string()
                                                                  : ", forwarding to '" + made->forward_exchange + "'");
                    } else {
                        auto problem = declare_failure(spec, made.error());
                        out->error_code = wire(problem.code);
                        out->error_message = std::move(problem.message);
                    }
                    finish();
                });
          });
    }
    finish();
    return {};
}

sdk::status session::on_delete_topics(const request_context& ctx, std::string_view body)
{
    generated::delete_topics_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a DeleteTopics request is truncated or malformed");
    }
    auto response = std::make_shared<generated::delete_topics_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::delete_topics_request::flexible(ctx.api_version));
        }
    };
    response->responses.resize(request.topic_names.size());
    for (std::size_t i = 0; i < request.topic_names.size(); ++i) {
        auto* out = &response->responses[i];
        out->name = request.topic_names[i];
        ++*left;
        _kernel.delete_stream(_config.vhost, out->name, [this, alive = _alive, out, finish](sdk::status st) mutable {
            if (!*alive) {
                return;
            }
            if (st.ok()) {
                _topics.remove(out->name);
                PLEXUS_LOG(_log, info, "kafka: deleted topic '{}'", out->name);
            } else {
                out->error_code = wire(to_error_code(st));
            }
            finish();
        });
    }
    finish();
    return {};
}

sdk::status session::on_create_partitions(const request_context& ctx, std::string_view body)
{
    generated::create_partitions_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a CreatePartitions request is truncated or malformed");
    }
    auto response = std::make_shared<generated::create_partitions_response>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::create_partitions_request::flexible(ctx.api_version));
        }
    };
    std::set<std::string> seen;
    response->results.resize(request.topics.size());
    for (std::size_t i = 0; i < request.topics.size(); ++i) {
        const auto& t = request.topics[i];
        auto* out = &response->results[i];
        out->name = t.name;
        if (!seen.insert(t.name).second) {
            out->error_code = wire(error_code::invalid_request);
            out->error_message = "topic '" + t.name + "' is named twice";
            continue;
        }
        if (t.assignments) {
            out->error_code = wire(error_code::invalid_replica_assignment);
            out->error_message = "manual replica assignments are not supported";
            continue;
        }
        if (t.count > 10000) {
            out->error_code = wire(error_code::invalid_partitions);
            out->error_message = "the number of partitions must be 1 to 10000";
            continue;
        }
        sdk::stream_spec spec;
        spec.vhost = _config.vhost;
        spec.name = t.name;
        spec.passive = true;
        ++*left;
        _kernel.declare_stream(
          spec,
          [this, alive = _alive, out, count = t.count, finish, validate_only = request.validate_only](
            sdk::result<sdk::stream_info> found) mutable {
              if (!*alive) {
                  return;
              }
              if (!found) {
                  out->error_code = wire(to_error_code(found.error()));
                  out->error_message = std::string(found.error().message());
                  finish();
                  return;
              }
              if (count <= found->partitions) {
                  out->error_code = wire(error_code::invalid_partitions);
                  out->error_message = fmt::format(
                    "topic '{}' has {} partitions: it can only grow, not to {}", out->name, found->partitions, count);
                  finish();
                  return;
              }
              if (validate_only) {
                  finish();
                  return;
              }
              _kernel.add_stream_partitions(
                _config.vhost,
                out->name,
                count,
                [this, alive, out, finish](sdk::result<sdk::stream_info> grown) mutable {
                    if (!*alive) {
                        return;
                    }
                    if (grown) {
                        PLEXUS_LOG(_log, info, "kafka: topic '{}' now has {} partitions", out->name, grown->partitions);
                    } else {
                        bool invalid = grown.error().code() == sdk::errc::invalid_argument;
                        out->error_code = wire(invalid ? error_code::invalid_partitions : to_error_code(grown.error()));
                        out->error_message = std::string(grown.error().message());
                    }
                    finish();
                });
          });
    }
    finish();
    return {};
}

} // namespace plexus::protocol::kafka
