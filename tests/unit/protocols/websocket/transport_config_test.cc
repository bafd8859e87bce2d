// The transport keys any gateway's listener config may carry.
#include "transport_config.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::websocket;
using plexus::storage::config_section;

namespace {

/// read_transport over `json`; the error message, or "" with `out` filled.
std::string read(const char* json, listener_transport& out)
{
    auto s = config_section::parse(json, "test listener config");
    REQUIRE(s);
    auto st = read_transport(*s, "test listener config", out);
    if (st.ok()) {
        REQUIRE(s->finish().ok()); // both keys were taken
    }
    return std::string(st.message());
}

} // namespace

TEST_CASE("transport defaults to tcp, websocket listens on /ws unless told", "[websocket][config]")
{
    listener_transport t;
    CHECK(read("{}", t).empty());
    CHECK_FALSE(t.websocket);
    CHECK(read(R"({"transport": "tcp"})", t).empty());
    CHECK_FALSE(t.websocket);
    listener_transport w;
    CHECK(read(R"({"transport": "websocket"})", w).empty());
    CHECK(w.websocket);
    CHECK(w.path == "/ws");
    listener_transport p;
    CHECK(read(R"({"transport": "websocket", "websocket_path": "/stomp/ws"})", p).empty());
    CHECK(p.path == "/stomp/ws");
}

TEST_CASE("bad transport keys are refused naming the key", "[websocket][config]")
{
    listener_transport t;
    CHECK(read(R"({"transport": "quic"})", t).starts_with("test listener config key 'transport': "));
    CHECK(read(R"({"transport": "websocket", "websocket_path": "ws"})", t) ==
          "test listener config key 'websocket_path': expected a path starting with '/', without spaces or a "
          "query, got 'ws'");
    CHECK(read(R"({"transport": "websocket", "websocket_path": "/a b"})", t)
            .starts_with("test listener config key 'websocket_path': "));
    CHECK(read(R"({"transport": "websocket", "websocket_path": "/ws?x=1"})", t)
            .starts_with("test listener config key 'websocket_path': "));
    CHECK(read(R"({"transport": "websocket", "websocket_path": 5})", t)
            .starts_with("test listener config key 'websocket_path': "));
    CHECK(read(R"({"websocket_path": "/ws"})", t) ==
          "test listener config key 'websocket_path': needs transport: websocket");
}
