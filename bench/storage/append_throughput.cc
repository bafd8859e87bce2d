#include "bench/storage/append_throughput.h"

#include "bench/storage/engine_session.h"
#include "bench/storage/records.h"
#include "bench/storage/work_dir.h"

#include <fmt/format.h>

#include <optional>

namespace plexus::bench {

sdk::result<measurement> measure_append_throughput(const scenario_context& ctx, const append_options& options)
{
    auto bench = open_bench_log(ctx, options.engine, fsync_config(options.engine, options.fsync), "append");
    if (!bench) {
        return bench.error();
    }
    auto& session = bench->session;
    auto& log = bench->log;
    auto& shard = session->shard();
    const auto ring = batches_to_append(options.batch_records, options.bodies);
    const std::uint64_t batch_payload = options.batch_records * record_body_bytes;

    const auto began = std::chrono::steady_clock::now();
    std::uint64_t payload = 0;
    for (std::size_t turn = 0; payload < options.payload_bytes; ++turn) {
        sdk::record_batch batch;
        batch.records = ring[turn % ring.size()].records;
        if (auto r = log->append(std::move(batch)); !r) {
            return r.error();
        }
        payload += batch_payload;
        // One event-loop turn per batch: completions the engine posted (a sealed segment's
        // background sync) run between appends, as they would on a broker shard.
        shard.run_ready();
    }
    const auto appended = std::chrono::steady_clock::now();

    std::optional<sdk::result<sdk::offset>> flushed;
    log->flush([&](sdk::result<sdk::offset> r) { flushed.emplace(std::move(r)); });
    shard.run_until([&] { return flushed.has_value(); }, appended + std::chrono::seconds(60));
    if (!flushed) {
        return sdk::status(sdk::errc::timed_out, "the final flush did not complete within 60 s");
    }
    if (!*flushed) {
        return flushed->error();
    }
    const std::uint64_t stored = log->size_bytes();
    log.reset(); // syncs what is unsynced and saves the index
    auto closed = session->close();
    session.reset(); // waits for the pool: a sealed segment's sync may still be running
    if (!closed.ok()) {
        return closed;
    }
    const auto durable = std::chrono::steady_clock::now();

    measurement m;
    m.value = static_cast<double>(payload) / seconds_between(began, durable) / 1e6;
    m.extras = {
        { "bodies", std::string(body_kind_name(options.bodies)) },
        { "payload_bytes", std::to_string(payload) },
        { "stored_bytes", std::to_string(stored) },
        { "append_s", fmt::format("{:.3f}", seconds_between(began, appended)) },
        { "flush_close_s", fmt::format("{:.3f}", seconds_between(appended, durable)) },
    };
    return m;
}

} // namespace plexus::bench
