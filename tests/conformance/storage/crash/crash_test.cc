// The storage crash test (issue 3): what a flush() confirmed survives a process crash.
//
// A child process (crash_child.cc) appends to one log with fsync `always` and reports every
// range a flush() confirmed. The test SIGKILLs it at a random moment, at least 20 times, and
// after most kills opens the engine itself (through the real loader, as the child does) and
// reads the whole log back: every confirmed record must be there once, in order, intact;
// records after the last confirmed one may be missing (appended, never confirmed) but those
// that are there must be intact too. The log grows over the rounds, so recovery runs over all
// that earlier rounds left. A round the test does not check leaves the crashed state to the
// next child, which recovers it and appends after it, as a restarted broker would; the next
// check covers both rounds.
//
// Built once per durable engine (PLEXUS_STORAGE_CRASH_ENGINES), named by $PLEXUS_STORAGE_ENGINE.
// $PLEXUS_CRASH_SEED replays a run's kill moments and choice of checks (the seed is printed
// with every failure); $PLEXUS_CRASH_ROUNDS sets the number of kills.
#include "conformance/storage/crash/crash_protocol.h"
#include "conformance/storage/engine_fixture.h"
#include "support/killable_process.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>

using namespace plexus;
using plexus::test::storage::engine_fixture;
using sdk::offset;

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int default_rounds = 30;
constexpr std::chrono::milliseconds shortest_run{ 20 };
constexpr std::chrono::milliseconds longest_run{ 300 };
constexpr std::size_t read_bytes = 1u << 20;
const std::string log_name = "s/v/crash/0";

/// fsync `always` is what the issue asks for. The other keys make the kills land in more of
/// the engine's code: the file engine's small segments roll many times a round (a sealed
/// segment's index is saved in the background), and RocksDB's small write buffer makes
/// memtable flushes and WAL switches happen while the child runs, so recovery combines SST
/// files with a WAL replay.
std::string crash_config(const std::string& engine)
{
    if (engine == "file") {
        return R"({"fsync":"always","segment_bytes":262144})";
    }
    if (engine == "rocksdb") {
        return R"({"fsync":"always","write_buffer_bytes":1048576})";
    }
    return R"({"fsync":"always"})";
}

std::uint64_t env_number(const char* name, std::uint64_t fallback)
{
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

/// What the rounds found, for the summary and the checks against a vacuous pass.
struct tally
{
    int rounds = 0;
    int start_kills = 0;        ///< rounds whose kill was aimed at the child's start
    int killed_before_open = 0; ///< of those, the child died before it opened the log
    int rounds_confirming = 0;  ///< other rounds whose child confirmed at least one range
    int checks = 0;             ///< times the test read the whole log back
    std::int64_t confirmations = 0;
    std::int64_t confirmed_records = 0; ///< in confirmed ranges, summed over rounds
    std::int64_t records_checked = 0;   ///< summed over checks
    offset last_next{ 0 };              ///< the log's end at the last check
    std::int64_t last_unconfirmed = 0;  ///< records past every confirmation at the last check
};

/// Where the child's reports have got to in a round.
struct progress
{
    offset next;          ///< after the last record of the last confirmed range
    offset committed_end; ///< the largest committed offset a flush completed with
};

/// The child's `opened` line, if it wrote one before it died.
std::optional<offset> take_opened(tests::killable_process& child)
{
    auto line = child.take_line();
    if (!line) {
        return std::nullopt;
    }
    auto r = test::storage::crash::parse_report(*line);
    if (!r || r->what != test::storage::crash::report::kind::opened) {
        FAIL("the child's first line is not `opened <next>`: '" << *line << "'");
    }
    return r->first;
}

/// Waits for the child's `opened` line; fails the test if it exits or takes too long first.
offset await_opened(tests::killable_process& child)
{
    const auto deadline = clock_type::now() + std::chrono::seconds(30);
    for (;;) {
        const bool running = child.read_until(std::min(deadline, clock_type::now() + std::chrono::milliseconds(5)));
        if (auto opened = take_opened(child)) {
            return *opened;
        }
        if (!running || clock_type::now() >= deadline) {
            FAIL("the child did not open the log: " << child.kill_and_reap().describe());
        }
    }
}

/// Takes the child's confirmations so far: contiguous ranges, each with a committed offset
/// past it.
void take_confirmations(tests::killable_process& child, progress& p, tally& t)
{
    while (auto line = child.take_line()) {
        auto r = test::storage::crash::parse_report(*line);
        if (!r || r->what != test::storage::crash::report::kind::confirmed) {
            FAIL("not a confirmation from the child: '" << *line << "'");
        }
        INFO("confirmation '" << *line << "'");
        REQUIRE(r->first() == p.next());
        REQUIRE(r->last() >= r->first());
        REQUIRE(r->committed() > r->last());
        p.next = r->last + 1;
        p.committed_end = std::max(p.committed_end, r->committed);
        ++t.confirmations;
        t.confirmed_records += r->last - r->first + 1;
    }
}

/// Opens the engine in this process and reads the whole log. Every record below
/// `confirmed_end` is durable by a completed flush. Returns the log's next offset.
offset check_log(engine_fixture& fx, offset confirmed_end, tally& t)
{
    fx.start_engine();
    auto log = fx.open_log(log_name);
    const auto o = log->offsets();
    INFO("the log holds " << o.start() << ".." << o.next() << "; " << confirmed_end() << " records were confirmed");
    REQUIRE(o.start() == 0);
    REQUIRE(o.next() >= confirmed_end());
    offset from{ 0 };
    while (from < o.next) {
        auto r = fx.read(*log, from, read_bytes);
        if (!r) {
            FAIL("reading from " << from() << " failed: " << r.error().to_string());
        }
        REQUIRE_FALSE(r->empty());
        REQUIRE(r->base_offset() == from());
        for (const auto& m : r->records) {
            REQUIRE(m != nullptr);
            if (auto bad = test::storage::crash::check_record(from, *m); !bad.empty()) {
                FAIL(bad << (from < confirmed_end ? " (a confirmed record)" : " (appended, never confirmed)"));
            }
            ++from;
        }
    }
    REQUIRE(from() == o.next());
    auto past = fx.read(*log, o.next, read_bytes);
    REQUIRE(past.ok());
    CHECK(past->empty());
    ++t.checks;
    t.records_checked += o.next();
    t.last_next = o.next;
    t.last_unconfirmed = o.next - confirmed_end;
    log.reset();
    fx.stop_engine();
    return o.next;
}

} // namespace

