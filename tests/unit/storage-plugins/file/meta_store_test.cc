#include "file_harness.h"

#include <catch2/catch.hpp>

#include <fstream>

using namespace plexus;
using namespace plexus::test::file;
using kv_write = sdk::kv_store::write;

namespace {

sdk::status apply(file_harness& h, std::vector<kv_write> writes)
{
    std::optional<sdk::status> out;
    h.engine().metadata().apply(std::move(writes), [&](sdk::status st) { out = st; });
    REQUIRE(out.has_value()); // the inline pool completes the sync before apply returns
    return *out;
}

std::optional<std::string> get(file_harness& h, const std::string& key)
{
    auto v = h.engine().metadata().get(key);
    REQUIRE(v.ok());
    return *v;
}

} // namespace

TEST_CASE("metadata: a torn last batch is cut on start, earlier ones stay", "[unit][storage][file]")
{
    file_harness h;
    REQUIRE(apply(h, { kv_write{ "a", "1" }, kv_write{ "b", "2" } }).ok());
    REQUIRE(apply(h, { kv_write{ "a", std::nullopt } }).ok());
    h.stop();
    const auto journal = h.dir / "meta" / "journal";
    const auto whole = std::filesystem::file_size(journal);
    {
        std::ofstream f(journal, std::ios::binary | std::ios::app);
        f << std::string("\x10\x20\x30\x40\xff\x00\x00\x00partial", 15);
    }
    REQUIRE(h.start("{}").ok());
    CHECK(h.logged("incomplete batch"));
    CHECK(std::filesystem::file_size(journal) == whole);
    CHECK_FALSE(get(h, "a").has_value());
    CHECK(get(h, "b") == "2");
    REQUIRE(apply(h, { kv_write{ "c", "3" } }).ok());
    h.stop();
    REQUIRE(h.start("{}").ok());
    CHECK(get(h, "c") == "3");
}

TEST_CASE("metadata: the journal folds into a snapshot and both survive restarts", "[unit][storage][file]")
{
    file_harness h;
    const std::string big(64 * 1024, 'v');
    for (int i = 0; i < 100; ++i) { // 6.4 MiB of journal: past the compaction floor
        REQUIRE(apply(h, { kv_write{ "key/" + std::to_string(i % 10), big + std::to_string(i) } }).ok());
    }
    REQUIRE(apply(h, { kv_write{ "key/3", std::nullopt } }).ok());
    CHECK(std::filesystem::exists(h.dir / "meta" / "snapshot"));
    CHECK(std::filesystem::file_size(h.dir / "meta" / "journal") < 4u << 20);
    h.stop();
    REQUIRE(h.start("{}").ok());
    auto all = h.engine().metadata().scan("key/");
    REQUIRE(all.ok());
    REQUIRE(all->size() == 9);
    CHECK((*all)[0].second == big + "90");
    CHECK((*all)[8].second == big + "99");
    CHECK_FALSE(get(h, "key/3").has_value());
}

TEST_CASE("metadata: a damaged snapshot stops the engine naming the file", "[unit][storage][file]")
{
    file_harness h;
    const std::string big(64 * 1024, 'v');
    for (int i = 0; i < 80; ++i) {
        REQUIRE(apply(h, { kv_write{ "k" + std::to_string(i), big } }).ok());
    }
    h.stop();
    const auto snapshot = h.dir / "meta" / "snapshot";
    REQUIRE(std::filesystem::exists(snapshot));
    {
        std::fstream f(snapshot, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100);
        f.put('\x7f');
    }
    auto st = h.start("{}");
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == sdk::errc::corruption);
    CHECK(std::string(st.message()).find(snapshot.string()) != std::string::npos);
}
