// The listener config: defaults, bounds, the WebSocket transport keys, unknown keys.
#include "gateway_config.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::stomp;

TEST_CASE("the listener config has defaults, bounds and no unknown keys", "[stomp][config]")
{
    auto d = parse_gateway_config("");
    REQUIRE(d);
    CHECK(d->limits.max_body_bytes == 16u << 20);
    CHECK(d->handshake_timeout == std::chrono::milliseconds(10000));
    CHECK_FALSE(d->transport.websocket);
    CHECK_FALSE(parse_gateway_config(R"({"max_header_bytes": 10})"));
    CHECK_FALSE(parse_gateway_config(R"({"bogus": 1})"));
}

TEST_CASE("a listener speaks STOMP over WebSockets with transport: websocket", "[stomp][config]")
{
    auto ws = parse_gateway_config(R"({"transport": "websocket"})");
    REQUIRE(ws);
    CHECK(ws->transport.websocket);
    CHECK(ws->transport.path == "/ws");
    CHECK_FALSE(ws->websocket_binary_frames);
    auto binary = parse_gateway_config(R"({"transport": "websocket", "websocket_frames": "binary"})");
    REQUIRE(binary);
    CHECK(binary->websocket_binary_frames);
    auto tcp = parse_gateway_config(R"({"websocket_frames": "binary"})");
    REQUIRE_FALSE(tcp);
    CHECK(tcp.error().message() == "stomp listener config key 'websocket_frames': needs transport: websocket");
    auto bad = parse_gateway_config(R"({"transport": "http"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().starts_with("stomp listener config key 'transport': "));
}
