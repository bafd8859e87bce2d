#include "frame_parser.h"

#include "header_escaping.h"

#include <charconv>

namespace plexus::protocol::stomp {
namespace {

/// The offset of the first `b` in [from, to), or npos.
std::size_t find_byte(const sdk::buffer_chain& in, std::size_t from, char b, std::size_t to = std::string_view::npos)
{
    std::size_t base = 0;
    std::size_t found = std::string_view::npos;
    in.for_each_fragment([&](const sdk::bytes& f) {
        const std::size_t end = base + f.size();
        if (found == std::string_view::npos && from < end && base < to) {
            const auto view = f.as_string_view();
            const auto p = view.find(b, from > base ? from - base : 0);
            if (p != std::string_view::npos && base + p < to) {
                found = base + p;
            }
        }
        base = end;
    });
    return found;
}

char byte_at(const sdk::buffer_chain& in, std::size_t pos)
{
    std::byte b{};
    in.copy_out(pos, std::span<std::byte>(&b, 1));
    return static_cast<char>(b);
}

frame_error error(std::string message, std::string detail)
{
    return frame_error{ std::move(message), std::move(detail) };
}

std::string printable(std::string_view s)
{
    std::string out;
    for (char c : s.substr(0, 64)) {
        out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
    }
    return out;
}

} // namespace

parse_step frame_parser::next(sdk::buffer_chain& in)
{
    if (!_have_head) {
        if (_scanned == 0) {
            // Between frames: EOLs are heart-beats (or the optional EOLs after a NUL).
            while (!in.empty()) {
                const char c = byte_at(in, 0);
                if (c == '\n') {
                    in.trim_front(1);
                } else if (c == '\r') {
                    if (in.size() < 2) {
                        return std::monostate{};
                    }
                    if (byte_at(in, 1) != '\n') {
                        return error("Bad EOL", "a CR between frames must be followed by LF");
                    }
                    in.trim_front(2);
                } else {
                    break;
                }
            }
            if (in.empty()) {
                return std::monostate{};
            }
        }
        auto head = read_head(in);
        if (!std::holds_alternative<frame>(head) || !_have_head) {
            return head;
        }
    }
    return read_body(in);
}

parse_step frame_parser::read_head(sdk::buffer_chain& in)
{
    auto too_large = [&] {
        return error("Headers too large",
                     "the command and headers exceed " + std::to_string(_limits.max_header_bytes) + " bytes");
    };
    // Looks for the blank line that ends the headers, one LF at a time; a NUL before it means
    // the frame ended without one.
    while (true) {
        const std::size_t lf = find_byte(in, _scanned, '\n');
        const std::size_t line_end = lf == std::string_view::npos ? in.size() : lf;
        if (find_byte(in, _scanned, '\0', line_end) != std::string_view::npos) {
            return error("Missing blank line", "the frame ended (NUL) before the blank line that ends its headers");
        }
        if (lf == std::string_view::npos) {
            _scanned = in.size();
            return _scanned > _limits.max_header_bytes ? parse_step(too_large()) : parse_step(std::monostate{});
        }
        if (lf + 1 > _limits.max_header_bytes) {
            return too_large();
        }
        const std::size_t len = lf - _line_start;
        const bool blank = len == 0 || (len == 1 && byte_at(in, _line_start) == '\r');
        _scanned = lf + 1;
        _line_start = lf + 1;
        if (blank) {
            break;
        }
    }
    std::string head(_scanned, '\0');
    in.copy_out(0, std::as_writable_bytes(std::span<char>(head.data(), head.size())));
    auto parsed = parse_head(head);
    if (auto* e = std::get_if<frame_error>(&parsed)) {
        return std::move(*e);
    }
    _have_head = true;
    _head_end = _scanned;
    return parsed;
}

parse_step frame_parser::parse_head(std::string_view head)
{
    _frame = frame{};
    _content_length.reset();
    std::size_t pos = 0;
    auto next_line = [&] {
        const std::size_t lf = head.find('\n', pos);
        std::string_view line = head.substr(pos, lf - pos);
        pos = lf + 1;
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        return line;
    };
    const std::string_view command_line = next_line();
    const auto cmd = command_named(command_line);
    if (!cmd) {
        return error("Unknown command", "'" + printable(command_line) + "' is not a STOMP client command");
    }
    _frame.cmd = *cmd;
    // Spec 1.2: CONNECT and CONNECTED headers are never escaped.
    const bool escaped = _version != version::v1_0 && *cmd != command::connect && *cmd != command::stomp;
    while (true) {
        const std::string_view line = next_line();
        if (line.empty()) {
            break;
        }
        if (_frame.headers.size() == _limits.max_headers) {
            return error("Too many headers", "a frame may carry at most " + std::to_string(_limits.max_headers));
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            return error("Bad header line", "header line '" + printable(line) + "' has no ':'");
        }
        auto key = escaped ? unescape(line.substr(0, colon), _version) : std::string(line.substr(0, colon));
        auto value = escaped ? unescape(line.substr(colon + 1), _version) : std::string(line.substr(colon + 1));
        if (!key || !value) {
            return error("Bad header escape",
                         "header line '" + printable(line) + "' has an escape sequence STOMP " +
                           std::string(to_string(_version)) + " does not define");
        }
        if (key->empty()) {
            return error("Bad header line", "header line '" + printable(line) + "' has an empty name");
        }
        _frame.add(std::move(*key), std::move(*value));
    }
    if (const auto* cl = _frame.header("content-length")) {
        std::size_t n = 0;
        auto [end, ec] = std::from_chars(cl->data(), cl->data() + cl->size(), n);
        if (cl->empty() || ec != std::errc() || end != cl->data() + cl->size()) {
            return error("Bad content-length", "content-length '" + printable(*cl) + "' is not a byte count");
        }
        if (n > _limits.max_body_bytes) {
            return error("Frame too large",
                         "content-length " + *cl + " exceeds the limit of " + std::to_string(_limits.max_body_bytes) +
                           " bytes");
        }
        _content_length = n;
    }
    return frame{};
}

parse_step frame_parser::read_body(sdk::buffer_chain& in)
{
    std::size_t nul = 0;
    if (_content_length) {
        nul = _head_end + *_content_length;
        if (in.size() <= nul) {
            return std::monostate{};
        }
        if (byte_at(in, nul) != '\0') {
            return error("Content-length mismatch",
                         "no NUL after the " + std::to_string(*_content_length) +
                           " body bytes content-length announced");
        }
    } else {
        nul = find_byte(in, _scanned, '\0');
        if (nul == std::string_view::npos) {
            _scanned = in.size();
            if (_scanned - _head_end > _limits.max_body_bytes) {
                return error("Frame too large",
                             "no NUL within " + std::to_string(_limits.max_body_bytes) +
                               " body bytes (the body size limit)");
            }
            return std::monostate{};
        }
        if (nul - _head_end > _limits.max_body_bytes) {
            return error("Frame too large",
                         "the body exceeds the limit of " + std::to_string(_limits.max_body_bytes) + " bytes");
        }
    }
    frame f = std::move(_frame);
    f.body = in.share(_head_end, nul - _head_end);
    in.trim_front(nul + 1);
    reset();
    return f;
}

void frame_parser::reset() noexcept
{
    _line_start = 0;
    _scanned = 0;
    _have_head = false;
    _frame = frame{};
    _head_end = 0;
    _content_length.reset();
}

} // namespace plexus::protocol::stomp
