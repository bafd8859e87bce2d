// SASL logins (KIP-43, KIP-152), PLAIN only, against the broker's users (kernel::authenticate)
// and the listener's vhost (kernel::check_vhost_access).
//
// SaslHandshake names the mechanism. After handshake v0 the client's token travels raw, a size
// prefix and the bytes with no request header (kafka-python 2.0 does this), and success is a
// bare empty token; after v1 it travels in SaslAuthenticate (librdkafka), whose response says
// why a login failed. Either way a failed login closes the connection, as Kafka closes it.
//
// `sasl: required` admits nothing but ApiVersions and SASL before a login; `optional` serves an
// unauthenticated connection as guest / guest, checked like any login, so it is refused from
// elsewhere than loopback and when configured users replace guest; `off` admits everything.
#include "error_code.h"
#include "generated/sasl_authenticate.h"
#include "generated/sasl_handshake.h"
#include "sasl_plain.h"
#include "session.h"

namespace plexus::protocol::kafka {
namespace {

constexpr std::int16_t api_versions_key = 18;
constexpr std::string_view plain = "PLAIN";

} // namespace

bool session::admitted(std::int16_t key)
{
    if (key == api_versions_key || key == generated::sasl_handshake_request::kafka_api_key ||
        key == generated::sasl_authenticate_request::kafka_api_key) {
        return true;
    }
    if (_sasl == sasl_step::done || _config.sasl == sasl_mode::off) {
        return true;
    }
    if (_config.sasl == sasl_mode::required || _sasl != sasl_step::start) {
        return false;
    }
    // Optional: the connection is the default user, if the broker has one for this peer.
    auto who = _kernel.authenticate("guest", "guest", _conn.peer());
    if (!who || !_kernel.check_vhost_access(who->name, _config.vhost).ok()) {
        return false;
    }
    _user = who->name;
    _sasl = sasl_step::done;
    return true;
}

sdk::status session::on_sasl_handshake(const request_context& ctx, std::string_view body)
{
    generated::sasl_handshake_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a SaslHandshake request is truncated or malformed");
    }
    generated::sasl_handshake_response response;
    if (_config.sasl != sasl_mode::off) {
        response.mechanisms.emplace_back(plain);
    }
    if (_sasl != sasl_step::start) {
        response.error_code = wire(error_code::illegal_sasl_state);
        close_after(ctx.slot, "a second SaslHandshake");
    } else if (_config.sasl == sasl_mode::off || request.mechanism != plain) {
        response.error_code = wire(error_code::unsupported_sasl_mechanism);
        close_after(ctx.slot, fmt::format("SASL mechanism '{}' is not enabled", request.mechanism));
    } else {
        _sasl = ctx.api_version == 0 ? sasl_step::raw_token : sasl_step::authenticate;
    }
    respond(ctx, response, false);
    return {};
}

sdk::status session::on_sasl_authenticate(const request_context& ctx, std::string_view body)
{
    generated::sasl_authenticate_request request;
    wire_reader r(body);
    request.read(r, ctx.api_version);
    if (!r.ok()) {
        return malformed("a SaslAuthenticate request is truncated or malformed");
    }
    generated::sasl_authenticate_response response;
    if (_sasl != sasl_step::authenticate) {
        response.error_code = wire(error_code::illegal_sasl_state);
        response.error_message = "SaslAuthenticate comes after SaslHandshake v1, once";
        close_after(ctx.slot, "SaslAuthenticate out of turn");
    } else if (auto failed = log_in(request.auth_bytes)) {
        response.error_code = wire(error_code::sasl_authentication_failed);
        response.error_message = *failed;
        close_after(ctx.slot, "SASL login failed: " + *failed);
    }
    respond(ctx, response, generated::sasl_authenticate_request::flexible(ctx.api_version));
    return {};
}

sdk::status session::on_raw_sasl_token(std::string token)
{
    if (auto failed = log_in(token)) {
        return malformed("SASL login failed: " + *failed);
    }
    // The answer is a token too: an empty one, in a slot of its own so that it keeps its place.
    wire_writer w;
    w.int32(0);
    complete(open_slot(), w.take());
    return {};
}

std::optional<std::string> session::log_in(std::string_view token)
{
    auto parsed = parse_sasl_plain(token);
    if (auto* problem = std::get_if<std::string>(&parsed)) {
        return "Authentication failed: " + *problem;
    }
    auto& credentials = std::get<plain_credentials>(parsed);
    auto who = _kernel.authenticate(credentials.user, credentials.password, _conn.peer());
    if (!who) {
        // A wrong password and an unknown user look alike to the client; the log says which.
        PLEXUS_LOG(_log, info, "kafka login from {}: {}", _conn.peer().address, who.error().message());
        if (who.error().code() == sdk::errc::forbidden) {
            return "Authentication failed: " + std::string(who.error().message());
        }
        return std::string("Authentication failed: invalid username or password");
    }
    if (auto access = _kernel.check_vhost_access(who->name, _config.vhost); !access.ok()) {
        return fmt::format("Authentication failed: user '{}' may not use vhost '{}'", who->name, _config.vhost);
    }
    _user = who->name;
    _sasl = sasl_step::done;
    return std::nullopt;
}

} // namespace plexus::protocol::kafka
