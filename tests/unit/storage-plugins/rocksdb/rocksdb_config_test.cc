// The RocksDB engine's config section: defaults, every key, and refusals that name the key.
#include "rocksdb_config.h"
#include "rocksdb_engine.h"
#include "rocksdb_options.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus;
using namespace plexus::storage::rocks;

namespace {

/// The refusal's message, after checking it is an invalid_argument naming `key`.
std::string refusal(std::string_view json, std::string_view key)
{
    auto r = parse_config(json);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == sdk::errc::invalid_argument);
    std::string message(r.error().message());
    CHECK(message.find(std::string(key)) != std::string::npos);
    return message;
}

} // namespace

TEST_CASE("an empty section gives the documented defaults", "[rocksdb][config]")
{
    for (const char* json : { "", "{}", "  { }  " }) {
        auto r = parse_config(json);
        REQUIRE(r.ok());
        CHECK(r->fsync == fsync_policy::batch);
        CHECK(r->block_cache_bytes == 64ull << 20);
        CHECK(r->write_buffer_bytes == 64ull << 20);
        CHECK(r->compression == compression_codec::lz4);
        CHECK(r->max_background_jobs == 2);
        CHECK(r->time_index_interval_bytes == 4096);
    }
}

TEST_CASE("every key is read", "[rocksdb][config]")
{
    auto r = parse_config(R"({"fsync": "always", "block_cache_bytes": 8388608, "write_buffer_bytes": 4194304,
                              "compression": "zstd", "max_background_jobs": 4, "time_index_interval_bytes": 100})");
    REQUIRE(r.ok());
    CHECK(r->fsync == fsync_policy::always);
    CHECK(r->block_cache_bytes == 8388608);
    CHECK(r->write_buffer_bytes == 4194304);
    CHECK(r->compression == compression_codec::zstd);
    CHECK(r->max_background_jobs == 4);
    CHECK(r->time_index_interval_bytes == 100);

    CHECK(parse_config(R"({"fsync": "none"})")->fsync == fsync_policy::none);
    CHECK(parse_config(R"({"fsync": "batch"})")->fsync == fsync_policy::batch);
    CHECK(parse_config(R"({"compression": "none"})")->compression == compression_codec::none);
    CHECK(parse_config(R"({"compression": "snappy"})")->compression == compression_codec::snappy);
    CHECK(parse_config(R"({"compression": "lz4"})")->compression == compression_codec::lz4);
}

TEST_CASE("refusals name the key", "[rocksdb][config]")
{
    SECTION("unknown keys, naming the known ones")
    {
        auto message = refusal(R"({"fsync": "batch", "sync_writes": true})", "sync_writes");
        CHECK(message.find("fsync") != std::string::npos);
        CHECK(message.find("compression") != std::string::npos);
    }
    SECTION("fsync must be one of its choices")
    {
        auto message = refusal(R"({"fsync": "sometimes"})", "fsync");
        CHECK(message.find("sometimes") != std::string::npos);
        refusal(R"({"fsync": true})", "fsync");
    }
    SECTION("compression must be one of its choices")
    {
        refusal(R"({"compression": "gzip"})", "compression");
        refusal(R"({"compression": 1})", "compression");
    }
    SECTION("sizes are whole numbers of at least 1 MiB")
    {
        refusal(R"({"block_cache_bytes": 1024})", "block_cache_bytes");
        refusal(R"({"block_cache_bytes": "64MB"})", "block_cache_bytes");
        refusal(R"({"write_buffer_bytes": 0})", "write_buffer_bytes");
        refusal(R"({"write_buffer_bytes": 1048576.5})", "write_buffer_bytes");
    }
    SECTION("max_background_jobs is 1 to 256")
    {
        refusal(R"({"max_background_jobs": 0})", "max_background_jobs");
        refusal(R"({"max_background_jobs": 257})", "max_background_jobs");
        refusal(R"({"max_background_jobs": -1})", "max_background_jobs");
        CHECK(parse_config(R"({"max_background_jobs": 256})").ok());
    }
    SECTION("time_index_interval_bytes is positive")
    {
        refusal(R"({"time_index_interval_bytes": 0})", "time_index_interval_bytes");
    }
    SECTION("not an object")
    {
        for (const char* bad : { "[]", "42", "{", "\"fsync\"" }) {
            auto r = parse_config(bad);
            REQUIRE_FALSE(r.ok());
            CHECK(r.error().code() == sdk::errc::invalid_argument);
        }
    }
}

TEST_CASE("the factory validates without creating anything", "[rocksdb][config]")
{
    rocksdb_factory factory;
    CHECK(factory.validate("{}").ok());
    CHECK(factory.validate(R"({"fsync": "none", "compression": "snappy"})").ok());
    auto st = factory.validate(R"({"write_buffer_bytes": 12})");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::invalid_argument);
    CHECK(std::string(st.message()).find("write_buffer_bytes") != std::string::npos);
}

TEST_CASE("create refuses a context without a data directory or a pool", "[rocksdb][config]")
{
    rocksdb_factory factory;
    sdk::storage_context ctx;
    auto r = factory.create(ctx, "{}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == sdk::errc::invalid_argument);
    ctx.data_dir = "/nonexistent-plexus-test-dir";
    r = factory.create(ctx, "{}");
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code() == sdk::errc::invalid_argument);
    CHECK(std::string(r.error().message()).find("blocking pool") != std::string::npos);
}

TEST_CASE("the configured compression applies below L0 and the base level of every family", "[rocksdb][config]")
{
    auto options = make_database_options(*parse_config(R"({"compression": "zstd"})"));
    REQUIRE(options.ok());
    REQUIRE(options->families.size() == 5);
    for (const auto& family : options->families) {
        INFO(family.name);
        const auto& levels = family.options.compression_per_level;
        REQUIRE(levels.size() == static_cast<std::size_t>(family.options.num_levels));
        CHECK(levels[0] == rocksdb::kNoCompression);
        CHECK(levels[1] == rocksdb::kNoCompression);
        for (std::size_t level = 2; level < levels.size(); ++level) {
            CHECK(levels[level] == rocksdb::kZSTD);
        }
    }
    auto none = make_database_options(*parse_config(R"({"compression": "none"})"));
    REQUIRE(none.ok());
    for (auto level : none->families.front().options.compression_per_level) {
        CHECK(level == rocksdb::kNoCompression);
    }
}
