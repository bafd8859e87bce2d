#include "upgrade.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <map>

namespace plexus::protocol::websocket {
namespace {

constexpr std::string_view guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"; // RFC 6455 §1.3

std::string lower(std::string_view s)
{
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

std::string_view trim(std::string_view s) noexcept
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

/// The comma-separated tokens of a header value, trimmed, empty ones dropped.
std::vector<std::string_view> tokens(std::string_view value)
{
    std::vector<std::string_view> out;
    while (!value.empty()) {
        auto comma = value.find(',');
        auto t = trim(value.substr(0, comma));
        if (!t.empty()) {
            out.push_back(t);
        }
        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }
    return out;
}

bool has_token(std::string_view value, std::string_view wanted)
{
    for (auto t : tokens(value)) {
        if (lower(t) == wanted) {
            return true;
        }
    }
    return false;
}

/// A key is 16 random bytes in base64: 22 characters of the alphabet and "==" (§4.1).
bool valid_key(std::string_view key)
{
    if (key.size() != 24 || key.substr(22) != "==") {
        return false;
    }
    return std::all_of(
      key.begin(), key.begin() + 22, [](unsigned char c) { return std::isalnum(c) || c == '+' || c == '/'; });
}

upgrade_answer refuse(int status, std::string_view phrase, std::string reason, std::string_view extra_headers = {})
{
    upgrade_answer a;
    a.status = status;
    std::string body = reason + "\n";
    a.response = "HTTP/1.1 " + std::to_string(status) + " " + std::string(phrase) +
                 "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n" + body;
    a.reason = std::move(reason);
    return a;
}

upgrade_answer bad_request(std::string reason)
{
    return refuse(400, "Bad Request", std::move(reason));
}

} // namespace

std::size_t end_of_head(std::string_view text) noexcept
{
    auto p = text.find("\r\n\r\n");
    return p == std::string_view::npos ? p : p + 4;
}

upgrade_answer answer_upgrade(std::string_view head, const upgrade_policy& policy)
{
    auto line_end = head.find("\r\n");
    if (line_end == std::string_view::npos) {
        return bad_request("no request line");
    }
    // request-line = method SP request-target SP HTTP-version
    auto request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : request_line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || request_line.find(' ', sp2 + 1) != std::string_view::npos) {
        return bad_request("malformed request line");
    }
    auto method = request_line.substr(0, sp1);
    auto target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto version = request_line.substr(sp2 + 1);
    // §4.1: the method is GET and the HTTP version at least 1.1.
    if (version.size() != 8 || !version.starts_with("HTTP/1.") || version[7] < '1' || version[7] > '9') {
        return bad_request("a WebSocket upgrade needs HTTP/1.1");
    }
    if (method != "GET") {
        return bad_request("a WebSocket upgrade is a GET");
    }

    // Header fields, names case-insensitive; repeated fields are joined with commas (RFC 9110
    // §5.3), which is how the token-list headers below are read anyway.
    std::map<std::string, std::string> fields;
    auto rest = head.substr(line_end + 2);
    while (!rest.empty()) {
        auto e = rest.find("\r\n");
        auto line = rest.substr(0, e);
        rest.remove_prefix(e == std::string_view::npos ? rest.size() : e + 2);
        if (line.empty()) {
            break;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0 || line.front() == ' ' || line.front() == '\t' ||
            line.substr(0, colon).find_first_of(" \t") != std::string_view::npos) {
            return bad_request("malformed header line");
        }
        auto& v = fields[lower(line.substr(0, colon))];
        if (!v.empty()) {
            v += ", ";
        }
        v += trim(line.substr(colon + 1));
    }
    auto field = [&](const char* name) -> std::string_view {
        auto it = fields.find(name);
        return it == fields.end() ? std::string_view() : std::string_view(it->second);
    };

    if (field("host").empty()) {
        return bad_request("missing Host header");
    }
    if (!has_token(field("upgrade"), "websocket")) {
        return bad_request("missing Upgrade: websocket");
    }
    if (!has_token(field("connection"), "upgrade")) {
        return bad_request("missing Connection: Upgrade");
    }
    // §4.4: an unsupported version is answered with the versions the server speaks.
    if (trim(field("sec-websocket-version")) != "13") {
        return refuse(
          426, "Upgrade Required", "only WebSocket version 13 is supported", "Sec-WebSocket-Version: 13\r\n");
    }
    auto key = trim(field("sec-websocket-key"));
    if (!valid_key(key)) {
        return bad_request("missing or malformed Sec-WebSocket-Key");
    }
    auto path = target.substr(0, target.find('?'));
    if (path != policy.path) {
        return refuse(404, "Not Found", "no WebSocket endpoint at " + std::string(path));
    }

    upgrade_answer a;
    if (auto offered = tokens(field("sec-websocket-protocol")); !offered.empty()) {
        for (const auto& mine : policy.subprotocols) {
            if (std::find(offered.begin(), offered.end(), mine) != offered.end()) {
                a.protocol = mine;
                break;
            }
        }
        if (a.protocol.empty()) {
            std::string supported;
            for (const auto& p : policy.subprotocols) {
                supported += (supported.empty() ? "" : ", ") + p;
            }
            return bad_request("no supported subprotocol offered (supported: " + supported + ")");
        }
    }
    a.status = 101;
    a.response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 "Sec-WebSocket-Accept: " +
                 accept_key(key) + "\r\n";
    if (!a.protocol.empty()) {
        a.response += "Sec-WebSocket-Protocol: " + a.protocol + "\r\n";
    }
    a.response += "\r\n";
    return a;
}

std::string accept_key(std::string_view client_key)
{
    std::string input(client_key);
    input += guid;
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
    // 20 bytes are 28 base64 characters; EVP_EncodeBlock writes a NUL after them.
    std::array<unsigned char, 4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1> out{};
    const int n = EVP_EncodeBlock(out.data(), digest.data(), static_cast<int>(digest.size()));
    return std::string(reinterpret_cast<const char*>(out.data()), static_cast<std::size_t>(n));
}

} // namespace plexus::protocol::websocket
