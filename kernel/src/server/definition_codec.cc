#include "kernel/src/server/definition_codec.h"

#include "plexus/sdk/field_codec.h"

#include <fmt/format.h>

namespace plexus::kernel {
namespace {

using sdk::put_headers;
using sdk::put_string;
using sdk::put_varint;
using sdk::zigzag;

constexpr char format_v1 = 1;

std::string key_of(std::string_view kind, std::string_view vhost)
{
    std::string k = fmt::format("def/{}/", kind);
    put_string(k, vhost);
    return k;
}

void put_bool(std::string& out, bool b)
{
    out.push_back(b ? 1 : 0);
}

void put_optional(std::string& out, const std::optional<std::int64_t>& v)
{
    put_bool(out, v.has_value());
    if (v) {
        put_varint(out, zigzag(*v));
    }
}

std::optional<std::int64_t> read_optional(sdk::field_reader& r)
{
    if (r.u8() == 0) {
        return std::nullopt;
    }
    return r.signed_varint();
}

/// The value of a row, past its version byte; nullopt for an unknown format.
std::optional<sdk::field_reader> open_value(const std::string& value)
{
    sdk::field_reader r(value);
    if (r.u8() != format_v1) {
        return std::nullopt;
    }
    return r;
}

bool decode_exchange(sdk::field_reader& r, sdk::exchange_spec& x)
{
    x.vhost = r.string();
    x.name = r.string();
    x.type = r.string();
    x.durable = true;
    x.auto_delete = r.u8() != 0;
    x.internal = r.u8() != 0;
    return read_headers(r, x.arguments);
}

bool decode_queue(sdk::field_reader& r, sdk::queue_spec& q)
{
    q.vhost = r.string();
    q.name = r.string();
    q.durable = true;
    q.auto_delete = r.u8() != 0;
    q.storage = r.string();
    return read_headers(r, q.arguments);
}

bool decode_stream(sdk::field_reader& r, sdk::stream_spec& s)
{
    s.vhost = r.string();
    s.name = r.string();
    s.partitions = static_cast<std::int32_t>(r.varint());
    s.storage = r.string();
    s.retention_ms = read_optional(r);
    s.retention_bytes = read_optional(r);
    if (r.ok() && r.remaining() > 0) { // older definitions end here
        s.forward_exchange = r.string();
    }
    if (r.ok() && r.remaining() > 0) { // and those before compaction here
        s.compact = r.u8() != 0;
        s.delete_retention_ms = read_optional(r);
        s.segment_bytes = r.varint();
    }
    return r.ok();
}

bool decode_binding(sdk::field_reader& r, sdk::binding_spec& b)
{
    b.vhost = r.string();
    b.exchange = r.string();
    b.destination = r.string();
    // 0 queue, 1 stream, 2 exchange (older definitions have only the first two).
    const auto kind = r.u8();
    b.destination_is_stream = kind == 1;
    b.destination_is_exchange = kind == 2;
    b.key = r.string();
    return read_headers(r, b.arguments);
}

/// Decodes one row into `out` when its key starts with `prefix`; false when it does not.
template<class T, class Decode>
bool take(const std::string& key,
          const std::string& value,
          std::string_view prefix,
          std::vector<T>& out,
          Decode decode,
          sdk::status& failure)
{
    if (!key.starts_with(prefix)) {
        return false;
    }
    T item;
    auto r = open_value(value);
    if (!r || !decode(*r, item) || !r->ok() || r->remaining() != 0) {
        failure = sdk::status(sdk::errc::corruption, fmt::format("stored definition '{}' cannot be read", key));
    } else {
        out.push_back(std::move(item));
    }
    return true;
}

} // namespace

namespace definition_keys {

std::string vhost(std::string_view vhost)
{
    return key_of("v", vhost);
}

std::string exchange(std::string_view vhost, std::string_view name)
{
    return key_of("x", vhost).append(name);
}

std::string queue(std::string_view vhost, std::string_view name)
{
    return key_of("q", vhost).append(name);
}

std::string stream(std::string_view vhost, std::string_view name)
{
    return key_of("s", vhost).append(name);
}

std::string binding(const sdk::binding_spec& b)
{
    // Every field is part of a binding's identity (AMQP: exchange, queue, key, arguments).
    return key_of("b", b.vhost).append(encode_binding(b));
}

std::string queue_cursor(std::string_view vhost, std::string_view name, std::uint8_t lane)
{
    std::string k = lane == 0 ? "cur/q/" : "cur/qp/" + std::to_string(lane) + '/';
    put_string(k, vhost);
    return k.append(name);
}

std::vector<std::string> of_vhost(std::string_view vhost)
{
    return { key_of("v", vhost), key_of("x", vhost), key_of("q", vhost), key_of("s", vhost), key_of("b", vhost) };
}

} // namespace definition_keys

std::string encode_exchange(const sdk::exchange_spec& spec)
{
    std::string out(1, format_v1);
    put_string(out, spec.vhost);
    put_string(out, spec.name);
    put_string(out, spec.type);
    put_bool(out, spec.auto_delete);
    put_bool(out, spec.internal);
    put_headers(out, spec.arguments);
    return out;
}

std::string encode_queue(const sdk::queue_spec& spec)
{
    std::string out(1, format_v1);
    put_string(out, spec.vhost);
    put_string(out, spec.name);
    put_bool(out, spec.auto_delete);
    put_string(out, spec.storage);
    put_headers(out, spec.arguments);
    return out;
}

std::string encode_stream(const sdk::stream_spec& spec)
{
    std::string out(1, format_v1);
    put_string(out, spec.vhost);
    put_string(out, spec.name);
    put_varint(out, static_cast<std::uint64_t>(spec.partitions));
    put_string(out, spec.storage);
    put_optional(out, spec.retention_ms);
    put_optional(out, spec.retention_bytes);
    put_string(out, spec.forward_exchange);
    put_bool(out, spec.compact);
    put_optional(out, spec.delete_retention_ms);
    put_varint(out, spec.segment_bytes);
    return out;
}

std::string encode_binding(const sdk::binding_spec& spec)
{
    std::string out(1, format_v1);
    put_string(out, spec.vhost);
    put_string(out, spec.exchange);
    put_string(out, spec.destination);
    out.push_back(spec.destination_is_exchange ? 2 : spec.destination_is_stream ? 1 : 0);
    put_string(out, spec.key);
    put_headers(out, spec.arguments);
    return out;
}

sdk::result<stored_definitions> decode_definitions(const std::vector<std::pair<std::string, std::string>>& rows)
{
    stored_definitions defs;
    sdk::status failure;
    for (const auto& [key, value] : rows) {
        if (key.starts_with("def/v/")) {
            std::size_t pos = 6;
            auto name = sdk::read_string(key, pos);
            if (!name || pos != key.size()) {
                return sdk::status(sdk::errc::corruption, fmt::format("stored definition '{}' cannot be read", key));
            }
            defs.vhosts.emplace_back(*name);
            continue;
        }
        const bool known = take(key, value, "def/x/", defs.exchanges, decode_exchange, failure) ||
                           take(key, value, "def/q/", defs.queues, decode_queue, failure) ||
                           take(key, value, "def/s/", defs.streams, decode_stream, failure) ||
                           take(key, value, "def/b/", defs.bindings, decode_binding, failure);
        if (!known) {
            failure = sdk::status(sdk::errc::corruption, fmt::format("unknown stored definition '{}'", key));
        }
        if (!failure.ok()) {
            return failure;
        }
    }
    return defs;
}

} // namespace plexus::kernel