TEST_CASE("records a flush confirmed survive SIGKILL at random moments", "[conformance][storage][crash]")
{
    const std::string engine = engine_fixture::engine_under_test();
    engine_fixture fx(crash_config(engine));
    if (!fx.engine().caps().durable) {
        FAIL("engine '" << engine << "' is not durable: it has no place in PLEXUS_STORAGE_CRASH_ENGINES");
    }
    fx.stop_engine(); // the data directory is the child's until the test checks it

    const std::uint64_t seed = env_number("PLEXUS_CRASH_SEED", std::random_device{}());
    const int rounds = static_cast<int>(env_number("PLEXUS_CRASH_ROUNDS", default_rounds));
    REQUIRE(rounds > 0);
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<long> run_ms(shortest_run.count(), longest_run.count());
    const auto began = clock_type::now();

    tally t;
    // Every record below it is durable: a flush completed with a committed offset this far.
    // That covers records an earlier child appended and never confirmed, too, once a later
    // child's flush confirmed past them (a committed offset covers every record before it).
    offset confirmed_end{ 0 };
    bool checked = false;                           // the log was checked, and no child ran since
    offset checked_next{ 0 };                       // what that check found
    auto open_time = std::chrono::milliseconds(50); // from spawn to `opened`, as last seen
    for (int round = 0; round < rounds; ++round) {
        INFO("engine " << engine << ", round " << round << " of " << rounds << ", PLEXUS_CRASH_SEED=" << seed);
        // Now and then the kill lands while the child starts: in the loader, or in the
        // engine's own recovery of what the previous child left.
        const bool kill_in_start = round > 0 && rng() % 5 == 0;
        const auto spawned = clock_type::now();
        tests::killable_process child(
          { PLEXUS_STORAGE_CRASH_CHILD, fx.plugin_dir(), engine, fx.data_dir().string(), log_name, fx.config_json() });
        REQUIRE(child.spawn_error().empty());

        std::optional<offset> opened;
        clock_type::time_point kill_at;
        if (kill_in_start) {
            ++t.start_kills;
            kill_at = spawned + std::chrono::milliseconds(rng() % (open_time.count() + 1));
        } else {
            opened = await_opened(child);
            open_time = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - spawned);
            // Counted from the open, so that nearly every such round confirms.
            kill_at = clock_type::now() + std::chrono::milliseconds(run_ms(rng));
        }
        child.read_until(kill_at); // drains the pipe meanwhile: the child never waits for us
        auto end = child.kill_and_reap();
        end.out.clear(); // its lines are taken one by one below
        INFO("the child: " << end.describe());
        REQUIRE(end.signalled);
        REQUIRE(end.signal == SIGKILL);
        REQUIRE_FALSE(end.timed_out);
        if (!opened) {
            opened = take_opened(child);
        }
        if (opened) {
            INFO("the child opened the log at " << (*opened)());
            // The child's own recovery (after a crash, or after our clean close) must agree.
            REQUIRE((*opened)() >= confirmed_end());
            if (checked) {
                REQUIRE((*opened)() == checked_next());
            }
            // Every line it wrote, those still in the pipe when it died included, was written
            // after its flush completed.
            progress p{ *opened, confirmed_end };
            take_confirmations(child, p, t);
            if (p.next > *opened && !kill_in_start) {
                ++t.rounds_confirming;
            }
            confirmed_end = p.committed_end;
        } else {
            ++t.killed_before_open;
        }
        ++t.rounds;

        checked = round + 1 == rounds || rng() % 3 != 0;
        if (checked) {
            checked_next = check_log(fx, confirmed_end, t);
        }
    }

    const auto seconds = std::chrono::duration<double>(clock_type::now() - began).count();
    std::cout << "storage crash test, engine " << engine << ": " << t.rounds << " kills in " << seconds << " s ("
              << t.start_kills << " while the child started, " << t.killed_before_open
              << " of them before it opened the log); " << t.rounds_confirming << " other rounds confirmed records; "
              << t.confirmations << " confirmations of " << t.confirmed_records << " records; " << t.checks
              << " checks read " << t.records_checked << " records; at the last check the log held " << t.last_next()
              << " records, " << t.last_unconfirmed
              << " of them appended and never confirmed (PLEXUS_CRASH_SEED=" << seed << ")\n";
    // Not a vacuous pass: the kills must have landed while confirmed data was being written.
    CHECK(t.rounds_confirming * 4 >= (t.rounds - t.start_kills) * 3);
    CHECK(t.confirmed_records >= 20 * static_cast<std::int64_t>(t.rounds));
}
