// Produce: each partition's RecordBatch v2 bytes become messages appended to that stream
// partition. acks=0 sends no response, acks=1 answers once the records are stored, acks=-1
// (all) once they are durable (the storage engine's fsync policy). Errors are per partition.
// Batches of idempotent producers (InitProducerId) are checked against producer_sequences:
// a retried batch is acknowledged without a second append, a gap is refused.
#include "error_code.h"
#include "generated/init_producer_id.h"
#include "generated/produce.h"
#include "record_batch_v2.h"
#include "session.h"

#include <chrono>

namespace plexus::protocol::kafka {
namespace {

sdk::timestamp_ms now_ms()
{
    using namespace std::chrono;
    return sdk::timestamp_ms(duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

} // namespace

sdk::status session::on_init_producer_id(const request_context& ctx, std::string_view body)
{
    generated::init_producer_id_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("an InitProducerId request is truncated or malformed");
    }
    generated::init_producer_id_response response;
    const bool flexible = generated::init_producer_id_request::flexible(ctx.api_version);
    if (request.transactional_id) {
        response.error_code = wire(error_code::coordinator_not_available); // no transactions
        response.producer_id = -1;
        response.producer_epoch = -1;
    } else if (request.producer_id >= 0) {
        // An idempotent producer bumping its epoch (v3+): same id, next epoch.
        response.producer_id = request.producer_id;
        response.producer_epoch = static_cast<std::int16_t>(request.producer_epoch + 1);
    } else {
        // A new id is reserved in the plugin store first; the answer comes back on this shard.
        _producers.new_producer_id(
          [this, alive = _alive, ctx, flexible, home = &_kernel.shard()](sdk::result<std::int64_t> id) mutable {
              home->post([this, alive, ctx, flexible, id = std::move(id)]() mutable {
                  if (!*alive) {
                      return;
                  }
                  generated::init_producer_id_response answer;
                  if (id) {
                      answer.producer_id = *id;
                      answer.producer_epoch = 0;
                  } else {
                      PLEXUS_LOG(_log, warn, "kafka: no producer id could be reserved: {}", id.error().to_string());
                      answer.error_code = wire(error_code::kafka_storage_error);
                      answer.producer_id = -1;
                      answer.producer_epoch = -1;
                  }
                  respond(ctx, answer, flexible);
              });
          });
        return {};
    }
    respond(ctx, response, flexible);
    return {};
}

sdk::status session::on_produce(const request_context& ctx, std::string_view body)
{
    generated::produce_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a Produce request is truncated or malformed");
    }
    if (request.transactional_id) {
        // InitProducerId is not served, so no client should send this; refuse what would
        // need transactions rather than store it as plain records.
        PLEXUS_LOG(_log, info, "kafka: a transactional Produce was refused (transactions are not served)");
    }
    bool acks_valid = request.acks == 0 || request.acks == 1 || request.acks == -1;
    sdk::ack_level level = request.acks == -1 ? sdk::ack_level::durable : sdk::ack_level::stored;
    bool answer = request.acks != 0;

