// Consumer groups' committed offsets (kernel::commit_offset / committed_offset): one key per
// group, stream and partition that no choice of names makes two share, and the offsets a
// broker stored under the legacy "grp/<vhost>/<group>/<stream>/<partition>" keys still read
// after an upgrade (group_offset_keys.h).
#include "broker_fixture.h"
#include "kernel/src/server/group_offset_keys.h"
#include "plexus/sdk/testing/thread_pool.h"
#include "support/storage_doubles.h"

#include <set>

using namespace plexus_test;
using plexus::kernel::group_offset_key;
using plexus::kernel::group_offset_target_of;
using plexus::kernel::group_offsets_prefix;
using plexus::kernel::legacy_group_offset_owners;

namespace {

std::optional<sdk::offset> committed(broker_fixture& f, std::string group, std::string stream, int partition = 0)
{
    auto r =
      call<sdk::result<std::optional<sdk::offset>>>(f.k(1), [group, stream, partition](sdk::kernel& k, auto done) {
          k.committed_offset("/", group, stream, sdk::partition_id(partition), std::move(done));
      });
    REQUIRE(r.ok());
    return *r;
}

void commit(broker_fixture& f, std::string group, std::string stream, std::int64_t at, int partition = 0)
{
    auto st = call<sdk::status>(f.k(), [group, stream, at, partition](sdk::kernel& k, auto done) {
        k.commit_offset("/", group, stream, sdk::partition_id(partition), sdk::offset(at), std::move(done));
    });
    REQUIRE(st.ok());
}

void declare_streams(broker_fixture& f, std::initializer_list<const char*> names)
{
    for (const char* name : names) {
        sdk::stream_spec spec;
        spec.name = name;
        REQUIRE(f.declare_stream(spec).ok());
    }
}

} // namespace

TEST_CASE("group offset keys: names with slashes and NULs never share a key", "[unit][kernel]")
{
    std::set<std::string> keys;
    for (auto [vhost, group, stream] :
         std::vector<std::tuple<std::string, std::string, std::string>>{ { "/", "a/b", "c" },
                                                                         { "/", "a", "b/c" },
                                                                         { "/a", "b", "c" },
                                                                         { "/", std::string("a\0b", 3), "c" },
                                                                         { "/", "a", std::string("b\0c", 3) },
                                                                         { "/", "a", "bc" },
                                                                         { "/", "ab", "c" } }) {
        CHECK(keys.insert(group_offset_key(vhost, group, stream, sdk::partition_id(0))).second);
        CHECK(keys.insert(group_offset_key(vhost, group, stream, sdk::partition_id(10))).second);
    }
    // A group's prefix holds its own keys and not those of a group whose name extends it.
    auto a = group_offsets_prefix("/", "a");
    CHECK(group_offset_key("/", "a", "b/c", sdk::partition_id(1)).starts_with(a));
    CHECK_FALSE(group_offset_key("/", "a/b", "c", sdk::partition_id(1)).starts_with(a));
    CHECK_FALSE(group_offset_key("/", "ab", "c", sdk::partition_id(1)).starts_with(a));
    auto key = group_offset_key("/", "a", "b/c", sdk::partition_id(7));
    auto target = group_offset_target_of(std::string_view(key).substr(a.size()));
    REQUIRE(target);
    CHECK(target->stream == "b/c");
    CHECK(target->partition == sdk::partition_id(7));
    CHECK_FALSE(group_offset_target_of(std::string_view(key).substr(a.size(), 3)));
    CHECK_FALSE(group_offset_target_of(std::string(std::string_view(key).substr(a.size())) + "x"));
}

