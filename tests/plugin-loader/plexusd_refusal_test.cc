// plexusd refuses a bad plugin at startup: exit code 4 (exit_code::plugin_refused) and one line
// on stderr naming the plugin file and the cause. Each case writes a config naming one fixture
// as a routing type and runs `plexusd --config <file>` to completion.
#include "support/child_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct temp_dir
{
    fs::path path;
    temp_dir()
    {
        std::string templ = (fs::temp_directory_path() / "plexus-refusal-test-XXXXXX").string();
        REQUIRE(::mkdtemp(templ.data()) != nullptr);
        path = templ;
    }
    ~temp_dir()
    {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<std::string> lines_of(const std::string& text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

struct refusal
{
    plexus::tests::process_result run;
    std::vector<std::string> lines_naming; ///< stderr lines containing `needle`
};

// Starts plexusd with `routing_type` configured and waits for it to exit.
refusal run_plexusd(const std::string& routing_type, const std::string& needle)
{
    temp_dir dir;
    const fs::path config = dir.path / "plexus.yaml";
    std::ofstream(config) << "plugin_dirs: [\"" << PLEXUS_LOADER_FIXTURE_DIR << "\", \"" << PLEXUS_PLUGIN_DIR << "\"]\n"
                          << "data_dir: \"" << (dir.path / "data").string() << "\"\n"
                          << "routing: { types: { " << routing_type << ": {} } }\n"
                          << "admin: { enabled: false }\n"
                          << "storage: { default: memory, engines: { memory: {} } }\n";
    refusal r;
    r.run = plexus::tests::run_process({ PLEXUSD_PATH, "--config", config.string() }, std::chrono::seconds(30));
    for (auto& line : lines_of(r.run.err)) {
        if (line.find(needle) != std::string::npos) {
            r.lines_naming.push_back(line);
        }
    }
    return r;
}

std::string fixture(const std::string& name)
{
    return (fs::path(PLEXUS_LOADER_FIXTURE_DIR) / ("libplexus_routing_" + name + ".so")).string();
}

constexpr int plugin_refused = 4; // kernel/src/server/exit_codes.h

} // namespace

TEST_CASE("plexusd exits 4 naming the file when a plugin is refused", "[integration][plugin-loader]")
{
    struct expectation
    {
        const char* fixture;
        const char* cause;
    };
    auto [name, cause] = GENERATE(values<expectation>({
      { "abi_major_mismatch", "ABI major version" },
      { "abi_minor_newer", "upgrade plexusd" },
      { "fingerprint_mismatch", "build fingerprint mismatch" },
      { "no_entry_symbol", "no plexus_plugin_entry_v1 symbol" },
      { "null_descriptor", "returned no descriptor" },
      { "wrong_kind", "is a storage plugin" },
      { "name_mismatch", "names itself 'someone_else'" },
      { "null_factory", "create_factory() failed" },
      { "unresolved_symbol", "undefined symbol: plexus_fixture_defined_nowhere" },
    }));
    INFO("fixture " << name);
    auto r = run_plexusd(name, fixture(name));
    INFO(r.run.describe());
    REQUIRE(r.run.spawn_error.empty());
    CHECK_FALSE(r.run.signalled);
    CHECK(r.run.exit_code == plugin_refused);
    REQUIRE(r.lines_naming.size() == 1);
    CHECK_THAT(r.lines_naming[0], Catch::Contains(cause));
}

TEST_CASE("plexusd exits 4 listing every path tried for a missing plugin", "[integration][plugin-loader]")
{
    auto r = run_plexusd("not_installed", "routing plugin 'not_installed' not found");
    INFO(r.run.describe());
    CHECK(r.run.exit_code == plugin_refused);
    REQUIRE(r.lines_naming.size() == 1);
    CHECK_THAT(r.lines_naming[0], Catch::Contains(fixture("not_installed")));
    CHECK_THAT(r.lines_naming[0],
               Catch::Contains((fs::path(PLEXUS_PLUGIN_DIR) / "libplexus_routing_not_installed.so").string()));
}

TEST_CASE("plexusd exits 4 naming the config key when a plugin rejects its section", "[integration][plugin-loader]")
{
    auto r = run_plexusd("validate_rejects", "routing.types.validate_rejects");
    INFO(r.run.describe());
    CHECK(r.run.exit_code == plugin_refused);
    REQUIRE(r.lines_naming.size() == 1);
    CHECK_THAT(r.lines_naming[0], Catch::Contains("bad key 'x'"));
}

TEST_CASE("plexusd --check-config accepts the good fixture", "[integration][plugin-loader]")
{
    temp_dir dir;
    const fs::path config = dir.path / "plexus.yaml";
    std::ofstream(config) << "plugin_dirs: [\"" << PLEXUS_LOADER_FIXTURE_DIR << "\", \"" << PLEXUS_PLUGIN_DIR << "\"]\n"
                          << "data_dir: \"" << (dir.path / "data").string() << "\"\n"
                          << "routing: { types: { good_minimal: {} } }\n"
                          << "admin: { enabled: false }\n"
                          << "storage: { default: memory, engines: { memory: {} } }\n";
    auto r = plexus::tests::run_process({ PLEXUSD_PATH, "--config", config.string(), "--check-config" },
                                        std::chrono::seconds(30));
    INFO(r.describe());
    CHECK(r.exit_code == 0);
}
