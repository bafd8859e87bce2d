#include "file_config.h"

#include <catch2/catch.hpp>

using namespace plexus;
using storage::file::fsync_policy;
using storage::file::parse_config;

TEST_CASE("file config: defaults and every key", "[unit][storage][file]")
{
    auto d = parse_config("{}");
    REQUIRE(d.ok());
    CHECK(d->fsync == fsync_policy::batch);
    CHECK(d->batch_delay.count() == 0);
    CHECK(d->segment_bytes == 64u << 20);
    CHECK(d->index_interval_bytes == 4096u);
    CHECK_FALSE(d->verify_all_on_start);

    auto c = parse_config(R"({"fsync": "always", "batch_delay_ms": 2, "segment_bytes": 1048576,
                              "segment_ms": 60000, "index_interval_bytes": 128, "verify_on_start": "all"})");
    REQUIRE(c.ok());
    CHECK(c->fsync == fsync_policy::always);
    CHECK(c->batch_delay.count() == 2);
    CHECK(c->segment_bytes == 1048576u);
    CHECK(c->segment_age.count() == 60000);
    CHECK(c->index_interval_bytes == 128u);
    CHECK(c->verify_all_on_start);
    CHECK(parse_config(R"({"fsync": "none"})")->fsync == fsync_policy::none);
}

TEST_CASE("file config: refusals name the key", "[unit][storage][file]")
{
    struct bad
    {
        const char* json;
        const char* key;
    };
    for (const auto& b : { bad{ R"({"fsync": "sometimes"})", "fsync" },
                           bad{ R"({"fsync": 1})", "fsync" },
                           bad{ R"({"segment_bytes": 100})", "segment_bytes" },
                           bad{ R"({"segment_bytes": 2147483648})", "segment_bytes" },
                           bad{ R"({"segment_ms": 0})", "segment_ms" },
                           bad{ R"({"batch_delay_ms": -1})", "batch_delay_ms" },
                           bad{ R"({"index_interval_bytes": 8})", "index_interval_bytes" },
                           bad{ R"({"verify_on_start": true})", "verify_on_start" },
                           bad{ R"({"segment_size": 1})", "segment_size" } }) {
        INFO(b.json);
        auto c = parse_config(b.json);
        REQUIRE_FALSE(c.ok());
        CHECK(c.error().code() == sdk::errc::invalid_argument);
        CHECK(std::string(c.error().message()).find(b.key) != std::string::npos);
        CHECK(std::string(c.error().message()).find("file engine config") != std::string::npos);
    }
}
