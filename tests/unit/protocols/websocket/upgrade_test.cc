// The opening handshake: RFC 6455's accept-key example, what a request needs, how the
// subprotocol is chosen, and the HTTP refusals (400, 404, 426).
#include "upgrade.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::websocket;

namespace {

upgrade_policy stomp_policy()
{
    upgrade_policy p;
    p.subprotocols = { "v12.stomp", "v11.stomp", "v10.stomp", "stomp" };
    return p;
}

std::string request(const std::string& extra = "Sec-WebSocket-Protocol: v10.stomp, v11.stomp, v12.stomp\r\n",
                    const std::string& line = "GET /ws HTTP/1.1")
{
    return line +
           "\r\nHost: localhost:15674\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
           extra + "\r\n";
}

/// `request()` with one header line replaced (or removed, when `replacement` is empty).
std::string without(const std::string& header, const std::string& replacement = "")
{
    auto r = request("");
    auto p = r.find(header);
    REQUIRE(p != std::string::npos);
    r.replace(p, r.find("\r\n", p) + 2 - p, replacement);
    return r;
}

} // namespace

TEST_CASE("the accept key is RFC 6455's example", "[websocket][upgrade]")
{
    CHECK(accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST_CASE("an upgrade is answered 101 with the accept key and the preferred subprotocol offered",
          "[websocket][upgrade]")
{
    auto a = answer_upgrade(request(), stomp_policy());
    REQUIRE(a.status == 101);
    CHECK(a.protocol == "v12.stomp"); // the gateway's preference, not the client's order
    CHECK(a.response == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                        "Sec-WebSocket-Protocol: v12.stomp\r\n\r\n");
    CHECK(answer_upgrade(request("Sec-WebSocket-Protocol: stomp\r\n"), stomp_policy()).protocol == "stomp");
}

TEST_CASE("a request without Sec-WebSocket-Protocol is accepted without one", "[websocket][upgrade]")
{
    auto a = answer_upgrade(request(""), stomp_policy());
    REQUIRE(a.status == 101);
    CHECK(a.protocol.empty());
    CHECK(a.response.find("Sec-WebSocket-Protocol") == std::string::npos);
}

TEST_CASE("header names and tokens are case-insensitive, token lists and queries are read", "[websocket][upgrade]")
{
    std::string r = "GET /ws?client=1 HTTP/1.1\r\nhost: x\r\nUPGRADE: WebSocket\r\n"
                    "connection: keep-alive, upgrade\r\nsec-websocket-key:   dGhlIHNhbXBsZSBub25jZQ==  \r\n"
                    "sec-websocket-version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n";
    upgrade_policy p;
    p.subprotocols = { "mqtt", "mqttv3.1" };
    auto a = answer_upgrade(r, p);
    REQUIRE(a.status == 101);
    CHECK(a.protocol == "mqtt");
    CHECK(a.response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") != std::string::npos);
    // A repeated header is one comma-joined list.
    auto twice = answer_upgrade(request("Sec-WebSocket-Protocol: foo\r\nSec-WebSocket-Protocol: mqttv3.1\r\n"), p);
    CHECK(twice.protocol == "mqttv3.1");
}

TEST_CASE("wrong requests are refused with the HTTP status that says why", "[websocket][upgrade]")
{
    auto p = stomp_policy();
    auto status = [&](const std::string& r) { return answer_upgrade(r, p).status; };
    CHECK(status(request("", "POST /ws HTTP/1.1")) == 400);
    CHECK(status(request("", "GET /ws HTTP/1.0")) == 400);
    CHECK(status(request("", "GET /ws")) == 400);
    CHECK(status(request("", "GET  /ws HTTP/1.1")) == 400);
    CHECK(status(without("Upgrade:")) == 400);
    CHECK(status(without("Upgrade:", "Upgrade: h2c\r\n")) == 400);
    CHECK(status(without("Connection:")) == 400);
    CHECK(status(without("Connection:", "Connection: keep-alive\r\n")) == 400);
    CHECK(status(without("Host:")) == 400);
    CHECK(status(without("Sec-WebSocket-Key:")) == 400);
    CHECK(status(without("Sec-WebSocket-Key:", "Sec-WebSocket-Key: short\r\n")) == 400);
    CHECK(status(without("Sec-WebSocket-Version:")) == 426);
    CHECK(status(without("Sec-WebSocket-Version:", "Sec-WebSocket-Version: 8\r\n")) == 426);
    CHECK(status(request("", "GET /stomp HTTP/1.1")) == 404);
    CHECK(status(request("Sec-WebSocket-Protocol: mqtt\r\n")) == 400);
    CHECK(status(request("Bad Header: x\r\n")) == 400);
    CHECK(status(request("NoColon\r\n")) == 400);
}

TEST_CASE("refusals are complete HTTP responses that close, 426 names the version spoken", "[websocket][upgrade]")
{
    auto a = answer_upgrade(without("Sec-WebSocket-Version:", "Sec-WebSocket-Version: 8\r\n"), stomp_policy());
    CHECK(a.response.starts_with("HTTP/1.1 426 Upgrade Required\r\n"));
    CHECK(a.response.find("\r\nSec-WebSocket-Version: 13\r\n") != std::string::npos);
    CHECK(a.response.find("\r\nConnection: close\r\n") != std::string::npos);
    auto head_end = a.response.find("\r\n\r\n");
    REQUIRE(head_end != std::string::npos);
    auto body = a.response.substr(head_end + 4);
    CHECK(a.response.find("Content-Length: " + std::to_string(body.size()) + "\r\n") != std::string::npos);
    auto nf = answer_upgrade(request("", "GET /elsewhere HTTP/1.1"), stomp_policy());
    CHECK(nf.response.starts_with("HTTP/1.1 404 Not Found\r\n"));
    CHECK(nf.reason == "no WebSocket endpoint at /elsewhere");
}

TEST_CASE("the end of the request head is its blank line", "[websocket][upgrade]")
{
    CHECK(end_of_head("GET / HTTP/1.1\r\nHost: x\r\n") == std::string::npos);
    CHECK(end_of_head("GET / HTTP/1.1\r\n\r\nrest") == 18);
}
