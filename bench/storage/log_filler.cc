#include "bench/storage/log_filler.h"

#include "bench/storage/engine_session.h"
#include "bench/storage/records.h"

#include <cstdio>

namespace plexus::bench {

namespace {

sdk::status append_batch(sdk::log& log, shard_loop& shard, const sdk::record_batch& prebuilt)
{
    sdk::record_batch batch;
    batch.records = prebuilt.records;
    auto r = log.append(std::move(batch));
    shard.run_ready();
    return r.error();
}

} // namespace

sdk::status fill_log(sdk::log& log, shard_loop& shard, std::uint64_t bytes)
{
    const auto prebuilt = hundred_byte_batch(1000);
    while (log.size_bytes() < bytes) {
        if (auto st = append_batch(log, shard, prebuilt); !st.ok()) {
            return st;
        }
    }
    return {};
}

int run_recovery_writer(const scenario_context& ctx,
                        const std::string& engine,
                        const std::filesystem::path& data_dir,
                        std::uint64_t bytes)
{
    auto session = engine_session::open({ ctx.plugin_dir, engine, fsync_config(engine, "none"), data_dir, ctx.logger });
    if (!session) {
        std::fprintf(stderr, "recovery-writer: %s\n", session.error().to_string().c_str());
        return 1;
    }
    auto log = (*session)->open_log(recovery_log_name);
    if (!log) {
        std::fprintf(stderr, "recovery-writer: %s\n", log.error().to_string().c_str());
        return 1;
    }
    auto& shard = (*session)->shard();
    if (auto st = fill_log(**log, shard, bytes); !st.ok()) {
        std::fprintf(stderr, "recovery-writer: %s\n", st.to_string().c_str());
        return 1;
    }
    std::printf("ready %lld\n", static_cast<long long>((*log)->offsets().next()));
    std::fflush(stdout);
    // Keep writing until the parent's SIGKILL lands; should it never come (the parent died),
    // stop after a bounded amount rather than filling the disk.
    const auto prebuilt = hundred_byte_batch(1000);
    const std::uint64_t limit = (*log)->size_bytes() + (256ull << 20);
    while ((*log)->size_bytes() < limit) {
        if (auto st = append_batch(**log, shard, prebuilt); !st.ok()) {
            std::fprintf(stderr, "recovery-writer: %s\n", st.to_string().c_str());
            return 1;
        }
    }
    std::fprintf(stderr, "recovery-writer: not killed after 256 MiB more; stopping\n");
    return 2;
}

} // namespace plexus::bench
