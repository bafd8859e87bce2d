// sdk/examples/consistent_hash_router, built the way a third party would build it: this build's
// SDK installed into a scratch prefix with `cmake --install --component sdk`, the example
// configured against it with find_package(PlexusSDK) and built, then loaded by the real loader
// and driven as plexusd would drive an exchange of its type.
#include "support/broker_process.h"
#include "support/child_process.h"

#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using plexus::sdk::destination_id;

struct example_build
{
    std::string plugin_dir; ///< where libplexus_routing_x_consistent_hash.so landed
    std::string failure;    ///< the failed step and its output, or empty
};

void run_step(const std::string& what, const std::vector<std::string>& argv, example_build& b)
{
    if (!b.failure.empty()) {
        return;
    }
    auto r = plexus::tests::run_process(argv, std::chrono::minutes(5));
    if (!r.spawn_error.empty() || r.timed_out || r.signalled || r.exit_code != 0) {
        b.failure = what + " failed: " + r.describe();
    }
}

// Installs and builds once per process: every SECTION re-enters the test case.
const example_build& build_example()
{
    static const example_build built = [] {
        example_build b;
        // One work dir per process: ctest runs this executable's cases in parallel.
        const fs::path work = fs::path(PLEXUS_TEST_WORK_DIR) / std::to_string(::getpid());
        std::error_code ec;
        fs::remove_all(work, ec);
        fs::create_directories(work);
        const std::string prefix = (work / "prefix").string();
        const std::string build = (work / "build").string();
        const std::string cmake = PLEXUS_TEST_CMAKE;
        run_step("installing the SDK",
                 { cmake, "--install", PLEXUS_TEST_BUILD_DIR, "--component", "sdk", "--prefix", prefix },
                 b);
        std::vector<std::string> configure = {
            cmake,
            "-S",
            PLEXUS_TEST_EXAMPLE_SOURCE_DIR,
            "-B",
            build,
            "-G",
            PLEXUS_TEST_GENERATOR,
            "-DCMAKE_PREFIX_PATH=" + prefix,
            "-DCMAKE_CXX_COMPILER=" PLEXUS_TEST_CXX_COMPILER,
            "-DCMAKE_BUILD_TYPE=" PLEXUS_TEST_BUILD_TYPE,
            "-DCMAKE_CXX_FLAGS=" PLEXUS_TEST_CXX_FLAGS,
            "-DCMAKE_MODULE_LINKER_FLAGS=" PLEXUS_TEST_LINKER_FLAGS,
        };
        if (std::string launcher = PLEXUS_TEST_CXX_LAUNCHER; !launcher.empty()) {
            configure.push_back("-DCMAKE_CXX_COMPILER_LAUNCHER=" + launcher);
        }
        run_step("configuring the example", configure, b);
        run_step("building the example", { cmake, "--build", build, "-j", "2" }, b);
        b.plugin_dir = (fs::path(build) / "plugins").string();
        return b;
    }();
    return built;
}

plexus::sdk::binding weight(const char* w, std::uint64_t dest)
{
    return plexus::sdk::binding{ w, destination_id{ dest }, {} };
}

// Routes `key` and requires exactly one destination.
destination_id route_one(const plexus::sdk::router& r, const std::string& key, const plexus::sdk::headers& h = {})
{
    plexus::sdk::destination_set out;
    r.route(key, h, out);
    INFO("key " << key);
    REQUIRE(out.size() == 1);
    return out[0];
}

} // namespace

