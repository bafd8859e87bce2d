#include "session_record.h"

#include "plexus/sdk/field_codec.h"

namespace plexus::protocol::mqtt {
namespace {

constexpr std::uint8_t format_version = 1;

// Subscription flags, one byte.
constexpr std::uint8_t flag_no_local = 1;
constexpr std::uint8_t flag_retain_as_published = 2;
constexpr std::uint8_t flag_shared = 4;
constexpr std::uint8_t flag_identifier = 8;

void put_ids(std::string& out, const std::set<std::uint16_t>& ids)
{
    sdk::put_varint(out, ids.size());
    for (auto id : ids) {
        sdk::put_varint(out, id);
    }
}

bool read_ids(sdk::field_reader& r, std::set<std::uint16_t>& ids)
{
    const auto n = r.varint();
    if (!r.ok() || n > r.remaining()) {
        return false;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        const auto id = r.varint();
        if (!r.ok() || id == 0 || id > 0xFFFF) {
            return false;
        }
        ids.insert(static_cast<std::uint16_t>(id));
    }
    return true;
}

} // namespace

session_record record_of(const session_state& state, std::int64_t offline_since_ms)
{
    session_record r;
    r.queue = state.queue;
    r.expiry_seconds = state.expiry_seconds;
    r.offline_since_ms = offline_since_ms;
    r.subscriptions = state.subscriptions;
    r.inbound_qos2 = state.inbound_qos2;
    r.outbound_qos2 = state.outbound_qos2;
    return r;
}

std::string encode_session_record(const session_record& r)
{
    std::string out;
    out.push_back(static_cast<char>(format_version));
    sdk::put_string(out, r.queue);
    sdk::put_varint(out, r.expiry_seconds);
    sdk::put_varint(out, sdk::zigzag(r.offline_since_ms));
    sdk::put_varint(out, r.subscriptions.size());
    for (const auto& [key, s] : r.subscriptions) {
        sdk::put_string(out, key);
        sdk::put_string(out, s.filter);
        std::uint8_t flags = (s.no_local ? flag_no_local : 0) | (s.retain_as_published ? flag_retain_as_published : 0) |
                             (s.shared ? flag_shared : 0) | (s.identifier ? flag_identifier : 0);
        out.push_back(static_cast<char>(flags));
        out.push_back(static_cast<char>(s.qos));
        if (s.shared) {
            sdk::put_string(out, s.shared->group);
            sdk::put_string(out, s.shared->filter);
        }
        if (s.identifier) {
            sdk::put_varint(out, *s.identifier);
        }
    }
    put_ids(out, r.inbound_qos2);
    put_ids(out, r.outbound_qos2);
    return out;
}

std::optional<session_record> decode_session_record(std::string_view bytes)
{
    sdk::field_reader in(bytes);
    if (in.u8() != format_version || !in.ok()) {
        return std::nullopt;
    }
    session_record r;
    r.queue = in.string();
    const auto expiry = in.varint();
    r.offline_since_ms = in.signed_varint();
    const auto count = in.varint();
    if (!in.ok() || expiry > 0xFFFFFFFF || count > in.remaining()) {
        return std::nullopt;
    }
    r.expiry_seconds = static_cast<std::uint32_t>(expiry);
    for (std::uint64_t i = 0; i < count; ++i) {
        std::string key = in.string();
        subscription_entry s;
        s.filter = in.string();
        const auto flags = in.u8();
        s.qos = in.u8();
        s.no_local = (flags & flag_no_local) != 0;
        s.retain_as_published = (flags & flag_retain_as_published) != 0;
        if ((flags & flag_shared) != 0) {
            shared_filter f;
            f.group = in.string();
            f.filter = in.string();
            s.shared = std::move(f);
        }
        if ((flags & flag_identifier) != 0) {
            const auto id = in.varint();
            if (id == 0 || id > 268'435'455) { // spec 5.0 §3.8.2.1.2
                return std::nullopt;
            }
            s.identifier = static_cast<std::uint32_t>(id);
        }
        if (!in.ok() || s.qos > 2 || key.empty()) {
            return std::nullopt;
        }
        r.subscriptions.emplace(std::move(key), std::move(s));
    }
    if (!read_ids(in, r.inbound_qos2) || !read_ids(in, r.outbound_qos2) || in.remaining() != 0) {
        return std::nullopt;
    }
    return r;
}

} // namespace plexus::protocol::mqtt
