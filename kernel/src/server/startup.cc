#include "kernel/src/server/startup.h"

#include "kernel/src/admin/http_server.h"
#include "kernel/src/config/config_loader.h"
#include "kernel/src/observability/logging.h"
#include "kernel/src/plugin/loader.h"
#include "kernel/src/plugin/registry.h"
#include "kernel/src/server/broker.h"
#include "kernel/src/server/exit_codes.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#ifndef PLEXUS_BUILD_PLUGIN_DIR
#define PLEXUS_BUILD_PLUGIN_DIR ""
#endif
#ifndef PLEXUS_INSTALL_PLUGIN_DIR
#define PLEXUS_INSTALL_PLUGIN_DIR ""
#endif

namespace plexus::kernel {
namespace {

namespace fs = std::filesystem;

constexpr const char* usage_text = R"(usage: plexusd [options]
  --config FILE        read FILE (YAML) instead of the embedded default configuration
  --set KEY=VALUE      override one configuration key (repeatable), e.g. --set admin.port=0
  --check-config       load and validate the configuration and every plugin, then exit
  --list-plugins [DIR] print the descriptor of every plugin found (in DIR or the plugin dirs)
  --version            print the version
  --help               this text
)";

struct options
{
    config_source source;
    bool check_only = false;
    bool list_plugins = false;
    std::string list_dir;
};

int fatal(exit_code code, const std::string& line)
{
    std::fprintf(stderr, "plexusd: %s\n", one_line(line).c_str());
    return static_cast<int>(code);
}

// Plugin directories when the config names none: the build tree's, the one next to the
// binary (<prefix>/bin/../lib/plexus/plugins) and the install location.
std::vector<std::string> default_plugin_dirs()
{
    std::vector<std::string> dirs;
    std::error_code ec;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        dirs.push_back((self.parent_path().parent_path() / "lib" / "plexus" / "plugins").string());
    }
    for (const char* d : { PLEXUS_BUILD_PLUGIN_DIR, PLEXUS_INSTALL_PLUGIN_DIR }) {
        if (*d != '\0') {
            dirs.emplace_back(d);
        }
    }
    return dirs;
}

int list_plugins(const std::vector<std::string>& dirs)
{
    bool all_ok = true;
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            continue;
        }
        std::vector<fs::path> files;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            auto name = entry.path().filename().string();
            if (name.rfind("libplexus_", 0) == 0 && entry.path().extension() == ".so") {
                files.push_back(entry.path());
            }
        }
        std::sort(files.begin(), files.end());
        for (const auto& f : files) {
            auto p = inspect_plugin_file(f.string());
            if (!p) {
                all_ok = false;
                fmt::print("REFUSED  {}\n", p.error().message());
                continue;
            }
            const auto* d = p->descriptor;
            fmt::print("{:<9} {:<14} {:<8} ABI {}.{}  {}\n",
                       sdk::kinds::name_of(d->kind),
                       d->name,
                       d->plugin_version,
                       d->abi_major,
                       d->abi_minor,
                       f.string());
        }
    }
    return static_cast<int>(all_ok ? exit_code::ok : exit_code::plugin_refused);
}

sdk::status prepare_data_dir(const std::string& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return sdk::status(sdk::errc::io_error, fmt::format("data_dir {}: {}", dir, ec.message()));
    }
    auto probe = fs::path(dir) / ".plexus-write-test";
    {
        std::ofstream out(probe);
        if (!out || !(out << "ok")) {
            return sdk::status(sdk::errc::io_error, fmt::format("data_dir {}: not writable", dir));
        }
    }
    fs::remove(probe, ec);
    return {};
}

sdk::status write_ports_file(const std::string& path, const std::vector<std::pair<std::string, std::uint16_t>>& ports)
{
    std::string json = "{";
    for (std::size_t i = 0; i < ports.size(); ++i) {
        json += fmt::format("{}\"{}\":{}", i ? "," : "", ports[i].first, ports[i].second);
    }
    json += "}\n";
    // Write then rename, so a reader polling for the file never sees half of it.
    auto tmp = path + ".tmp";
    {
        std::ofstream out(tmp);
        if (!out || !(out << json)) {
            return sdk::status(sdk::errc::io_error, fmt::format("ports_file {}: cannot write", path));
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        return sdk::status(sdk::errc::io_error, fmt::format("ports_file {}: {}", path, ec.message()));
    }
    return {};
}

exit_code start_failure_code(const sdk::status& st)
{
    switch (st.code()) {
        case sdk::errc::unavailable:
            return exit_code::bind_failed;
        case sdk::errc::corruption:
        case sdk::errc::precondition_failed:
            return exit_code::definitions_unrecoverable; // broker::start() restoring definitions
        default:
            return exit_code::internal;
    }
}

} // namespace

