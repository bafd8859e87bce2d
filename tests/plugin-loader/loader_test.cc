// Every refusal of the plugin loader, asserted exactly, against the fixtures in fixtures/
// (one deliberately broken routing plugin each), plus the good path and the registry's
// config validation. The fixture directory comes from CMake (PLEXUS_LOADER_FIXTURE_DIR).
#include "kernel/src/config/broker_config.h"
#include "kernel/src/plugin/loader.h"
#include "kernel/src/plugin/registry.h"
#include "plexus/sdk/fingerprint.h"
#include "plexus/sdk/plugin.h"

#include <catch2/catch.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;
using plexus::kernel::inspect_plugin_file;
using plexus::kernel::load_plugin;
using plexus::kernel::load_plugin_file;
using plexus::sdk::errc;

std::string fixture_dir()
{
    return PLEXUS_LOADER_FIXTURE_DIR;
}

std::string fixture_path(const std::string& name)
{
    return (fs::path(fixture_dir()) / ("libplexus_routing_" + name + ".so")).string();
}

// A refusal is one printable line: plexusd prints it as is, and scripts grep it.
bool is_one_printable_line(std::string_view s)
{
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            return false;
        }
    }
    return true;
}

// Loads fixture `name` as the routing plugin `name` and returns the failed status.
plexus::sdk::status refusal_of(const std::string& name)
{
    auto r = load_plugin({ fixture_dir() }, PLEXUS_KIND_ROUTING, name);
    INFO("fixture " << name << " must be refused");
    REQUIRE_FALSE(r.has_value());
    plexus::sdk::status st = r.error();
    INFO("message: " << st.message());
    CHECK(is_one_printable_line(st.message()));
    return st;
}

// The message every descriptor or dlopen refusal has: the file, then the cause.
std::string refused(const std::string& name, const std::string& cause)
{
    return "plugin file " + fixture_path(name) + ": " + cause;
}

// A scratch directory removed at the end of the test.
struct temp_dir
{
    fs::path path;
    temp_dir()
    {
        std::string templ = (fs::temp_directory_path() / "plexus-loader-test-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

} // namespace

TEST_CASE("a valid plugin loads and its factory works", "[unit][plugin-loader]")
{
    auto r = load_plugin({ fixture_dir() }, PLEXUS_KIND_ROUTING, "good_minimal");
    REQUIRE(r.has_value());
    const auto& p = *r;
    CHECK(p.path == fixture_path("good_minimal"));
    REQUIRE(p.descriptor != nullptr);
    CHECK(p.descriptor->abi_major == PLEXUS_ABI_MAJOR);
    CHECK(p.descriptor->abi_minor == PLEXUS_ABI_MINOR);
    CHECK(p.descriptor->kind == PLEXUS_KIND_ROUTING);
    CHECK(std::string_view(p.descriptor->name) == "good_minimal");
    CHECK(std::string_view(p.descriptor->plugin_version) == "0.1.0");
    CHECK(std::string_view(p.descriptor->build_fingerprint) == plexus::sdk::build_fingerprint);
    REQUIRE(p.factory != nullptr);
    CHECK(p.handle != nullptr);

    auto* factory = static_cast<plexus::sdk::router_factory*>(p.factory);
    CHECK(factory->validate("{}").ok());
    CHECK(factory->configure("{}").ok());
    auto router = factory->create(plexus::sdk::router_spec{ "ex", {}, {} });
    REQUIRE(router.has_value());
    using plexus::sdk::destination_id;
    REQUIRE((*router)->bind({ "k", destination_id{ 7 }, {} }).ok());
    REQUIRE((*router)->bind({ "k", destination_id{ 7 }, {} }).ok()); // idempotent
    CHECK((*router)->binding_count() == 1);
    plexus::sdk::destination_set out;
    (*router)->route("k", {}, out);
    REQUIRE(out.size() == 1);
    CHECK(out[0] == destination_id{ 7 });
    out.clear();
    (*router)->route("other", {}, out);
    CHECK(out.empty());
    auto copy = (*router)->clone();
    REQUIRE(copy.has_value());
    CHECK((*copy)->binding_count() == 1);
    CHECK((*router)->unbind({ "k", destination_id{ 7 }, {} }).ok());
    CHECK((*router)->unbind({ "k", destination_id{ 7 }, {} }).code() == errc::not_found);

    // Objects first, then the factory: the order the registry keeps.
    copy = plexus::sdk::status(errc::internal, "released");
    router = plexus::sdk::status(errc::internal, "released");
    p.descriptor->destroy_factory(p.factory);
}

TEST_CASE("a library without the entry symbol is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("no_entry_symbol");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("no_entry_symbol", "no plexus_plugin_entry_v1 symbol (not a Plexus plugin)"));
}

TEST_CASE("an entry returning no descriptor is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("null_descriptor");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("null_descriptor", "plexus_plugin_entry_v1 returned no descriptor"));
}

TEST_CASE("another ABI major version is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("abi_major_mismatch");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(
      st.message() ==
      refused("abi_major_mismatch",
              fmt::format("ABI major version {} but this plexusd speaks {}", PLEXUS_ABI_MAJOR + 1, PLEXUS_ABI_MAJOR)));
}

TEST_CASE("a plugin needing a newer ABI minor version is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("abi_minor_newer");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("abi_minor_newer",
                                  fmt::format("needs ABI {}.{} but this plexusd provides {}.{} (upgrade plexusd)",
                                              PLEXUS_ABI_MAJOR,
                                              PLEXUS_ABI_MINOR + 1,
                                              PLEXUS_ABI_MAJOR,
                                              PLEXUS_ABI_MINOR)));
}

