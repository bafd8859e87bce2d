#include "bench/storage/options.h"

#include <charconv>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <string_view>
#include <vector>

namespace plexus::bench {

namespace {

sdk::status bad(const std::string& what)
{
    return sdk::status(sdk::errc::invalid_argument, what);
}

std::optional<std::uint64_t> number(std::string_view text)
{
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<double> decimal(const std::string& text)
{
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || v < 0) {
        return std::nullopt;
    }
    return v;
}

std::string default_plugin_dir()
{
    const char* env = std::getenv("PLEXUS_PLUGIN_DIR");
    return env != nullptr && *env != '\0' ? std::string(env) : std::string(PLEXUS_PLUGIN_DIR);
}

} // namespace

const char* usage_text()
{
    return R"(usage: plexus-storage-bench <scenario> [options]

scenarios (each prints one `result ...` line on stdout; progress goes to stderr):
  append      MB/s of 100-byte record payload appended in batches, then made durable
  commit      confirmed appends/s of concurrent single-record appenders awaiting flush
  fdatasync   yardstick: write 100 bytes + fdatasync per loop, syncs/s
  recovery    seconds to reopen the engine and a full log after a clean stop or kill -9

options:
  --engine NAME       storage plugin: file (default), rocksdb, memory
  --fsync POLICY      none | batch | always (default: none for append, batch for commit)
  --payload-mib N     append: record payload to write (default 1024)
  --batch N           append: records per batch (default 1000)
  --bodies KIND       append: repeated (one letter, compresses to nothing; default) or random
  --appenders N       commit: concurrent appenders (default 64)
  --seconds S         commit / fdatasync: measuring time (default 3 / 2)
  --warmup-ms N       commit: time before counting starts (default 500)
  --log-mib N         recovery: size of the log (default 1024)
  --stop clean|kill   recovery: how the writer stops (default clean)
  --cold              recovery: evict the data from the page cache before reopening
  --repetitions N     measurements to take; the result is their median (default 3)
  --quick             smoke run: 1 repetition, 128 MiB, 1 s
  --dir DIR           where work directories go (default $TMPDIR, else /tmp); removed after
  --plugin-dir DIR    where the plugins are (default $PLEXUS_PLUGIN_DIR, else the build's)
  --verbose           engine log lines from info up (default: warnings)
)";
}

sdk::result<bench_options> parse_options(int argc, char** argv)
{
    bench_options o;
    o.plugin_dir = default_plugin_dir();
    std::set<std::string> given;
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0].starts_with("-")) {
        return bad("missing the scenario");
    }
    o.scenario = args[0];
    static const std::set<std::string> scenarios = { "append", "commit", "fdatasync", "recovery", "recovery-writer" };
    if (!scenarios.contains(o.scenario)) {
        return bad("unknown scenario '" + o.scenario + "'");
    }
    // Integer options: the smallest value each takes, and where it goes.
    struct integer_option
    {
        std::uint64_t min;
        std::function<void(std::uint64_t)> set;
    };
    const std::map<std::string, integer_option> integers = {
        { "--payload-mib", { 1, [&](std::uint64_t v) { o.payload_bytes = v << 20; } } },
        { "--batch", { 1, [&](std::uint64_t v) { o.batch_records = v; } } },
        { "--appenders", { 1, [&](std::uint64_t v) { o.appenders = static_cast<int>(v); } } },
        { "--warmup-ms", { 0, [&](std::uint64_t v) { o.warmup = std::chrono::milliseconds(v); } } },
        { "--log-mib", { 1, [&](std::uint64_t v) { o.log_bytes = v << 20; } } },
        { "--log-bytes", { 1, [&](std::uint64_t v) { o.log_bytes = v; } } }, // recovery-writer
        { "--repetitions", { 1, [&](std::uint64_t v) { o.repetitions = static_cast<int>(v); } } },
    };
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& flag = args[i];
        if (flag == "--cold" || flag == "--quick" || flag == "--verbose") {
            (flag == "--cold" ? o.cold : flag == "--quick" ? o.quick : o.verbose) = true;
            continue;
        }
        if (i + 1 >= args.size()) {
            return bad("option " + flag + " needs a value");
        }
        const std::string& value = args[++i];
        given.insert(flag);
        if (auto it = integers.find(flag); it != integers.end()) {
            const auto n = number(value);
            if (!n || *n < it->second.min || *n > (1ull << 40)) {
                return bad("option " + flag + ": expected an integer >= " + std::to_string(it->second.min) + ", got '" +
                           value + "'");
            }
            it->second.set(*n);
        } else if (flag == "--engine") {
            o.engine = value;
        } else if (flag == "--fsync") {
            if (value != "none" && value != "batch" && value != "always") {
                return bad("option --fsync: expected none, batch or always, got '" + value + "'");
            }
            o.fsync = value;
        } else if (flag == "--seconds") {
            const auto s = decimal(value);
            if (!s || *s <= 0) {
                return bad("option --seconds: expected a positive number, got '" + value + "'");
            }
            o.duration = std::chrono::milliseconds(static_cast<std::int64_t>(*s * 1000));
        } else if (flag == "--bodies") {
            auto kind = parse_body_kind(value);
            if (!kind) {
                return bad("option --bodies: expected repeated or random, got '" + value + "'");
            }
            o.bodies = *kind;
        } else if (flag == "--stop") {
            if (value != "clean" && value != "kill") {
                return bad("option --stop: expected clean or kill, got '" + value + "'");
            }
            o.stop = value;
        } else if (flag == "--dir") {
            o.dir = value;
        } else if (flag == "--plugin-dir") {
            o.plugin_dir = value;
        } else if (flag == "--data-dir") {
            o.data_dir = value;
        } else {
            return bad("unknown option " + flag);
        }
    }
    if (o.quick) {
        if (!given.contains("--payload-mib")) {
            o.payload_bytes = 128ull << 20;
        }
        if (!given.contains("--log-mib")) {
            o.log_bytes = 128ull << 20;
        }
        if (!given.contains("--seconds")) {
            o.duration = std::chrono::milliseconds(1000);
        }
        if (!given.contains("--warmup-ms")) {
            o.warmup = std::chrono::milliseconds(200);
        }
        if (!given.contains("--repetitions")) {
            o.repetitions = 1;
        }
    }
    if (o.dir.empty()) {
        std::error_code ec;
        o.dir = std::filesystem::temp_directory_path(ec); // $TMPDIR, else /tmp
        if (ec) {
            o.dir = "/tmp";
        }
    }
    if (o.scenario == "recovery-writer" && o.data_dir.empty()) {
        return bad("recovery-writer needs --data-dir");
    }
    return o;
}

} // namespace plexus::bench
