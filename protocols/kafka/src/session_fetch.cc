// Fetch: records from each requested partition from its fetch offset: the batches Produce
// stored, byte for byte (the first may begin below the fetch offset; clients skip what they
// did not ask for), or records stored by other protocols encoded as one RecordBatch v2. When fewer than min_bytes are
// available the request waits up to max_wait_ms: each partition waits in the kernel for a record past the high
// watermark it was last seen at (wait_for_records), and the first append to any of them, or the deadline, starts
// another round. A wait lasts at most fetch_poll_interval at a time, since a wait of a connection that closed cannot be
// withdrawn. Without transactions read_committed and read_uncommitted see the same records.
#include "error_code.h"
#include "generated/fetch.h"
#include "record_batch_v2.h"
#include "session.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <utility>

namespace plexus::protocol::kafka {
namespace {

/// The bytes of batches Produce stored; another format is a bug, answered as an error.
std::string stored_batches(const sdk::encoded_records& e)
{
    if (e.format != kafka_v2_format_name) {
        throw std::runtime_error("records in format '" + e.format + "' in a Kafka topic");
    }
    return e.bytes.to_string();
}

} // namespace

struct session::fetch_state
{
    struct partition
    {
        std::size_t topic = 0;
        std::size_t index = 0;
        std::int16_t error = 0;
        std::int64_t high_watermark = -1;
        std::int64_t log_start = -1;
        std::string records;
        bool waiting = false; ///< a kernel wait for a record at high_watermark is out
    };

    request_context ctx;
    generated::fetch_request request;
    std::chrono::steady_clock::time_point deadline;
    std::vector<partition> partitions;
    std::size_t left = 0;  ///< kernel calls of the current round still out
    bool woken = false;    ///< an append arrived while a round was out: look again at once
    bool finished = false; ///< answered; waits still out are ignored when they come back
};

sdk::status session::on_fetch(const request_context& ctx, std::string_view body)
{
    auto st = std::make_shared<fetch_state>();
    wire_reader r(body);
    st->request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a Fetch request is truncated or malformed");
    }
    st->ctx = ctx;
    st->deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max(0, st->request.max_wait_ms));
    for (std::size_t t = 0; t < st->request.topics.size(); ++t) {
        for (std::size_t p = 0; p < st->request.topics[t].partitions.size(); ++p) {
            st->partitions.push_back({ t, p, 0, -1, -1, {} });
        }
    }
    fetch_round(std::move(st));
    return {};
}

void session::fetch_round(std::shared_ptr<fetch_state> st)
{
    if (st->partitions.empty()) {
        fetch_finish(st);
        return;
    }
    st->left = st->partitions.size();
    auto one_done = [this, st] {
        if (--st->left > 0) {
            return;
        }
        std::size_t bytes = 0;
        bool failed = false;
        for (const auto& p : st->partitions) {
            bytes += p.records.size();
            failed |= p.error != 0;
        }
        bool enough = bytes >= static_cast<std::size_t>(std::max(1, st->request.min_bytes));
        if (enough || failed || std::chrono::steady_clock::now() >= st->deadline) {
            fetch_finish(st);
            return;
        }
        if (std::exchange(st->woken, false)) {
            fetch_round(st);
            return;
        }
        fetch_wait(st);
    };
    for (auto& part : st->partitions) {
        part.records.clear();
        part.error = 0;
        const auto& topic = st->request.topics[part.topic];
        const auto& want = topic.partitions[part.index];
        _kernel.stream_offsets(
          _config.vhost,
          topic.topic,
          sdk::partition_id(want.partition),
          [this, alive = _alive, st, &part, one_done](sdk::result<sdk::log_offsets> offsets) mutable {
              if (!*alive) {
                  return;
              }
              if (!offsets) {
                  part.error = wire(to_error_code(offsets.error()));
                  one_done();
                  return;
              }
              part.high_watermark = offsets->next();
              part.log_start = offsets->start();
              const auto& topic = st->request.topics[part.topic];
              const auto& want = topic.partitions[part.index];
              if (want.fetch_offset < offsets->start() || want.fetch_offset > offsets->next()) {
                  part.error = wire(error_code::offset_out_of_range);
                  one_done();
                  return;
              }
              if (want.fetch_offset == offsets->next()) {
                  one_done(); // nothing new yet
                  return;
              }
              _kernel.fetch(_config.vhost,
                            topic.topic,
                            sdk::partition_id(want.partition),
                            sdk::offset(want.fetch_offset),
                            static_cast<std::size_t>(std::max(1, want.partition_max_bytes)),
                            sdk::batch_form::as_stored,
                            [alive, &part, one_done](sdk::result<sdk::record_batch> batch) mutable {
                                if (!*alive) {
                                    return;
                                }
                                if (!batch) {
                                    part.error = wire(batch.error().code() == sdk::errc::not_found
                                                        ? error_code::offset_out_of_range
                                                        : to_error_code(batch.error()));
                                } else {
                                    try {
                                        part.records = batch->encoded ? stored_batches(*batch->encoded)
                                                                      : encode_record_batch(*batch);
                                    } catch (const std::exception&) { // no exception into the kernel
                                        part.error = wire(error_code::unknown_server_error);
                                    }
                                }
                                one_done();
                            });
          });
    }
}