TEST_CASE("a descriptor smaller than the host's is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("descriptor_too_small");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("descriptor_too_small",
                                  fmt::format("descriptor of {} bytes, expected at least {}",
                                              offsetof(plexus_plugin_descriptor, kind),
                                              sizeof(plexus_plugin_descriptor))));
}

TEST_CASE("a descriptor with null fields is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("null_fields");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() ==
          refused("null_fields", "descriptor has a null name, version, fingerprint or factory function"));
}

TEST_CASE("another build fingerprint is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("fingerprint_mismatch");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("fingerprint_mismatch",
                                  fmt::format("build fingerprint mismatch (plugin '{}', plexusd '{}'): rebuild the "
                                              "plugin with this plexusd's toolchain and SDK",
                                              "gcc-0;cxx11abi=0;sdk=not-this-sdk",
                                              plexus::sdk::build_fingerprint)));
}

TEST_CASE("a plugin of another kind is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("wrong_kind");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("wrong_kind", "is a storage plugin, the config uses it as routing"));
}

TEST_CASE("a plugin naming itself differently is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("name_mismatch");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() ==
          refused("name_mismatch", "names itself 'someone_else', the config asked for 'name_mismatch'"));
}

TEST_CASE("control characters from a descriptor cannot break the one-line refusal", "[unit][plugin-loader]")
{
    auto st = refusal_of("multiline_name");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() ==
          refused("multiline_name", "names itself 'evil\\nname\\x1b[31m', the config asked for 'multiline_name'"));
}

TEST_CASE("a failing create_factory() is refused", "[unit][plugin-loader]")
{
    auto st = refusal_of("null_factory");
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == refused("null_factory",
                                  "create_factory() failed (the factory constructor threw or ran "
                                  "out of memory)"));
}

TEST_CASE("an unresolved symbol fails dlopen(RTLD_NOW)", "[unit][plugin-loader]")
{
    auto st = refusal_of("unresolved_symbol");
    CHECK(st.code() == errc::invalid_argument);
    std::string msg(st.message());
    CHECK_THAT(msg, Catch::StartsWith(refused("unresolved_symbol", "dlopen failed: ")));
    CHECK_THAT(msg, Catch::Contains("undefined symbol: plexus_fixture_defined_nowhere"));
}

TEST_CASE("a file that is not a shared library fails dlopen", "[unit][plugin-loader]")
{
    temp_dir dir;
    auto path = (dir.path / "libplexus_routing_garbage.so").string();
    std::ofstream(path) << "not an ELF file\n";
    auto r = load_plugin({ dir.path.string() }, PLEXUS_KIND_ROUTING, "garbage");
    REQUIRE_FALSE(r.has_value());
    std::string msg(r.error().message());
    CHECK(r.error().code() == errc::invalid_argument);
    CHECK(is_one_printable_line(msg));
    CHECK_THAT(msg, Catch::StartsWith("plugin file " + path + ": dlopen failed: "));
}

TEST_CASE("a missing plugin lists every path tried", "[unit][plugin-loader]")
{
    temp_dir first;
    auto r = load_plugin({ first.path.string(), fixture_dir() }, PLEXUS_KIND_ROUTING, "absent");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == errc::not_found);
    CHECK(r.error().message() == fmt::format("routing plugin 'absent' not found; tried: {}, {}",
                                             (first.path / "libplexus_routing_absent.so").string(),
                                             fixture_path("absent")));
}

TEST_CASE("no plugin directories at all is reported as such", "[unit][plugin-loader]")
{
    auto r = load_plugin({}, PLEXUS_KIND_STORAGE, "memory");
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().code() == errc::not_found);
    CHECK(r.error().message() == "storage plugin 'memory' not found; tried: (no plugin_dirs configured)");
}

