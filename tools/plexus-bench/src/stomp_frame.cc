#include "stomp_frame.h"

#include <charconv>
#include <cstring>

namespace plexus::bench {

namespace {

// A frame's headers larger than this are a broken stream, not a frame to wait for.
constexpr std::size_t max_header_bytes = 64 * 1024;

std::string_view strip_cr(std::string_view line) noexcept
{
    return !line.empty() && line.back() == '\r' ? line.substr(0, line.size() - 1) : line;
}

} // namespace

std::string_view stomp_frame::header(std::string_view name) const noexcept
{
    for (const auto& [k, v] : headers) {
        if (k == name) {
            return v;
        }
    }
    return {};
}

void write_stomp_frame(std::string& out,
                       std::string_view command,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> headers,
                       std::span<const std::byte> body)
{
    out.append(command).push_back('\n');
    for (const auto& [k, v] : headers) {
        out.append(k).append(":").append(v).push_back('\n');
    }
    if (!body.empty()) {
        out.append("content-length:").append(std::to_string(body.size())).push_back('\n');
    }
    out.push_back('\n');
    out.append(reinterpret_cast<const char*>(body.data()), body.size());
    out.push_back('\0');
}

std::span<char> stomp_reader::room(std::size_t n)
{
    if (_begin == _end) {
        _begin = _end = 0;
    } else if (_begin > _buffer.size() / 2) {
        // Move the unread tail to the front rather than grow: the buffer stays a few frames big.
        std::memmove(_buffer.data(), _buffer.data() + _begin, _end - _begin);
        _end -= _begin;
        _begin = 0;
    }
    if (_buffer.size() - _end < n) {
        _buffer.resize(_end + n);
    }
    return { _buffer.data() + _end, _buffer.size() - _end };
}

stomp_reader::status stomp_reader::next(stomp_frame& out)
{
    if (!_error.empty()) {
        return status::malformed;
    }
    std::string_view data(_buffer.data() + _begin, _end - _begin);
    // Heart-beats are EOLs between frames.
    std::size_t skip = 0;
    while (skip < data.size() && (data[skip] == '\n' || data[skip] == '\r')) {
        ++skip;
    }
    _begin += skip;
    data.remove_prefix(skip);
    if (data.empty()) {
        return status::incomplete;
    }
    auto headers_end = data.find("\n\n");
    // Only up to the first LF LF: scanning the rest of the buffer for every frame would make
    // reading a full buffer quadratic.
    auto crlf_end =
      data.substr(0, headers_end == std::string_view::npos ? data.size() : headers_end + 2).find("\r\n\r\n");
    std::size_t body_at;
    if (crlf_end != std::string_view::npos && (headers_end == std::string_view::npos || crlf_end < headers_end)) {
        headers_end = crlf_end;
        body_at = crlf_end + 4;
    } else if (headers_end != std::string_view::npos) {
        body_at = headers_end + 2;
    } else {
        if (data.size() > max_header_bytes) {
            _error = "no end of headers within " + std::to_string(max_header_bytes) + " bytes";
            return status::malformed;
        }
        return status::incomplete;
    }
    out.headers.clear();
    std::string_view head = data.substr(0, headers_end);
    bool first = true;
    while (!head.empty() || first) {
        auto nl = head.find('\n');
        auto line = strip_cr(head.substr(0, nl));
        head = nl == std::string_view::npos ? std::string_view{} : head.substr(nl + 1);
        if (first) {
            out.command = line;
            first = false;
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            _error = "a header line without ':' in a " + std::string(out.command) + " frame";
            return status::malformed;
        }
        out.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    if (out.command.empty()) {
        _error = "a frame without a command";
        return status::malformed;
    }
    std::size_t body_size;
    auto length = out.header("content-length");
    if (!length.empty()) {
        auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), body_size);
        if (ec != std::errc() || p != length.data() + length.size()) {
            _error = "content-length '" + std::string(length) + "' is not a number";
            return status::malformed;
        }
        if (data.size() < body_at + body_size + 1) {
            return status::incomplete;
        }
        if (data[body_at + body_size] != '\0') {
            _error = "no NUL after content-length bytes of a " + std::string(out.command) + " frame";
            return status::malformed;
        }
    } else {
        auto nul = data.find('\0', body_at);
        if (nul == std::string_view::npos) {
            return status::incomplete;
        }
        body_size = nul - body_at;
    }
    out.body = std::span<const std::byte>(reinterpret_cast<const std::byte*>(data.data() + body_at), body_size);
    _begin += body_at + body_size + 1;
    return status::frame;
}

} // namespace plexus::bench
