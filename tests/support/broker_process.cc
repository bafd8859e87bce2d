#include "support/broker_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace plexus::tests {

namespace fs = std::filesystem;

temp_dir::temp_dir()
{
    std::string templ = (fs::temp_directory_path() / "plexus-test-XXXXXX").string();
    if (::mkdtemp(templ.data()) != nullptr) {
        path = templ;
    }
}

temp_dir::~temp_dir()
{
    std::error_code ec;
    fs::remove_all(path, ec);
}

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds deadline)
{
    auto until = std::chrono::steady_clock::now() + deadline;
    while (std::chrono::steady_clock::now() < until) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

broker_process::broker_process(std::string extra_yaml, std::vector<std::string> extra_plugin_dirs)
  : _extra(std::move(extra_yaml))
  , _plugin_dirs(std::move(extra_plugin_dirs))
{
}

broker_process::~broker_process()
{
    if (_pid > 0) {
        ::kill(_pid, SIGKILL);
        int status = 0;
        ::waitpid(_pid, &status, 0);
    }
}

bool broker_process::start(std::chrono::milliseconds deadline)
{
    auto config = _dir.path / "plexus.yaml";
    auto ports = _dir.path / "ports.json";
    std::error_code ec;
    fs::remove(ports, ec); // an earlier run's
    _ports.clear();
    _startup_exit = -1;
    {
        std::ofstream out(config);
        out << "data_dir: \"" << (_dir.path / "data").string() << "\"\n"
            << "ports_file: \"" << ports.string() << "\"\n"
            << "plugin_dirs: [\"" << PLEXUS_TEST_PLUGIN_DIR << "\"";
        for (const auto& d : _plugin_dirs) {
            out << ", \"" << d << "\"";
        }
        out << "]\n"
            << "shards: 2\n"
            << "admin: { enabled: true, host: 127.0.0.1, port: 0 }\n"
            << _extra;
    }
    std::string log_path = (_dir.path / "plexusd.log").string();
    std::string config_path = config.string();
    _pid = ::fork();
    if (_pid == 0) {
        int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ::dup2(fd, STDERR_FILENO);
        ::dup2(fd, STDOUT_FILENO);
        int devnull = ::open("/dev/null", O_RDONLY);
        ::dup2(devnull, STDIN_FILENO);
        ::execl(PLEXUS_TEST_PLEXUSD, PLEXUS_TEST_PLEXUSD, "--config", config_path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    if (_pid < 0) {
        return false;
    }
    bool ready = eventually(
      [&] {
          int status = 0;
          if (::waitpid(_pid, &status, WNOHANG) == _pid) {
              _pid = -1; // exited early
              _startup_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
              return true;
          }
          return fs::exists(ports);
      },
      deadline);
    if (!ready || _pid < 0) {
        return false;
    }
    std::ifstream in(ports);
    std::stringstream text;
    text << in.rdbuf();
    std::string json = text.str();
    std::regex entry("\"([^\"]+)\":([0-9]+)");
    for (std::sregex_iterator it(json.begin(), json.end(), entry), end; it != end; ++it) {
        _ports[(*it)[1]] = static_cast<std::uint16_t>(std::stoi((*it)[2]));
    }
    return true;
}

std::uint16_t broker_process::port(const std::string& name) const
{
    auto it = _ports.find(name);
    return it == _ports.end() ? 0 : it->second;
}

int broker_process::stop(std::chrono::milliseconds deadline)
{
    if (_pid <= 0) {
        return -1;
    }
    ::kill(_pid, SIGTERM);
    int status = 0;
    bool exited = eventually([&] { return ::waitpid(_pid, &status, WNOHANG) == _pid; }, deadline);
    if (!exited) {
        ::kill(_pid, SIGKILL);
        ::waitpid(_pid, &status, 0);
        _pid = -1;
        return -1;
    }
    _pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void broker_process::kill()
{
    if (_pid <= 0) {
        return;
    }
    ::kill(_pid, SIGKILL);
    int status = 0;
    ::waitpid(_pid, &status, 0);
    _pid = -1;
}

std::string broker_process::log() const
{
    std::ifstream in(_dir.path / "plexusd.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

std::size_t broker_process::log_count(std::string_view text) const
{
    const auto all = log();
    std::size_t n = 0;
    for (auto at = all.find(text); at != std::string::npos; at = all.find(text, at + text.size())) {
        ++n;
    }
    return n;
}

process_result run_plexusctl(const broker_process& b, std::vector<std::string> args)
{
#ifdef PLEXUS_TEST_PLEXUSCTL
    args.insert(args.begin(), { PLEXUS_TEST_PLEXUSCTL, "--port", std::to_string(b.port("admin")) });
    return run_process(args, std::chrono::seconds(20));
#else
    (void)b;
    (void)args;
    process_result r;
    r.spawn_error = "plexusctl is not built";
    return r;
#endif
}

} // namespace plexus::tests
