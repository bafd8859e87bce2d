#include "support/broker_process.h"
#include "support/child_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

using plexus::tests::broker_process;
using plexus::tests::run_process;
using plexus::tests::temp_dir;

namespace {

plexus::tests::process_result plexusctl(const broker_process& b, std::vector<std::string> args)
{
    return plexus::tests::run_plexusctl(b, std::move(args));
}

/// plexusd --config <file with `yaml`> plus `extra` arguments, run to completion.
plexus::tests::process_result plexusd_with(const temp_dir& dir,
                                           const std::string& yaml,
                                           std::vector<std::string> extra = {})
{
    auto config = (dir.path / "plexus.yaml").string();
    std::ofstream(config) << "plugin_dirs: [\"" << PLEXUS_TEST_PLUGIN_DIR << "\"]\n" << yaml;
    std::vector<std::string> args{ PLEXUS_TEST_PLEXUSD, "--config", config };
    args.insert(args.end(), extra.begin(), extra.end());
    return run_process(args, std::chrono::seconds(20));
}

std::size_t line_count(const std::string& s)
{
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("plexusd serves plexusctl: declare, publish, get, then SIGTERM exits 0", "[integration][smoke]")
{
    broker_process b;
    REQUIRE(b.start());
    INFO(b.log());
    REQUIRE(b.port("admin") != 0);

    auto status = plexusctl(b, { "status" });
    REQUIRE(status.exit_code == 0);
    CHECK(status.out.find("shards") != std::string::npos);

    auto declared = plexusctl(b, { "declare", "queue", "orders", "--durable" });
    REQUIRE(declared.exit_code == 0);
    auto listed = plexusctl(b, { "list", "queues" });
    REQUIRE(listed.exit_code == 0);
    CHECK(listed.out.find("orders") != std::string::npos);

    auto published =
      plexusctl(b, { "publish", "--exchange", "amq.default", "--routing-key", "orders", "--body", "first order" });
    INFO(published.describe());
    REQUIRE(published.exit_code == 0);
    auto unroutable = plexusctl(b, { "publish", "--exchange", "amq.direct", "--routing-key", "nobody", "--body", "x" });
    CHECK(unroutable.exit_code == 3);

    auto got = plexusctl(b, { "get", "--queue", "orders" });
    INFO(got.describe());
    REQUIRE(got.exit_code == 0);
    CHECK(got.out.find("first order") != std::string::npos);
    auto empty = plexusctl(b, { "get", "--queue", "orders", "--json" });
    REQUIRE(empty.exit_code == 0);
    CHECK(empty.out.find("first order") == std::string::npos);

    auto missing = plexusctl(b, { "get", "--queue", "no-such-queue" });
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("no-such-queue") != std::string::npos);

    // Refusals come back as one line with the broker's reason, and the broker keeps serving.
    auto bad_type = plexusctl(b, { "declare", "exchange", "x", "--type", "nosuch" });
    CHECK(bad_type.exit_code == 1);
    CHECK(bad_type.err.find("invalid exchange type 'nosuch'") != std::string::npos);
    auto builtin = plexusctl(b, { "delete", "exchange", "amq.direct" });
    CHECK(builtin.exit_code == 1);
    CHECK(builtin.err.find("operation not permitted") != std::string::npos);
    auto inequivalent = plexusctl(b, { "declare", "queue", "orders" }); // was declared durable
    CHECK(inequivalent.exit_code == 1);
    CHECK(inequivalent.err.find("inequivalent arg 'durable'") != std::string::npos);
    CHECK(plexusctl(b, { "declare", "stream", "events", "--partitions", "3" }).exit_code == 0);
    CHECK(plexusctl(b,
                    { "declare",
                      "binding",
                      "--source",
                      "amq.topic",
                      "--destination",
                      "events",
                      "--destination-type",
                      "stream",
                      "--routing-key",
                      "orders.#" })
            .exit_code == 0);
    CHECK(
      plexusctl(b, { "publish", "--exchange", "amq.topic", "--routing-key", "orders.eu", "--body", "e1" }).exit_code ==
      0);
    auto streams = plexusctl(b, { "list", "streams" });
    CHECK(streams.out.find("events") != std::string::npos);
    auto bindings = plexusctl(b, { "list", "bindings", "--json" });
    CHECK(bindings.out.find("\"orders.#\"") != std::string::npos);
    auto metrics = plexusctl(b, { "status" });
    CHECK(metrics.exit_code == 0);

    CHECK(b.stop() == 0);
    CHECK(b.log().find("plexusd ready") != std::string::npos);

    // Once stopped, plexusctl reports the admin API as unreachable.
    auto gone = plexusctl(b, { "status" });
    CHECK(gone.exit_code == 2);
    CHECK(gone.err.find("cannot reach the admin API") != std::string::npos);
}

TEST_CASE("check-config accepts a good config and list-plugins lists the plugins", "[integration][smoke]")
{
    temp_dir dir;
    auto ok = plexusd_with(dir, "admin: { enabled: false }\n", { "--check-config" });
    INFO(ok.describe());
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("configuration OK") != std::string::npos);