    auto response = std::make_shared<generated::produce_response>();
    auto left = std::make_shared<std::size_t>(1); // released after the loop: no early finish
    auto finish = [this, ctx, response, left, answer] {
        if (--*left > 0) {
            return;
        }
        if (answer) {
            respond(ctx, *response, generated::produce_request::flexible(ctx.api_version));
        }
    };
    if (!answer) {
        complete(ctx.slot, std::nullopt); // nothing goes back, and later responses need not wait
    }
    auto now = now_ms();
    response->responses.resize(request.topic_data.size());
    for (std::size_t t = 0; t < request.topic_data.size(); ++t) {
        const auto& topic = request.topic_data[t];
        auto& out = response->responses[t];
        out.name = topic.name;
        out.partition_responses.resize(topic.partition_data.size());
        for (std::size_t p = 0; p < topic.partition_data.size(); ++p) {
            const auto& part = topic.partition_data[p];
            auto& res = out.partition_responses[p];
            res.index = part.index;
            res.base_offset = -1;
            if (!acks_valid || request.transactional_id) {
                res.error_code = wire(!acks_valid ? error_code::invalid_required_acks : error_code::invalid_request);
                continue;
            }
            auto staged = stage_record_batches(part.records.value_or(std::string()), now);
            if (staged.error != error_code::none) {
                PLEXUS_LOG(_log,
                           info,
                           "kafka: produce to {}[{}] from {} refused: {}",
                           topic.name,
                           part.index,
                           _conn.peer().address,
                           staged.detail);
                res.error_code = wire(staged.error);
                continue;
            }
            if (staged.encoded.count == 0) {
                continue; // only transaction markers: nothing to append
            }
            producer_sequences::batch_key idempotent{ staged.producer_id,
                                                      staged.producer_epoch,
                                                      staged.base_sequence,
                                                      static_cast<std::int32_t>(staged.encoded.count) };
            ++*left;
            append_produced(
              { response, t, p, topic.name, part.index, level, finish }, std::move(staged.encoded), idempotent);
        }
    }
    finish();
    return {};
}

void session::append_produced(produced_partition where,
                              sdk::encoded_records encoded,
                              producer_sequences::batch_key idempotent)
{
    auto& res = where.response->responses[where.t].partition_responses[where.p];
    if (idempotent.producer_id >= 0) {
        auto seen = _producers.check(where.topic, where.partition, idempotent);
        using verdict = producer_sequences::verdict;
        if (seen.v == verdict::verify) {
            // A producer from before this start: what the partition holds first (a retry of
            // a batch whose state a crash lost must not go in twice), then this batch again.
            find_producer_batches(where.topic,
                                  where.partition,
                                  idempotent.producer_id,
                                  seen.offset,
                                  [this, alive = _alive, where, encoded = std::move(encoded), idempotent](
                                    sdk::result<std::vector<producer_sequences::found_batch>> found) mutable {
                                      if (!*alive) {
                                          return;
                                      }
                                      if (!found) {
                                          auto& r = where.response->responses[where.t].partition_responses[where.p];
                                          r.error_code = wire(to_error_code(found.error()));
                                          where.finish();
                                          return;
                                      }
                                      _producers.recovered(
                                        where.topic, where.partition, idempotent.producer_id, *found, now_ms()());
                                      append_produced(std::move(where), std::move(encoded), idempotent);
                                  });
            return;
        }
        if (seen.v == verdict::duplicate) {
            res.base_offset = seen.offset; // a retry: acknowledged, not appended again
            where.finish();
            return;
        }
        if (seen.v != verdict::append) {
            res.error_code = wire(seen.v == verdict::in_flight      ? error_code::duplicate_sequence_number
                                  : seen.v == verdict::out_of_order ? error_code::out_of_order_sequence_number
                                                                    : error_code::invalid_producer_epoch);
            where.finish();
            return;
        }
    }
    sdk::record_batch batch;
    batch.encoded = std::move(encoded); // stored as sent: Fetch serves these bytes
    _kernel.append(_config.vhost,
                   where.topic,
                   sdk::partition_id(where.partition),
                   std::move(batch),
                   where.level,
                   [alive = _alive, producers = &_producers, home = &_kernel.shard(), where, idempotent](
                     sdk::result<sdk::offset_range> appended) mutable {
                       auto answer = [alive, where, appended]() mutable {
                           if (!*alive) {
                               return;
                           }
                           auto& res = where.response->responses[where.t].partition_responses[where.p];
                           if (appended) {
                               res.base_offset = appended->first();
                           } else {
                               res.error_code = wire(to_error_code(appended.error()));
                           }
                           where.finish();
                       };
                       if (idempotent.producer_id < 0) {
                           answer();
                           return;
                       }
                       // The listener's state outlives the session; the answer waits for it.
                       producers->appended(
                         where.topic,
                         where.partition,
                         idempotent,
                         appended ? appended->first() : -1,
                         now_ms()(),
                         [home, answer = std::move(answer)]() mutable { home->post(std::move(answer)); });
                   });
}

namespace {
/// How far back a producer's batches are looked for at most: a client retries a batch for at
/// most its delivery timeout (librdkafka's message.timeout.ms
/// is 300 s, the Java client's delivery.timeout.ms 120 s).
constexpr std::int64_t retry_window_ms = 10 * 60 * 1000;
} // namespace

void session::find_producer_batches(const std::string& topic,
                                    std::int32_t partition,
                                    std::int64_t producer_id,
                                    std::int64_t from,
                                    sdk::callback<void(sdk::result<std::vector<producer_sequences::found_batch>>)> done)
{
    struct scan
    {
        std::vector<producer_sequences::found_batch> found;
        sdk::callback<void(sdk::result<std::vector<producer_sequences::found_batch>>)> done;
        std::function<void(sdk::offset)> next;
    };
    auto state = std::make_shared<scan>();
    state->done = std::move(done);
    std::weak_ptr<scan> weak = state;
    state->next = [this, alive = _alive, weak, topic, partition, producer_id](sdk::offset at) {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        _kernel.fetch(
          _config.vhost,
          topic,
          sdk::partition_id(partition),
          at,
          1u << 20,
          sdk::batch_form::as_stored,
          [alive, self, producer_id, at](sdk::result<sdk::record_batch> r) mutable {
              if (!*alive) {
                  return;
              }
              auto finish = [&self](sdk::result<std::vector<producer_sequences::found_batch>> out) {
                  auto done = std::move(self->done);
                  self->next = nullptr; // the loop's own reference
                  done(std::move(out));
              };
              if (!r) {
                  finish(r.error());
                  return;
              }
              if (r->empty()) {
                  finish(std::move(self->found));
                  return;
              }
              if (r->encoded && r->encoded->format == kafka_v2_format_name) {
                  auto headers = headers_of_record_batches(r->encoded->bytes.to_string());
                  if (headers.error != error_code::none) {
                      finish(sdk::status(sdk::errc::corruption, headers.detail));
                      return;
                  }
                  for (const auto& h : headers.batches) {
                      if (h.producer_id == producer_id && h.base_offset >= at()) {
                          self->found.push_back({ h.producer_epoch, h.base_sequence, h.count, h.base_offset });
                      }
                  }
              }
              auto next = self->next;
              next(r->last_offset() + 1);
          });
    };
    // Never before the retry window: no client retries an older batch, and a busy
    // partition's whole history is not read for a producer that has been idle for long.
    _kernel.offset_for_timestamp(_config.vhost,
                                 topic,
                                 sdk::partition_id(partition),
                                 sdk::timestamp_ms(now_ms()() - retry_window_ms),
                                 [alive = _alive, state, from](sdk::result<sdk::offset> o) mutable {
                                     if (!*alive) {
                                         return;
                                     }
                                     if (!o) {
                                         auto done = std::move(state->done);
                                         state->next = nullptr;
                                         done(o.error());
                                         return;
                                     }
                                     auto next = state->next;
                                     next(std::max(*o, sdk::offset{ from }));
                                 });
}

} // namespace plexus::protocol::kafka