TEST_CASE("a legacy group offset key is read as every group and stream it can name", "[unit][kernel]")
{
    std::set<std::pair<std::string, std::string>> streams{ { "/", "c" }, { "/", "b/c" }, { "/x", "c" } };
    auto is_stream = [&](std::string_view vhost, std::string_view stream) {
        return streams.count({ std::string(vhost), std::string(stream) }) != 0;
    };
    const std::vector<std::string> vhosts{ "/", "/x" };
    // grp/<vhost>/<group>/<stream>/<partition> with vhost "/": group "a/b" on "c" and group "a"
    // on "b/c" wrote this one key.
    auto owners = legacy_group_offset_owners("grp///a/b/c/3", vhosts, is_stream);
    std::set<std::pair<std::string, std::string>> read_as;
    for (const auto& o : owners) {
        CHECK(o.vhost == "/");
        CHECK(o.partition == sdk::partition_id(3));
        read_as.insert({ o.group, o.stream });
    }
    CHECK(read_as == std::set<std::pair<std::string, std::string>>{ { "a/b", "c" }, { "a", "b/c" } });
    auto other_vhost = legacy_group_offset_owners("grp//x/g/c/0", vhosts, is_stream);
    REQUIRE(other_vhost.size() == 1);
    CHECK(other_vhost[0].vhost == "/x");
    CHECK(other_vhost[0].group == "g");
    CHECK(legacy_group_offset_owners("grp///g/gone/0", vhosts, is_stream).empty()); // no such stream
    CHECK(legacy_group_offset_owners("grp///g/c/zero", vhosts, is_stream).empty()); // no partition
    CHECK(legacy_group_offset_owners("grp///g/c/", vhosts, is_stream).empty());     // no partition
    CHECK(legacy_group_offset_owners("def/s/whatever", vhosts, is_stream).empty()); // not an offset
    CHECK(legacy_group_offset_owners("grp/", vhosts, is_stream).empty());
}

TEST_CASE_METHOD(broker_fixture,
                 "groups and streams whose names run together through a slash keep their own offsets",
                 "[unit][kernel]")
{
    declare_streams(*this, { "c", "b/c" });
    commit(*this, "a/b", "c", 11);
    commit(*this, "a", "b/c", 22);
    CHECK(committed(*this, "a/b", "c") == std::optional<sdk::offset>(11));
    CHECK(committed(*this, "a", "b/c") == std::optional<sdk::offset>(22));
    // Deleting one group leaves the other alone.
    auto deleted = call<sdk::result<std::uint64_t>>(
      k(), [](sdk::kernel& k, auto done) { k.delete_group_offsets("/", "a", std::move(done)); });
    REQUIRE(deleted.ok());
    CHECK(*deleted == 1);
    CHECK_FALSE(committed(*this, "a", "b/c").has_value());
    CHECK(committed(*this, "a/b", "c") == std::optional<sdk::offset>(11));
}

TEST_CASE("offsets committed under the legacy keys are read after a restart", "[unit][kernel][restart]")
{
    plexus::tests::temp_dir dir;
    auto config = test_config();
    config.data_dir = dir.path.string();
    config.storage_engines = { { "file", "{}" } };
    config.default_storage = "file";
    {
        broker_fixture f(config);
        declare_streams(f, { "c", "b/c", "solo" });
    }
    {
        // What an older broker left in the file engine's metadata: one key that group "a/b" on
        // "c" and group "a" on "b/c" shared, one plain offset, and one of a stream that is gone.
        kernel::plugin_registry plugins(config.plugin_dirs);
        REQUIRE(plugins.load_configured(config).ok());
        sdk::testing::thread_pool pool;
        plexus::test::capturing_logger logger;
        sdk::storage_context ctx;
        ctx.data_dir = (dir.path / "file").string();
        ctx.log = &logger;
        ctx.blocking = &pool;
        auto engine = plugins.storage("file")->create(ctx, "{}");
        REQUIRE(engine.ok());
        std::vector<sdk::kv_store::write> writes;
        writes.push_back({ "grp///a/b/c/0", std::string("7") });
        writes.push_back({ "grp///g/solo/0", std::string("3") });
        writes.push_back({ "grp///g/gone/0", std::string("5") });
        std::promise<sdk::status> applied;
        (*engine)->metadata().apply(std::move(writes), [&applied](sdk::status st) { applied.set_value(st); });
        REQUIRE(applied.get_future().get().ok());
        REQUIRE((*engine)->close().ok());
    }
    {
        broker_fixture f(config);
        CHECK(committed(f, "a/b", "c") == std::optional<sdk::offset>(7));
        CHECK(committed(f, "a", "b/c") == std::optional<sdk::offset>(7));
        CHECK(committed(f, "g", "solo") == std::optional<sdk::offset>(3));
        // From now on the two readings are two offsets.
        commit(f, "a", "b/c", 9);
        CHECK(committed(f, "a/b", "c") == std::optional<sdk::offset>(7));
    }
    broker_fixture again(config);
    // Migrated once: a second start finds no legacy key to copy over the newer commit.
    CHECK(committed(again, "a", "b/c") == std::optional<sdk::offset>(9));
    CHECK(committed(again, "a/b", "c") == std::optional<sdk::offset>(7));
    CHECK(committed(again, "g", "solo") == std::optional<sdk::offset>(3));
}
