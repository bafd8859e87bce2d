// ListOffsets: per partition the earliest offset (timestamp -2), the latest (-1, the offset
// the next record gets), the record with the largest timestamp (-3, v7: taken as the last
// record, exact while timestamps do not decrease), or the first record at or after a
// timestamp, with that record's timestamp; -1/-1 when no record qualifies.
#include "error_code.h"
#include "generated/list_offsets.h"
#include "session.h"

#include <limits>

namespace plexus::protocol::kafka {
namespace {

constexpr std::int64_t latest = -1;
constexpr std::int64_t earliest = -2;
constexpr std::int64_t max_timestamp = -3;

} // namespace

sdk::status session::on_list_offsets(const request_context& ctx, std::string_view body)
{
    generated::list_offsets_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a ListOffsets request is truncated or malformed");
    }
    using response_t = generated::list_offsets_response;
    auto response = std::make_shared<response_t>();
    auto left = std::make_shared<std::size_t>(1);
    auto finish = [this, ctx, response, left] {
        if (--*left == 0) {
            respond(ctx, *response, generated::list_offsets_request::flexible(ctx.api_version));
        }
    };
    response->topics.resize(request.topics.size());
    for (std::size_t t = 0; t < request.topics.size(); ++t) {
        const auto& topic = request.topics[t];
        response->topics[t].name = topic.name;
        response->topics[t].partitions.resize(topic.partitions.size());
        for (std::size_t p = 0; p < topic.partitions.size(); ++p) {
            const auto want = topic.partitions[p];
            auto* out = &response->topics[t].partitions[p];
            out->partition_index = want.partition_index;
            ++*left;
            auto partition = sdk::partition_id(want.partition_index);
            // Reads from `at` to answer with the first record there whose timestamp is at
            // least `min_ts` (offset -1: none). A Kafka batch stored whole is found by its max
            // timestamp: the record is then among the batch's records from `at` on.
            auto answer_with_record = [this, alive = _alive, out, finish, name = topic.name, partition](
                                        std::int64_t at, std::int64_t min_ts) mutable {
                if (at < 0) {
                    finish();
                    return;
                }
                _kernel.fetch(_config.vhost,
                              name,
                              partition,
                              sdk::offset(at),
                              1,
                              sdk::batch_form::messages,
                              [alive, out, finish, min_ts](sdk::result<sdk::record_batch> batch) mutable {
                                  if (!*alive) {
                                      return;
                                  }
                                  if (batch) {
                                      auto o = batch->base_offset;
                                      for (const auto& m : batch->records) {
                                          if (m->timestamp() >= min_ts) {
                                              out->offset = o();
                                              out->timestamp = m->timestamp();
                                              break;
                                          }
                                          ++o;
                                      }
                                  }
                                  finish();
                              });
            };
            _kernel.stream_offsets(
              _config.vhost,
              topic.name,
              partition,
              [this, alive = _alive, out, want, finish, answer_with_record, name = topic.name, partition](
                sdk::result<sdk::log_offsets> offsets) mutable {
                  if (!*alive) {
                      return;
                  }
                  if (!offsets) {
                      out->error_code = wire(to_error_code(offsets.error()));
                      finish();
                      return;
                  }
                  out->leader_epoch = 0;
                  if (want.timestamp == earliest || want.timestamp == latest) {
                      out->offset = want.timestamp == earliest ? offsets->start() : offsets->next();
                      out->timestamp = -1;
                      finish();
                      return;
                  }
                  if (want.timestamp == max_timestamp) {
                      answer_with_record(offsets->next() > offsets->start() ? offsets->next() - 1 : -1,
                                         std::numeric_limits<std::int64_t>::min());
                      return;
                  }
                  if (want.timestamp < 0) {
                      out->error_code = wire(error_code::invalid_request);
                      finish();
                      return;
                  }
                  _kernel.offset_for_timestamp(
                    _config.vhost,
                    name,
                    partition,
                    sdk::timestamp_ms(want.timestamp),
                    [alive, out, finish, answer_with_record, next = offsets->next(), ts = want.timestamp](
                      sdk::result<sdk::offset> found) mutable {
                        if (!*alive) {
                            return;
                        }
                        if (!found) {
                            out->error_code = wire(to_error_code(found.error()));
                            finish();
                            return;
                        }
                        answer_with_record((*found)() < next ? (*found)() : -1, ts);
                    });
              });
        }
    }
    finish();
    return {};
}

} // namespace plexus::protocol::kafka
