// SASL PLAIN logins: the token parser, the listener's `sasl` setting, SaslHandshake v0 (raw
// tokens) and v1 (SaslAuthenticate), and what closes the connection.
#include "gateway_config.h"
#include "generated/api_versions.h"
#include "generated/metadata.h"
#include "generated/sasl_authenticate.h"
#include "generated/sasl_handshake.h"
#include "sasl_plain.h"
#include "session_fixture.h"

#include <catch2/catch.hpp>

#include <string>

using namespace plexus::protocol::kafka;
using namespace plexus::protocol::kafka::testing;
using namespace std::string_literals;

namespace {

constexpr std::int16_t handshake_key = 17;
constexpr std::int16_t authenticate_key = 36;
constexpr std::int16_t metadata_key = 3;

std::string handshake(std::int16_t version, std::int32_t corr, const std::string& mechanism)
{
    generated::sasl_handshake_request q;
    q.mechanism = mechanism;
    return request(handshake_key, version, corr, false, body_of(q, version));
}

std::string authenticate(std::int16_t version, std::int32_t corr, const std::string& token)
{
    generated::sasl_authenticate_request q;
    q.auth_bytes = token;
    bool flexible = generated::sasl_authenticate_request::flexible(version);
    return request(authenticate_key, version, corr, flexible, body_of(q, version));
}

std::string metadata(std::int32_t corr)
{
    generated::metadata_request q; // v1 with no topics: nothing to look up
    q.topics = std::vector<generated::metadata_request::metadata_request_topic>{};
    return request(metadata_key, 1, corr, false, body_of(q, 1));
}

void login_v1(fixture& f, const std::string& token)
{
    REQUIRE(f.feed(handshake(1, 1, "PLAIN")).ok());
    REQUIRE(f.feed(authenticate(2, 2, token)).ok());
}

} // namespace

TEST_CASE("SASL/PLAIN tokens: authzid then user then password", "[kafka][sasl]")
{
    auto ok = parse_sasl_plain("\0alice\0secret"s);
    REQUIRE(std::holds_alternative<plain_credentials>(ok));
    CHECK(std::get<plain_credentials>(ok).user == "alice");
    CHECK(std::get<plain_credentials>(ok).password == "secret");
    CHECK(std::holds_alternative<plain_credentials>(parse_sasl_plain("alice\0alice\0secret"s)));
    CHECK(std::holds_alternative<std::string>(parse_sasl_plain("bob\0alice\0secret"s)));
    CHECK(std::holds_alternative<std::string>(parse_sasl_plain("\0\0secret"s)));
    CHECK(std::holds_alternative<std::string>(parse_sasl_plain("\0alice\0"s)));
    CHECK(std::holds_alternative<std::string>(parse_sasl_plain("alice:secret")));
    CHECK(std::holds_alternative<std::string>(parse_sasl_plain("\0alice\0sec\0ret"s)));
}

