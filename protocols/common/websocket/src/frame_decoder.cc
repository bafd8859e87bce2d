#include "frame_decoder.h"

#include <algorithm>

namespace plexus::protocol::websocket {

std::optional<frame_error> frame_decoder::decode(sdk::buffer_chain& in, std::vector<decoded>& out)
{
    for (;;) {
        if (_frame) {
            take_payload(in, out);
            if (_remaining > 0) {
                return std::nullopt; // the rest of the payload has not arrived yet
            }
            _frame.reset();
        }
        auto header = decode_header(in, true);
        if (std::holds_alternative<need_more>(header)) {
            return std::nullopt;
        }
        if (auto* e = std::get_if<frame_error>(&header)) {
            return std::move(*e);
        }
        const auto& h = std::get<frame_header>(header);
        if (is_control(h.op)) {
            // Whole or not at all: at most 139 bytes wait in `in`.
            if (in.size() < h.header_bytes + h.length) {
                return std::nullopt;
            }
            decoded_control c;
            c.op = h.op;
            c.payload.resize(static_cast<std::size_t>(h.length));
            auto span = std::as_writable_bytes(std::span<char>(c.payload.data(), c.payload.size()));
            in.copy_out(h.header_bytes, span);
            unmask(span, h.mask, 0);
            in.trim_front(h.header_bytes + static_cast<std::size_t>(h.length));
            out.emplace_back(std::move(c));
            continue;
        }
        if (auto e = start_frame(h)) {
            return e;
        }
        in.trim_front(h.header_bytes);
        _frame = h;
        _remaining = h.length;
        _offset = 0;
    }
}

std::optional<frame_error> frame_decoder::start_frame(const frame_header& h)
{
    if (h.op == opcode::continuation) {
        if (!_in_message) {
            return frame_error{ close_code::protocol_error, "continuation frame outside a fragmented message" };
        }
    } else {
        if (_in_message) {
            return frame_error{ close_code::protocol_error, "new data frame inside a fragmented message" };
        }
        _message_bytes = 0;
    }
    if (h.length > _max_message_bytes - std::min(_message_bytes, _max_message_bytes)) {
        return frame_error{ close_code::too_big, "message too big" };
    }
    _message_bytes += h.length;
    _in_message = !h.fin;
    return std::nullopt;
}

void frame_decoder::take_payload(sdk::buffer_chain& in, std::vector<decoded>& out)
{
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(_remaining, in.size()));
    if (n == 0) {
        return;
    }
    // A copy, unmasked: the input slab may be shared, and the inner session keeps slices.
    auto chunk = sdk::bytes::allocate(n);
    in.copy_out(0, chunk.writable());
    unmask(chunk.writable(), _frame->mask, _offset);
    in.trim_front(n);
    _remaining -= n;
    _offset += n;
    if (out.empty() || !std::holds_alternative<sdk::buffer_chain>(out.back())) {
        out.emplace_back(sdk::buffer_chain());
    }
    std::get<sdk::buffer_chain>(out.back()).append(std::move(chunk));
}

} // namespace plexus::protocol::websocket
