#include "frame_encoder.h"

#include "header_escaping.h"

namespace plexus::protocol::stomp {

sdk::buffer_chain encode(const frame& f, version v)
{
    const bool escaped = f.cmd != command::connected;
    std::string head;
    head.reserve(64 + f.headers.size() * 32);
    head += name_of(f.cmd);
    head += '\n';
    for (const auto& [key, value] : f.headers) {
        if (escaped) {
            head += escape(key, v);
            head += ':';
            head += escape(value, v);
        } else {
            head += key;
            head += ':';
            head += value;
        }
        head += '\n';
    }
    head += '\n';
    if (f.body.empty()) {
        head += '\0';
        return sdk::buffer_chain::copy_of(head);
    }
    sdk::buffer_chain out = sdk::buffer_chain::copy_of(head);
    out.append(f.body);
    out.append(sdk::bytes::copy_of(std::string_view("\0", 1)));
    return out;
}

} // namespace plexus::protocol::stomp