TEST_CASE("directories are searched in order and the first match wins", "[unit][plugin-loader]")
{
    temp_dir empty;
    auto r = load_plugin({ empty.path.string(), fixture_dir() }, PLEXUS_KIND_ROUTING, "good_minimal");
    REQUIRE(r.has_value());
    CHECK(r->path == fixture_path("good_minimal"));
    r->descriptor->destroy_factory(r->factory);

    // A broken file earlier on the path is reported, not skipped: the operator must see it.
    temp_dir shadow;
    fs::copy_file(fixture_path("abi_major_mismatch"), shadow.path / "libplexus_routing_good_minimal.so");
    auto shadowed = load_plugin({ shadow.path.string(), fixture_dir() }, PLEXUS_KIND_ROUTING, "good_minimal");
    REQUIRE_FALSE(shadowed.has_value());
    CHECK_THAT(std::string(shadowed.error().message()),
               Catch::StartsWith("plugin file " + (shadow.path / "libplexus_routing_good_minimal.so").string() +
                                 ": ABI major version"));
}

TEST_CASE("load_plugin_file checks kind and name of an explicit path", "[unit][plugin-loader]")
{
    auto ok = load_plugin_file(fixture_path("good_minimal"), PLEXUS_KIND_ROUTING, "good_minimal");
    REQUIRE(ok.has_value());
    ok->descriptor->destroy_factory(ok->factory);

    auto kind = load_plugin_file(fixture_path("good_minimal"), PLEXUS_KIND_PROTOCOL, "good_minimal");
    REQUIRE_FALSE(kind.has_value());
    CHECK(kind.error().message() == refused("good_minimal", "is a routing plugin, the config uses it as protocol"));

    auto missing = load_plugin_file(fixture_path("absent"), PLEXUS_KIND_ROUTING, "absent");
    REQUIRE_FALSE(missing.has_value());
    CHECK_THAT(std::string(missing.error().message()), Catch::StartsWith(refused("absent", "dlopen failed: ")));
}

TEST_CASE("inspect_plugin_file reads descriptors without creating factories", "[unit][plugin-loader]")
{
    auto good = inspect_plugin_file(fixture_path("good_minimal"));
    REQUIRE(good.has_value());
    CHECK(good->factory == nullptr);
    CHECK(std::string_view(good->descriptor->name) == "good_minimal");

    // No kind or name expectation when listing ...
    auto other = inspect_plugin_file(fixture_path("wrong_kind"));
    REQUIRE(other.has_value());
    CHECK(other->descriptor->kind == PLEXUS_KIND_STORAGE);
    // ... but ABI and fingerprint are still checked before anything is shown.
    auto bad = inspect_plugin_file(fixture_path("fingerprint_mismatch"));
    REQUIRE_FALSE(bad.has_value());
    CHECK_THAT(std::string(bad.error().message()),
               Catch::StartsWith(refused("fingerprint_mismatch", "build fingerprint mismatch")));
}

TEST_CASE("the registry stops when a routing type rejects its config", "[unit][plugin-loader]")
{
    plexus::kernel::plugin_registry registry({ fixture_dir() });
    plexus::kernel::broker_config config;
    config.routing_types = { { "good_minimal", "{}" }, { "validate_rejects", R"({"x": 1})" } };
    auto st = registry.load_configured(config);
    REQUIRE_FALSE(st.ok());
    CHECK(st.code() == errc::invalid_argument);
    CHECK(st.message() == "routing plugin 'validate_rejects' rejected its config "
                          "(routing.types.validate_rejects): bad key 'x'");
    CHECK(is_one_printable_line(st.message()));
    // Both were loaded (validation runs after every load); nothing was configured or created.
    CHECK(registry.routing("good_minimal") != nullptr);
    CHECK(registry.routing("validate_rejects") != nullptr);
}

TEST_CASE("the registry passes loader refusals through unchanged", "[unit][plugin-loader]")
{
    plexus::kernel::plugin_registry registry({ fixture_dir() });
    plexus::kernel::broker_config config;
    config.routing_types = { { "abi_major_mismatch", "{}" } };
    auto st = registry.load_configured(config);
    REQUIRE_FALSE(st.ok());
    CHECK(
      st.message() ==
      refused("abi_major_mismatch",
              fmt::format("ABI major version {} but this plexusd speaks {}", PLEXUS_ABI_MAJOR + 1, PLEXUS_ABI_MAJOR)));
    CHECK(registry.routing("abi_major_mismatch") == nullptr);
    CHECK(registry.loaded().empty());
}

TEST_CASE("the registry loads each plugin once and finds it by kind and name", "[unit][plugin-loader]")
{
    plexus::kernel::plugin_registry registry({ fixture_dir() });
    REQUIRE(registry.load(PLEXUS_KIND_ROUTING, "good_minimal").ok());
    REQUIRE(registry.load(PLEXUS_KIND_ROUTING, "good_minimal").ok());
    CHECK(registry.loaded().size() == 1);
    CHECK(registry.routing("good_minimal") != nullptr);
    CHECK(registry.storage("good_minimal") == nullptr);
    CHECK(registry.protocol("good_minimal") == nullptr);
    plexus::kernel::broker_config config;
    config.routing_types = { { "good_minimal", "{}" } };
    CHECK(registry.load_configured(config).ok());
    CHECK(registry.loaded().size() == 1);
}
