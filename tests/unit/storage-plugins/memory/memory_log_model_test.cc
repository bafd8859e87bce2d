// The memory log against a trivially correct model (a std::deque of the live records) under
// random appends of every size (packed and adopted segments), truncations, reads and timestamp
// look-ups, with fixed seeds so that a failure replays.
#include "memory_log.h"

#include <catch2/catch.hpp>

#include <deque>
#include <random>
#include <string>

using namespace plexus;
using plexus::storage::memory::log_data;
using sdk::offset;

namespace {

struct model
{
    std::deque<sdk::message_ptr> live;
    std::int64_t start = 0;
    std::int64_t next() const { return start + static_cast<std::int64_t>(live.size()); }
    std::uint64_t bytes() const
    {
        std::uint64_t n = 0;
        for (const auto& m : live) {
            n += m->size_bytes();
        }
        return n;
    }
    std::int64_t offset_for_timestamp(std::int64_t ts) const
    {
        for (std::size_t i = 0; i < live.size(); ++i) {
            if (live[i]->timestamp() >= ts) {
                return start + static_cast<std::int64_t>(i);
            }
        }
        return next();
    }
};

void run_model(std::uint64_t seed, bool monotonic)
{
    INFO("seed " << seed << (monotonic ? " monotonic" : " shuffled"));
    std::mt19937_64 rng(seed);
    auto uniform = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    log_data log(std::nullopt);
    model m;
    std::int64_t clock = 0;
    int serial = 0;
    for (int step = 0; step < 2000; ++step) {
        const auto op = uniform(0, 9);
        if (op < 5) {
            // Sizes around the packing threshold and the packed segment's capacity.
            static const std::int64_t sizes[] = { 0, 1, 2, 7, 31, 32, 33, 100, 255, 256, 257 };
            const auto n = sizes[uniform(0, std::size(sizes) - 1)];
            sdk::record_batch b;
            for (std::int64_t i = 0; i < n; ++i) {
                auto msg = std::make_shared<sdk::message>();
                const auto pad = static_cast<std::size_t>(uniform(0, 40));
                msg->body = sdk::buffer_chain::copy_of(std::to_string(serial++) + std::string(pad, '.'));
                clock += monotonic ? uniform(0, 3) : 0;
                msg->timestamp = sdk::timestamp_ms(monotonic ? clock : uniform(0, 1000));
                b.records.push_back(msg);
            }
            auto copy = b.records;
            auto r = log.append(std::move(b));
            REQUIRE(r.ok());
            CHECK(r->first == offset{ m.next() });
            CHECK(r->count() == n);
            m.live.insert(m.live.end(), copy.begin(), copy.end());
        } else if (op < 6) {
            const auto to = uniform(m.start, m.next());
            REQUIRE(log.truncate_prefix(offset{ to }).ok());
            while (m.start < to) {
                m.live.pop_front();
                ++m.start;
            }
        } else if (op < 9) {
            const auto from = uniform(m.start - 2, m.next() + 2);
            const auto budget = static_cast<std::size_t>(uniform(0, 2000));
            auto r = log.read(offset{ from }, budget);
            if (from < m.start) {
                REQUIRE_FALSE(r.ok());
                CHECK(r.error().code() == sdk::errc::not_found);
                continue;
            }
            REQUIRE(r.ok());
            CHECK(r->base_offset == offset{ from });
            if (from >= m.next()) {
                CHECK(r->empty());
                continue;
            }
            // At least one record; then every record that fits the budget, and no more.
            REQUIRE_FALSE(r->empty());
            std::size_t used = 0;
            std::size_t want = 0;
            for (std::int64_t o = from; o < m.next(); ++o) {
                const auto sz = m.live[static_cast<std::size_t>(o - m.start)]->size_bytes();
                if (want > 0 && used + sz > budget) {
                    break;
                }
                used += sz;
                ++want;
            }
            REQUIRE(r->size() == want);
            for (std::size_t i = 0; i < r->size(); ++i) {
                const auto at = static_cast<std::size_t>(from - m.start) + i;
                CHECK(r->records[i].get() == m.live[at].get());
            }
        } else {
            const auto ts = monotonic ? uniform(-1, clock + 1) : uniform(-1, 1001);
            CHECK(log.offset_for_timestamp(sdk::timestamp_ms(ts)) == offset{ m.offset_for_timestamp(ts) });
        }
        REQUIRE(log.start() == offset{ m.start });
        REQUIRE(log.next() == offset{ m.next() });
        REQUIRE(log.size_bytes() == m.bytes());
    }
}

} // namespace

TEST_CASE("memory log matches a model: monotonic timestamps", "[unit][storage][memory]")
{
    for (std::uint64_t seed : { 1, 2, 3, 42 }) {
        run_model(seed, true);
    }
}

TEST_CASE("memory log matches a model: unordered timestamps", "[unit][storage][memory]")
{
    for (std::uint64_t seed : { 7, 8, 9 }) {
        run_model(seed, false);
    }
}