void session::fetch_wait(const std::shared_ptr<fetch_state>& st)
{
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(st->deadline - std::chrono::steady_clock::now());
    const auto wait = std::clamp(left, std::chrono::milliseconds(1), _config.fetch_poll_interval);
    for (auto& part : st->partitions) {
        if (part.waiting) {
            continue; // an earlier round's wait is still out; it wakes this round as well
        }
        part.waiting = true;
        const auto& topic = st->request.topics[part.topic];
        _kernel.wait_for_records(_config.vhost,
                                 topic.topic,
                                 sdk::partition_id(topic.partitions[part.index].partition),
                                 sdk::offset(part.high_watermark),
                                 wait,
                                 [this, alive = _alive, st, &part](sdk::result<sdk::log_offsets>) {
                                     part.waiting = false;
                                     if (!*alive || st->finished) {
                                         return;
                                     }
                                     if (st->left > 0) {
                                         st->woken = true; // a round is out: it looks again when done
                                         return;
                                     }
                                     fetch_round(st); // an error or the deadline: the round finds it
                                 });
    }
}

void session::fetch_finish(const std::shared_ptr<fetch_state>& st)
{
    st->finished = true;
    generated::fetch_response response;
    response.responses.resize(st->request.topics.size());
    for (std::size_t t = 0; t < st->request.topics.size(); ++t) {
        response.responses[t].topic = st->request.topics[t].topic;
    }
    // The response's max_bytes is a soft limit, as in Kafka: the first partition with records
    // is always returned whole so that a large record cannot stall a consumer.
    std::size_t budget = static_cast<std::size_t>(std::max(1, st->request.max_bytes));
    std::size_t used = 0;
    for (auto& part : st->partitions) {
        generated::fetch_response::fetchable_topic_response::partition_data out;
        out.partition_index = st->request.topics[part.topic].partitions[part.index].partition;
        out.error_code = part.error;
        out.high_watermark = part.high_watermark;
        out.last_stable_offset = part.high_watermark;
        out.log_start_offset = part.log_start;
        if (!part.records.empty() && (used == 0 || used + part.records.size() <= budget)) {
            used += part.records.size();
            out.records = std::move(part.records);
        } else {
            out.records = std::string();
        }
        out.aborted_transactions =
          std::vector<generated::fetch_response::fetchable_topic_response::partition_data::aborted_transaction>{};
        response.responses[part.topic].partitions.push_back(std::move(out));
    }
    respond(st->ctx, response, generated::fetch_request::flexible(st->ctx.api_version));
}

} // namespace plexus::protocol::kafka
