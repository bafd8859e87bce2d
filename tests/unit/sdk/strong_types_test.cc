#include "plexus/sdk/routing.h"
#include "plexus/sdk/strong_types.h"

#include <catch2/catch.hpp>

#include <type_traits>
#include <unordered_set>
#include <vector>

using namespace plexus::sdk;

TEST_CASE("strong types: arithmetic and comparison", "[unit][sdk][strong_types]")
{
    offset a{ 5 };
    offset b = a + 3;
    CHECK(b() == 8);
    CHECK((b - 2)() == 6);
    CHECK(b - a == 3);
    CHECK(a < b);
    CHECK(a == offset{ 5 });
    CHECK(a != b);
    ++a;
    CHECK(a() == 6);
    CHECK(offset{}() == 0);

    // Different tags do not mix.
    static_assert(!std::is_convertible_v<offset, partition_id>);
    static_assert(!std::is_convertible_v<std::int64_t, offset>); // construction is explicit
    static_assert(!std::is_same_v<offset, timestamp_ms>);

    std::unordered_set<destination_id> ids{ destination_id{ 1 }, destination_id{ 2 }, destination_id{ 1 } };
    CHECK(ids.size() == 2);
}

TEST_CASE("offset_range::count", "[unit][sdk][strong_types]")
{
    CHECK(offset_range{ offset{ 0 }, offset{ 0 } }.count() == 1);
    CHECK(offset_range{ offset{ 3 }, offset{ 7 } }.count() == 5);
    CHECK(offset_range{ offset{ 10 }, offset{ 9 } }.count() == 0); // empty
    static_assert(offset_range{ offset{ 0 }, offset{ 99 } }.count() == 100);
    CHECK(offset_range{ offset{ 1 }, offset{ 2 } } == offset_range{ offset{ 1 }, offset{ 2 } });
    CHECK_FALSE(offset_range{ offset{ 1 }, offset{ 2 } } == offset_range{ offset{ 1 }, offset{ 3 } });
}

TEST_CASE("destination_set::deduplicate", "[unit][sdk][routing]")
{
    destination_set s;
    s.deduplicate(); // empty
    CHECK(s.empty());

    s.add(destination_id{ 4 });
    s.deduplicate(); // single
    CHECK(s.size() == 1);

    for (std::uint64_t v : { 3, 1, 3, 2, 4, 1, 1 }) {
        s.add(destination_id{ v });
    }
    CHECK(s.size() == 8);
    s.deduplicate();
    std::vector<std::uint64_t> got;
    for (auto d : s) {
        got.push_back(d());
    }
    CHECK(got == std::vector<std::uint64_t>{ 1, 2, 3, 4 });
    CHECK(s[0] == destination_id{ 1 });
    s.clear();
    CHECK(s.empty());
    CHECK(s.begin() == s.end());
}