TEST_CASE("the sasl listener key is optional by default or required or off", "[kafka][sasl]")
{
    auto d = parse_gateway_config("{}");
    REQUIRE(d);
    CHECK(d->sasl == sasl_mode::optional);
    auto r = parse_gateway_config(R"({"sasl": "required"})");
    REQUIRE(r);
    CHECK(r->sasl == sasl_mode::required);
    auto o = parse_gateway_config(R"({"sasl": "off"})");
    REQUIRE(o);
    CHECK(o->sasl == sasl_mode::off);
    auto bad = parse_gateway_config(R"({"sasl": "maybe"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("sasl") != std::string_view::npos);
}

TEST_CASE("ApiVersions advertises the SASL and admin APIs with the versions their handlers serve", "[kafka][sasl]")
{
    fixture f;
    f.start();
    REQUIRE(f.feed(request(18, 0, 1, false, "")).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 1);
    auto m = read_response<generated::api_versions_response>(rs[0], 0, false, 1);
    auto range = [&](std::int16_t key) {
        for (const auto& k : m.api_keys) {
            if (k.api_key == key) {
                return std::make_pair(k.min_version, k.max_version);
            }
        }
        return std::make_pair<std::int16_t, std::int16_t>(-1, -1);
    };
    CHECK(range(17) == std::make_pair<std::int16_t, std::int16_t>(0, 1));
    CHECK(range(36) == std::make_pair<std::int16_t, std::int16_t>(0, 2));
    CHECK(range(42) == std::make_pair<std::int16_t, std::int16_t>(0, 2));
    CHECK(range(60) == std::make_pair<std::int16_t, std::int16_t>(0, 1));
    CHECK(range(32) == std::make_pair<std::int16_t, std::int16_t>(0, 4));
    CHECK(range(33) == std::make_pair<std::int16_t, std::int16_t>(0, 2));
    CHECK(range(44) == std::make_pair<std::int16_t, std::int16_t>(0, 1));
    CHECK(range(37) == std::make_pair<std::int16_t, std::int16_t>(0, 3));
}

TEST_CASE("SaslHandshake v1 and SaslAuthenticate log a broker user in", "[kafka][sasl]")
{
    fixture f;
    f.config.sasl = sasl_mode::required;
    f.kernel.add_user("alice", "secret");
    f.start();
    login_v1(f, "\0alice\0secret"s);
    REQUIRE(f.feed(metadata(3)).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 3);
    auto hs = read_response<generated::sasl_handshake_response>(rs[0], 1, false, 1);
    CHECK(hs.error_code == 0);
    CHECK(hs.mechanisms == std::vector<std::string>{ "PLAIN" });
    auto auth = read_response<generated::sasl_authenticate_response>(rs[1], 2, true, 2);
    CHECK(auth.error_code == 0);
    CHECK_FALSE(auth.error_message.has_value());
    auto md = read_response<generated::metadata_response>(rs[2], 1, false, 3);
    CHECK(md.brokers.size() == 1);
    CHECK_FALSE(f.conn.closed());
}

TEST_CASE("a wrong password gets SASL_AUTHENTICATION_FAILED with a message and the connection closes", "[kafka][sasl]")
{
    fixture f;
    f.config.sasl = sasl_mode::required;
    f.kernel.add_user("alice", "secret");
    f.start();
    login_v1(f, "\0alice\0wrong"s);
    CHECK(f.feed(metadata(3)).ok()); // dropped: the connection is closing
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 2);
    auto auth = read_response<generated::sasl_authenticate_response>(rs[1], 2, true, 2);
    CHECK(auth.error_code == 58);
    REQUIRE(auth.error_message.has_value());
    CHECK(auth.error_message->find("invalid username or password") != std::string::npos);
    REQUIRE(f.conn.closed());
    CHECK(f.conn.flushed_on_close());
}

TEST_CASE("a user who may not use the listener's vhost is refused at login", "[kafka][sasl]")
{
    fixture f;
    f.config.sasl = sasl_mode::required;
    f.kernel.add_user("alice", "secret");
    f.kernel.fail_next("check_vhost_access", sdk::status(sdk::errc::forbidden, "no"));
    f.start();
    login_v1(f, "\0alice\0secret"s);
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 2);
    auto auth = read_response<generated::sasl_authenticate_response>(rs[1], 2, true, 2);
    CHECK(auth.error_code == 58);
    CHECK(auth.error_message->find("vhost") != std::string::npos);
    CHECK(f.conn.closed());
}

TEST_CASE("an unsupported mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list", "[kafka][sasl]")
{
    fixture f;
    f.start();
    REQUIRE(f.feed(handshake(1, 1, "SCRAM-SHA-256")).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 1);
    auto hs = read_response<generated::sasl_handshake_response>(rs[0], 1, false, 1);
    CHECK(hs.error_code == 33);
    CHECK(hs.mechanisms == std::vector<std::string>{ "PLAIN" });
    CHECK(f.conn.closed());
}