int run_plexusd(int argc, char** argv)
{
    options opt;
    opt.source.default_plugin_dirs = default_plugin_dirs();
    std::vector<std::string> args(argv + 1, argv + argc);
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        auto value = [&](const char* flag) -> const std::string* {
            if (i + 1 >= args.size()) {
                return nullptr;
            }
            (void)flag;
            return &args[++i];
        };
        if (a == "--help" || a == "-h") {
            std::fputs(usage_text, stdout);
            return 0;
        }
        if (a == "--version") {
            std::puts("plexusd 0.1.0");
            return 0;
        }
        if (a == "--check-config") {
            opt.check_only = true;
        } else if (a == "--list-plugins") {
            opt.list_plugins = true;
            if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) {
                opt.list_dir = args[++i];
            }
        } else if (a == "--config") {
            auto v = value("--config");
            if (!v) {
                return fatal(exit_code::usage, "--config needs a file");
            }
            opt.source.file = *v;
        } else if (a == "--set") {
            auto v = value("--set");
            if (!v) {
                return fatal(exit_code::usage, "--set needs key=value");
            }
            opt.source.overrides.push_back(*v);
        } else {
            std::fputs(usage_text, stderr);
            return fatal(exit_code::usage, fmt::format("unknown argument '{}'", a));
        }
    }

    auto loaded = load_config(opt.source);
    if (!loaded) {
        return fatal(exit_code::config_invalid, std::string(loaded.error().message()));
    }
    broker_config config = std::move(*loaded);
    if (config.plugin_dirs.empty()) {
        config.plugin_dirs = opt.source.default_plugin_dirs;
    }
    if (opt.list_plugins) {
        return list_plugins(opt.list_dir.empty() ? config.plugin_dirs : std::vector<std::string>{ opt.list_dir });
    }

    log_registry logs(config.log_level);
    for (const auto& [component, level] : config.log_components) {
        sdk::log_level l;
        if (parse_log_level(level, l)) {
            logs.set_level(component, l);
        }
    }
    plugin_registry plugins(config.plugin_dirs);
    if (auto st = plugins.load_configured(config); !st.ok()) {
        return fatal(exit_code::plugin_refused, std::string(st.message()));
    }
    if (opt.check_only) {
        std::puts("configuration OK");
        return 0;
    }
    if (auto st = prepare_data_dir(config.data_dir); !st.ok()) {
        return fatal(exit_code::data_dir_unusable, std::string(st.message()));
    }

    // Block the stop signals before any thread starts, so every thread inherits the mask and
    // only sigwait() below receives them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    auto created = broker::create(config, plugins, logs);
    if (!created) {
        return fatal(exit_code::plugin_refused, std::string(created.error().message()));
    }
    auto& b = **created;
    if (auto st = b.start(); !st.ok()) {
        b.stop(std::chrono::milliseconds(0));
        return fatal(start_failure_code(st), std::string(st.message()));
    }
    std::unique_ptr<admin_http_server> http;
    auto ports = b.bound_ports();
    if (config.admin_enabled) {
        http = std::make_unique<admin_http_server>(
          b.admin(), config.admin_host, config.admin_port, logs.get("kernel.admin"));
        if (auto st = http->start(); !st.ok()) {
            b.stop(std::chrono::milliseconds(0));
            return fatal(exit_code::bind_failed, std::string(st.message()));
        }
        ports.insert(ports.begin(), { "admin", http->port() });
    }
    if (!config.ports_file.empty()) {
        if (auto st = write_ports_file(config.ports_file, ports); !st.ok()) {
            http.reset();
            b.stop(std::chrono::milliseconds(0));
            return fatal(exit_code::internal, std::string(st.message()));
        }
    }
    auto& log = logs.get("kernel");
    std::string listening;
    for (const auto& [name, port] : ports) {
        listening += fmt::format(" {}={}", name, port);
    }
    PLEXUS_LOG(
      log, info, "plexusd ready (data_dir {}, storage {}):{}", config.data_dir, config.default_storage, listening);

    int sig = 0;
    sigwait(&stop_signals, &sig);
    PLEXUS_LOG(log, info, "{} received: draining", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (http) {
        http->stop();
    }
    b.stop(std::chrono::seconds(config.shutdown_grace_seconds));
    return 0;
}

} // namespace plexus::kernel