    auto listed = run_process({ PLEXUS_TEST_PLEXUSD, "--list-plugins", PLEXUS_TEST_PLUGIN_DIR });
    INFO(listed.describe());
    CHECK(listed.exit_code == 0);
    for (const char* name : { "memory", "direct", "fanout", "topic", "headers" }) {
        CHECK(listed.out.find(name) != std::string::npos);
    }
}

TEST_CASE("a bad key stops startup with exit 3 and one line naming the key", "[integration][smoke]")
{
    temp_dir dir;
    auto r = plexusd_with(dir, "admin: { enabled: false, colour: blue }\n");
    CHECK(r.exit_code == 3);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find("admin.colour: unknown key") != std::string::npos);
    CHECK(r.err.find("plexus.yaml") != std::string::npos);

    auto bad_value = plexusd_with(dir, "admin: { port: http }\n");
    CHECK(bad_value.exit_code == 3);
    CHECK(bad_value.err.find("admin.port: expected an integer 0..65535, got 'http'") != std::string::npos);

    auto bad_set = run_process({ PLEXUS_TEST_PLEXUSD, "--set", "admin.colour=blue", "--check-config" });
    CHECK(bad_set.exit_code == 3);
    auto bad_arg = run_process({ PLEXUS_TEST_PLEXUSD, "--frobnicate" });
    CHECK(bad_arg.exit_code == 2);
}

TEST_CASE("a missing plugin stops startup with exit 4 naming every path tried", "[integration][smoke]")
{
    temp_dir dir;
    auto r = plexusd_with(dir, "admin: { enabled: false }\nrouting: { types: { nosuch: {} } }\n");
    CHECK(r.exit_code == 4);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find("routing plugin 'nosuch' not found") != std::string::npos);
    CHECK(r.err.find(std::string(PLEXUS_TEST_PLUGIN_DIR) + "/libplexus_routing_nosuch.so") != std::string::npos);
}

TEST_CASE("an unusable data dir stops startup with exit 6", "[integration][smoke]")
{
    temp_dir dir;
    auto file = dir.path / "a-file";
    std::ofstream(file) << "not a directory";
    auto r = plexusd_with(dir, "admin: { enabled: false }\ndata_dir: \"" + (file / "data").string() + "\"\n");
    CHECK(r.exit_code == 6);
    CHECK(line_count(r.err) == 1);
    CHECK(r.err.find("data_dir") != std::string::npos);
}

TEST_CASE("an admin port in use stops startup with exit 5", "[integration][smoke]")
{
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    auto port = ntohs(addr.sin_port);

    temp_dir dir;
    auto r = plexusd_with(dir,
                          "data_dir: \"" + (dir.path / "data").string() +
                            "\"\nadmin: { host: 127.0.0.1, port: " + std::to_string(port) + " }\n");
    ::close(fd);
    INFO(r.describe());
    CHECK(r.exit_code == 5);
    CHECK(line_count(r.err) >= 1);
    CHECK(r.err.find(std::to_string(port)) != std::string::npos);
}

TEST_CASE("under the disk alarm publishes are refused naming it, everything else keeps working",
          "[integration][smoke][disk]")
{
    // A limit no disk can meet raises the alarm at startup.
    broker_process b("storage: { disk_free_limit_bytes: 9223372036854775807 }\n");
    REQUIRE(b.start());
    CHECK(b.log().find("disk alarm raised") != std::string::npos);
    auto declared = plexusctl(b, { "declare", "queue", "orders", "--durable" });
    INFO(declared.describe());
    CHECK(declared.exit_code == 0);
    auto refused = plexusctl(b, { "publish", "--exchange", "amq.default", "--routing-key", "orders", "--body", "x" });
    INFO(refused.describe());
    CHECK(refused.exit_code == 1);
    CHECK(refused.err.find("publishing is blocked: disk free space") != std::string::npos);
    CHECK(refused.err.find("below the limit") != std::string::npos);
    auto got = plexusctl(b, { "get", "--queue", "orders" });
    CHECK(got.exit_code == 0);
    CHECK(got.out.empty()); // nothing half-written was stored
    CHECK(b.stop() == 0);
}