TEST_CASE("SaslHandshake v0 takes a raw token and answers an empty one", "[kafka][sasl]")
{
    fixture f;
    f.config.sasl = sasl_mode::required;
    f.kernel.add_user("alice", "secret");
    f.start();
    REQUIRE(f.feed(handshake(0, 1, "PLAIN")).ok());
    REQUIRE(f.feed(frame("\0alice\0secret"s)).ok());
    REQUIRE(f.feed(metadata(2)).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 3);
    CHECK(rs[1].empty()); // the server's (empty) token
    read_response<generated::metadata_response>(rs[2], 1, false, 2);
    CHECK_FALSE(f.conn.closed());

    SECTION("a wrong raw token closes without an answer")
    {
        fixture g;
        g.config.sasl = sasl_mode::required;
        g.start();
        REQUIRE(g.feed(handshake(0, 1, "PLAIN")).ok());
        CHECK_FALSE(g.feed(frame("\0alice\0wrong"s)).ok());
        CHECK(responses(g.conn.written()).size() == 1);
    }
}

TEST_CASE("with sasl required any other API before the login closes the connection", "[kafka][sasl]")
{
    fixture f;
    f.config.sasl = sasl_mode::required;
    f.start();
    REQUIRE(f.feed(request(18, 0, 1, false, "")).ok()); // ApiVersions is allowed
    CHECK_FALSE(f.feed(metadata(2)).ok());
    CHECK(responses(f.conn.written()).size() == 1);
}

TEST_CASE("a request other than SaslAuthenticate between the handshake and the login closes", "[kafka][sasl]")
{
    fixture f;
    f.start(); // optional: but a connection that began a login must finish it
    REQUIRE(f.feed(handshake(1, 1, "PLAIN")).ok());
    CHECK_FALSE(f.feed(metadata(2)).ok());
}

TEST_CASE("SaslAuthenticate without a handshake is ILLEGAL_SASL_STATE", "[kafka][sasl]")
{
    fixture f;
    f.start();
    REQUIRE(f.feed(authenticate(1, 1, "\0guest\0guest"s)).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 1);
    CHECK(read_response<generated::sasl_authenticate_response>(rs[0], 1, false, 1).error_code == 34);
    CHECK(f.conn.closed());
}

TEST_CASE("sasl optional serves an unauthenticated loopback connection as guest and refuses one from elsewhere",
          "[kafka][sasl]")
{
    {
        fixture f;
        f.start();
        REQUIRE(f.feed(metadata(1)).ok());
        CHECK(responses(f.conn.written()).size() == 1);
    }
    {
        fixture f("10.1.2.3:5000");
        f.start();
        CHECK_FALSE(f.feed(metadata(1)).ok());
        CHECK(f.conn.written().empty());
    }
    {
        fixture f("10.1.2.3:5000"); // elsewhere, but with a login
        f.kernel.add_user("alice", "secret");
        f.start();
        login_v1(f, "\0alice\0secret"s);
        REQUIRE(f.feed(metadata(3)).ok());
        CHECK(responses(f.conn.written()).size() == 3);
    }
}

TEST_CASE("sasl off serves everyone and enables no mechanism", "[kafka][sasl]")
{
    fixture f("10.1.2.3:5000");
    f.config.sasl = sasl_mode::off;
    f.start();
    REQUIRE(f.feed(metadata(1)).ok());
    REQUIRE(f.feed(handshake(1, 2, "PLAIN")).ok());
    auto rs = responses(f.conn.written());
    REQUIRE(rs.size() == 2);
    auto hs = read_response<generated::sasl_handshake_response>(rs[1], 1, false, 2);
    CHECK(hs.error_code == 33);
    CHECK(hs.mechanisms.empty());
}

TEST_CASE("a request above 512 KiB during the SASL login closes before its body is read", "[kafka][sasl]")
{
    fixture f;
    f.config.max_request_bytes = 1u << 20;
    f.start();
    REQUIRE(f.feed(handshake(0, 1, "PLAIN")).ok());
    CHECK_FALSE(f.feed("\x00\x08\x00\x01"s).ok()); // 524289 bytes announced, none sent
}
