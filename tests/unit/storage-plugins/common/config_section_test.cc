#include "config_section.h"

#include <catch2/catch.hpp>

using plexus::storage::config_section;
namespace sdk = plexus::sdk;

namespace {
bool contains(std::string_view s, std::string_view part)
{
    return s.find(part) != std::string_view::npos;
}
} // namespace

TEST_CASE("config_section: reads each kind of value", "[unit][storage][config]")
{
    auto s = config_section::parse(R"({"segment_bytes": 1024, "fsync": "batch", "preallocate": false})", "test config");
    REQUIRE(s.ok());
    auto bytes = s->integer("segment_bytes", 1024);
    REQUIRE(bytes.ok());
    CHECK(bytes->value() == 1024u);
    auto fsync = s->one_of("fsync", { "always", "batch", "none" });
    REQUIRE(fsync.ok());
    CHECK(fsync->value() == "batch");
    auto pre = s->boolean("preallocate");
    REQUIRE(pre.ok());
    CHECK(pre->value() == false);
    auto absent = s->integer("retention_ms");
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->has_value());
    CHECK(s->finish().ok());
}

TEST_CASE("config_section: blank text is an empty section", "[unit][storage][config]")
{
    for (const char* json : { "", "  \n", "{}" }) {
        auto s = config_section::parse(json, "test config");
        REQUIRE(s.ok());
        CHECK(s->finish().ok());
    }
}

TEST_CASE("config_section: refusals name the owner, the key and what was found", "[unit][storage][config]")
{
    SECTION("integers")
    {
        for (const char* json : { R"({"n": "1"})",
                                  R"({"n": true})",
                                  R"({"n": null})",
                                  R"({"n": 0})",
                                  R"({"n": 1.5})",
                                  R"({"n": 1e300})" }) {
            INFO(json);
            auto s = config_section::parse(json, "test config");
            REQUIRE(s.ok());
            auto n = s->integer("n");
            REQUIRE_FALSE(n.ok());
            CHECK(n.error().code() == sdk::errc::invalid_argument);
            CHECK(contains(n.error().message(), "test config key 'n'"));
        }
        auto s = config_section::parse(R"({"n": 5})", "test config");
        auto n = s->integer("n", 10);
        REQUIRE_FALSE(n.ok());
        CHECK(contains(n.error().message(), "an integer >= 10, got a number (5)"));
    }
    SECTION("choices")
    {
        auto s = config_section::parse(R"({"fsync": "sometimes"})", "test config");
        auto f = s->one_of("fsync", { "always", "none" });
        REQUIRE_FALSE(f.ok());
        CHECK(contains(f.error().message(), "expected one of always, none, got a string (\"sometimes\")"));
    }
    SECTION("booleans")
    {
        auto s = config_section::parse(R"({"b": "yes"})", "test config");
        auto b = s->boolean("b");
        REQUIRE_FALSE(b.ok());
        CHECK(contains(b.error().message(), "'b': expected true or false"));
    }
    SECTION("unknown keys, listing the known ones")
    {
        auto s = config_section::parse(R"({"fsync": "none", "segment_size": 10})", "test config");
        REQUIRE(s->one_of("fsync", { "none" }).ok());
        REQUIRE(s->integer("segment_bytes").ok());
        auto st = s->finish();
        REQUIRE_FALSE(st.ok());
        CHECK(contains(st.message(), "test config: unknown key 'segment_size' (known: fsync, segment_bytes)"));
    }
    SECTION("not an object")
    {
        for (const char* json : { "[]", "1", "{", "nul" }) {
            INFO(json);
            auto s = config_section::parse(json, "test config");
            REQUIRE_FALSE(s.ok());
            CHECK(s.error().code() == sdk::errc::invalid_argument);
            CHECK(contains(s.error().message(), "test config is not a JSON object"));
        }
    }
}
