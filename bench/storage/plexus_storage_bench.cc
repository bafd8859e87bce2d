// plexus-storage-bench: the storage benchmarks of issue 3, each run against an engine loaded
// through the real plugin loader (README.md next to this file says how to run them, and
// run.sh runs them all beside the disk's own limits). A scenario is measured
// --repetitions times and reported as the median, with every sample, on one line:
//
//   result scenario=append engine=file fsync=none unit=MB/s median=812.4 samples=790.1,812.4,830.0 ...
//
// followed by the extras (key=value) of the median sample.
#include "bench/storage/append_throughput.h"
#include "bench/storage/commit_rate.h"
#include "bench/storage/engine_session.h"
#include "bench/storage/log_filler.h"
#include "bench/storage/options.h"
#include "bench/storage/recovery_time.h"
#include "bench/storage/sync_rate.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string_view>
#include <vector>

using namespace plexus;
using namespace plexus::bench;

namespace {

struct scenario_run
{
    std::string label; ///< scenario=... engine=... (the fixed part of the result line)
    std::string unit;
    std::function<sdk::result<measurement>()> measure;
};

std::string extras_text(const measurement& m)
{
    std::string out;
    for (const auto& [k, v] : m.extras) {
        out += fmt::format(" {}={}", k, v);
    }
    return out;
}

int run(const scenario_run& s, int repetitions)
{
    std::vector<measurement> samples;
    for (int i = 0; i < repetitions; ++i) {
        auto m = s.measure();
        if (!m) {
            std::fprintf(stderr, "plexus-storage-bench: %s: %s\n", s.label.c_str(), m.error().to_string().c_str());
            return 1;
        }
        std::fprintf(stderr,
                     "  %s [%d/%d]: %.3f %s%s\n",
                     s.label.c_str(),
                     i + 1,
                     repetitions,
                     m->value,
                     s.unit.c_str(),
                     extras_text(*m).c_str());
        samples.push_back(std::move(*m));
    }
    // The median sample (the lower middle one for an even count), so its extras go with it.
    std::vector<std::size_t> order(samples.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return samples[a].value < samples[b].value; });
    const auto& median = samples[order[(order.size() - 1) / 2]];
    std::string all;
    for (const auto& m : samples) {
        all += fmt::format("{}{:.6g}", all.empty() ? "" : ",", m.value);
    }
    std::printf("result %s unit=%s median=%.6g samples=%s%s\n",
                s.label.c_str(),
                s.unit.c_str(),
                median.value,
                all.c_str(),
                extras_text(median).c_str());
    std::fflush(stdout);
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 2 && (std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h")) {
        std::fputs(usage_text(), stdout);
        return 0;
    }
    auto parsed = parse_options(argc, argv);
    if (!parsed) {
        std::fprintf(stderr, "plexus-storage-bench: %s\n\n%s", parsed.error().to_string().c_str(), usage_text());
        return 2;
    }
    const auto& o = *parsed;
    stderr_logger logger(o.verbose ? sdk::log_level::info : sdk::log_level::warn);
    scenario_context ctx;
    ctx.plugin_dir = o.plugin_dir;
    ctx.work_parent = o.dir;
    std::error_code ec;
    ctx.self = std::filesystem::read_symlink("/proc/self/exe", ec);
    ctx.logger = &logger;

    if (o.scenario == "recovery-writer") {
        return run_recovery_writer(ctx, o.engine, o.data_dir, o.log_bytes);
    }
    scenario_run s;
    if (o.scenario == "append") {
        append_options a{ o.engine, o.fsync.value_or("none"), o.payload_bytes, o.batch_records, o.bodies };
        s = { fmt::format("scenario=append engine={} fsync={} batch={} payload_mib={}",
                          a.engine,
                          a.fsync,
                          a.batch_records,
                          a.payload_bytes >> 20),
              "MB/s",
              [ctx, a] { return measure_append_throughput(ctx, a); } };
    } else if (o.scenario == "commit") {
        commit_options c{
            o.engine, o.fsync.value_or("batch"), o.appenders, o.warmup, o.duration.value_or(std::chrono::seconds(3))
        };
        s = { fmt::format("scenario=commit engine={} fsync={} appenders={}", c.engine, c.fsync, c.appenders),
              "appends/s",
              [ctx, c] { return measure_commit_rate(ctx, c); } };
    } else if (o.scenario == "fdatasync") {
        const auto d = o.duration.value_or(std::chrono::seconds(2));
        s = { "scenario=fdatasync", "syncs/s", [ctx, d] { return measure_sync_rate(ctx, d); } };
    } else {
        recovery_options r{ o.engine, o.log_bytes, o.stop == "kill" ? stop_kind::kill : stop_kind::clean, o.cold };
        s = { fmt::format("scenario=recovery engine={} stop={} cache={} log_mib={}",
                          r.engine,
                          o.stop,
                          r.cold ? "cold" : "warm",
                          r.log_bytes >> 20),
              "s",
              [ctx, r] { return measure_recovery_time(ctx, r); } };
    }
    return run(s, o.repetitions);
}
