#include "outbound.h"

#include <utility>

namespace plexus::protocol::amqp091 {

outbound::outbound()
  : _end_octet(sdk::bytes::copy_of(std::string_view("\xce", 1)))
{
}

void outbound::method(std::uint16_t channel, const amqp091::method& m)
{
    append_method_frame(_building, channel, m);
}

void outbound::content(std::uint16_t channel,
                       const amqp091::method& m,
                       const basic_properties& properties,
                       const sdk::buffer_chain& body)
{
    append_method_frame(_building, channel, m);
    append_header_frame(_building, channel, body.size(), properties);
    const std::size_t max_payload = _frame_max - frame_overhead;
    if (body.size() <= inline_body_bytes && body.size() <= max_payload) {
        if (!body.empty()) {
            auto at = begin_frame(_building, frame_type::body, channel);
            body.for_each_fragment([&](const sdk::bytes& b) { _building.append(b.as_string_view()); });
            end_frame(_building, at);
        }
        return;
    }
    for (std::size_t pos = 0; pos < body.size(); pos += max_payload) {
        const std::size_t n = std::min(max_payload, body.size() - pos);
        auto at = begin_frame(_building, frame_type::body, channel);
        // The size field is patched now, before the body is spliced in after it.
        for (int i = 0; i < 4; ++i) {
            _building[at + 3 + static_cast<std::size_t>(i)] = static_cast<char>((n >> (24 - 8 * i)) & 0xff);
        }
        seal();
        _chain.append(body.share(pos, n));
        _chain.append(_end_octet);
    }
}

void outbound::heartbeat()
{
    append_heartbeat(_building);
}

void outbound::raw(std::string_view bytes)
{
    _building.append(bytes);
}

void outbound::seal()
{
    if (!_building.empty()) {
        _chain.append(sdk::bytes::copy_of(_building));
        _building.clear();
    }
}

sdk::buffer_chain outbound::take()
{
    seal();
    return std::exchange(_chain, sdk::buffer_chain());
}

} // namespace plexus::protocol::amqp091