TEST_CASE("the out-of-tree example builds against the installed SDK and routes by consistent hash",
          "[unit][sdk-example]")
{
    const example_build& built = build_example();
    INFO(built.failure);
    REQUIRE(built.failure.empty());

    auto loaded = plexus::kernel::load_plugin({ built.plugin_dir }, PLEXUS_KIND_ROUTING, "x_consistent_hash");
    INFO((loaded ? std::string() : std::string(loaded.error().message())));
    REQUIRE(loaded.has_value());
    CHECK(std::string_view(loaded->descriptor->plugin_version) == "0.1.0");
    auto* factory = static_cast<plexus::sdk::router_factory*>(loaded->factory);

    SECTION("its config section must be empty")
    {
        CHECK(factory->validate("{}").ok());
        CHECK(factory->validate("  { }\n").ok());
        auto st = factory->validate(R"({"points": 3})");
        CHECK(st.code() == plexus::sdk::errc::invalid_argument);
        CHECK(factory->configure("{}").ok());
    }

    SECTION("every key goes to exactly one destination, always the same one")
    {
        auto r = factory->create(plexus::sdk::router_spec{ "hashed", {}, {} });
        REQUIRE(r.has_value());
        auto& router = **r;
        plexus::sdk::destination_set none;
        router.route("k", {}, none);
        CHECK(none.empty()); // no bindings, no destination

        REQUIRE(router.bind(weight("1", 1)).ok());
        REQUIRE(router.bind(weight("1", 2)).ok());
        REQUIRE(router.bind(weight("2", 3)).ok());
        REQUIRE(router.bind(weight("2", 3)).ok()); // idempotent
        CHECK(router.binding_count() == 3);

        std::map<std::string, destination_id> first;
        std::map<destination_id, int> share;
        for (int i = 0; i < 2000; ++i) {
            std::string key = "order-" + std::to_string(i);
            first[key] = route_one(router, key);
            ++share[first[key]];
        }
        for (const auto& [key, dest] : first) {
            CHECK(route_one(router, key) == dest);
        }
        // Weights 1:1:2 over 2000 keys: every destination gets a share, the heavy one the most.
        REQUIRE(share.size() == 3);
        CHECK(share[destination_id{ 1 }] > 200);
        CHECK(share[destination_id{ 2 }] > 200);
        CHECK(share[destination_id{ 3 }] > share[destination_id{ 1 }]);
        CHECK(share[destination_id{ 3 }] > share[destination_id{ 2 }]);

        // Another shard's clone routes identically.
        auto copy = router.clone();
        REQUIRE(copy.has_value());
        for (const auto& [key, dest] : first) {
            CHECK(route_one(**copy, key) == dest);
        }

        // Consistency: removing a destination moves only the keys it had.
        REQUIRE(router.unbind(weight("1", 2)).ok());
        CHECK(router.unbind(weight("1", 2)).code() == plexus::sdk::errc::not_found);
        for (const auto& [key, dest] : first) {
            auto now = route_one(router, key);
            CHECK(now != destination_id{ 2 });
            if (dest != destination_id{ 2 }) {
                CHECK(now == dest);
            }
        }
    }

    SECTION("binding keys must be weights")
    {
        auto r = factory->create(plexus::sdk::router_spec{ "hashed", {}, {} });
        REQUIRE(r.has_value());
        for (const char* bad : { "", "0", "-1", "abc", "1.5", "1001", "99999999999" }) {
            INFO("binding key '" << bad << "'");
            CHECK((*r)->bind(weight(bad, 1)).code() == plexus::sdk::errc::invalid_argument);
        }
        CHECK((*r)->binding_count() == 0);
    }

    SECTION("hash-header hashes a header instead of the routing key")
    {
        plexus::sdk::headers args{ { "hash-header", std::string("user") } };
        auto r = factory->create(plexus::sdk::router_spec{ "by-user", args, {} });
        REQUIRE(r.has_value());
        CHECK((*r)->caps().header_matching);
        for (std::uint64_t d = 1; d <= 4; ++d) {
            REQUIRE((*r)->bind(weight("1", d)).ok());
        }
        plexus::sdk::headers alice{ { "user", std::string("alice") } };
        auto dest = route_one(**r, "a", alice);
        for (const char* key : { "b", "c", "anything" }) {
            CHECK(route_one(**r, key, alice) == dest);
        }
        plexus::sdk::headers numeric{ { "user", std::int64_t{ 42 } } };
        CHECK(route_one(**r, "x", numeric) == route_one(**r, "y", numeric));
        plexus::sdk::destination_set out;
        (*r)->route("a", {}, out);
        CHECK(out.empty()); // no header, nothing to hash

        plexus::sdk::headers bad{ { "hash-header", std::int64_t{ 1 } } };
        auto refused = factory->create(plexus::sdk::router_spec{ "bad", bad, {} });
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.error().code() == plexus::sdk::errc::invalid_argument);
    }

    loaded->descriptor->destroy_factory(loaded->factory);
}

TEST_CASE("the out-of-tree example serves as an exchange type in a running plexusd", "[unit][sdk-example]")
{
    const auto& built = build_example();
    INFO(built.failure);
    REQUIRE(built.failure.empty());
    plexus::tests::broker_process broker("routing: { types: { direct: {}, x_consistent_hash: {} } }\n",
                                         { built.plugin_dir });
    INFO(broker.log());
    REQUIRE(broker.start());
    auto ctl = [&](std::vector<std::string> args) {
        args.insert(args.begin(), { PLEXUS_TEST_PLEXUSCTL, "--port", std::to_string(broker.port("admin")) });
        auto r = plexus::tests::run_process(args, std::chrono::seconds(20));
        INFO(r.describe());
        REQUIRE(r.exit_code == 0);
        return r.out;
    };
    ctl({ "declare", "exchange", "hashed", "--type", "x_consistent_hash" });
    for (const char* q : { "left", "right" }) {
        ctl({ "declare", "queue", q });
        ctl({ "declare", "binding", "--source", "hashed", "--destination", q, "--routing-key", "1" });
    }
    for (int i = 0; i < 40; ++i) {
        ctl({ "publish", "--exchange", "hashed", "--routing-key", "order-" + std::to_string(i), "--body", "x" });
    }
    // Every message went to exactly one of the two queues.
    auto left = ctl({ "get", "--queue", "left", "--count", "40" });
    auto right = ctl({ "get", "--queue", "right", "--count", "40" });
    auto lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
    CHECK(lines(left) + lines(right) == 40);
    CHECK(broker.stop() == 0);
}
