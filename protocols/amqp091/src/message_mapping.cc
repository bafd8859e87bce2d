#include "message_mapping.h"

#include "arguments.h"

#include "plexus/sdk/dead_letter.h"

#include <charconv>
#include <limits>

namespace plexus::protocol::amqp091 {
namespace {

/// The tag a value of this sdk type is sent with when nothing says otherwise.
char natural_tag(const sdk::header_value& v)
{
    switch (v.index()) {
        case 1:
            return 't';
        case 2: {
            auto i = std::get<std::int64_t>(v);
            return i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max() ? 'I'
                                                                                                                  : 'l';
        }
        case 3:
            return 'd';
        case 4:
            return 'S';
        default:
            return 'V';
    }
}

field_value natural(const sdk::header_value& v)
{
    field_value f;
    f.tag = natural_tag(v);
    std::visit([&](const auto& x) { f.value = x; }, v);
    return f;
}

/// `v` sent with `tag` when the value fits it, else with its natural tag.
field_value with_tag(const sdk::header_value& v, char tag)
{
    if (tag == 'F' || tag == 'A' || tag == 'D') {
        if (const auto* raw = std::get_if<std::string>(&v)) {
            wire_reader r(*raw);
            field_value f = read_value(r, tag);
            if (r.ok() && r.remaining() == 0) {
                return f;
            }
        }
        return natural(v);
    }
    const bool fits = [&] {
        switch (tag) {
            case 't':
                return v.index() == 1;
            case 'b':
            case 'B':
            case 'U':
            case 's':
            case 'u':
            case 'I':
            case 'i':
            case 'L':
            case 'l':
            case 'T':
                return v.index() == 2;
            case 'f':
            case 'd':
                return v.index() == 3;
            case 'S':
            case 'x':
                return v.index() == 4;
            case 'V':
                return v.index() == 0;
            default:
                return false;
        }
    }();
    if (!fits) {
        return natural(v);
    }
    field_value f = natural(v);
    f.tag = tag;
    return f;
}

/// The kernel's dead-letter history as RabbitMQ's x-death: an array of tables, newest first.
field_value x_death(const std::string& encoded)
{
    field_array deaths;
    for (const auto& d : sdk::decode_deaths(encoded).value_or(std::vector<sdk::death_entry>{})) {
        field_array keys;
        for (const auto& k : d.routing_keys) {
            keys.push_back(field_value::string(k));
        }
        field_table t;
        t.push_back({ "count", field_value::integer(static_cast<std::int64_t>(d.count), 'l') });
        t.push_back({ "reason", field_value::string(d.reason) });
        t.push_back({ "queue", field_value::string(d.queue) });
        t.push_back({ "time", field_value::integer(d.time_ms / 1000, 'T') });
        t.push_back({ "exchange", field_value::string(d.exchange) });
        t.push_back({ "routing-keys", field_value::array(std::move(keys)) });
        if (d.original_ttl_ms) {
            t.push_back({ "original-expiration", field_value::string(std::to_string(*d.original_ttl_ms)) });
        }
        deaths.push_back(field_value::table(std::move(t)));
    }
    return field_value::array(std::move(deaths));
}

/// RabbitMQ's x-death read back; nullopt when it is not an array of tables of that shape.
std::optional<std::vector<sdk::death_entry>> from_x_death(const field_value& v)
{
    const auto* entries = std::get_if<field_array>(&v.value);
    if (entries == nullptr) {
        return std::nullopt;
    }
    std::vector<sdk::death_entry> deaths;
    for (const auto& e : *entries) {
        const auto* t = std::get_if<field_table>(&e.value);
        if (t == nullptr) {
            return std::nullopt;
        }
        auto text = [&](std::string_view key) -> const std::string* {
            const auto* f = find_field(*t, key);
            return f == nullptr ? nullptr : std::get_if<std::string>(&f->value);
        };
        auto number = [&](std::string_view key) -> std::optional<std::int64_t> {
            const auto* f = find_field(*t, key);
            const auto* i = f == nullptr ? nullptr : std::get_if<std::int64_t>(&f->value);
            return i == nullptr ? std::nullopt : std::optional<std::int64_t>(*i);
        };
        const auto* queue = text("queue");
        const auto* reason = text("reason");
        if (queue == nullptr || reason == nullptr) {
            return std::nullopt;
        }
        sdk::death_entry d;
        d.queue = *queue;
        d.reason = *reason;
        d.count = static_cast<std::uint64_t>(std::max<std::int64_t>(1, number("count").value_or(1)));
        d.time_ms = number("time").value_or(0) * 1000;
        if (const auto* x = text("exchange")) {
            d.exchange = *x;
        }
        if (const auto* keys = find_field(*t, "routing-keys")) {
            if (const auto* a = std::get_if<field_array>(&keys->value)) {
                for (const auto& k : *a) {
                    if (const auto* s = std::get_if<std::string>(&k.value)) {
                        d.routing_keys.push_back(*s);
                    }
                }
            }
        }
        if (const auto* ttl = text("original-expiration")) {
            std::int64_t ms = 0;
            auto [end, ec] = std::from_chars(ttl->data(), ttl->data() + ttl->size(), ms);
            if (ec == std::errc() && end == ttl->data() + ttl->size()) {
                d.original_ttl_ms = ms;
            }
        }
        deaths.push_back(std::move(d));
    }
    return deaths;
}

/// Headers the kernel or this gateway keep for themselves, not one of the publisher's.
bool is_internal(std::string_view key)
{
    // The gateway's own (types, cluster-id), the kernel's (x-plexus-death, a forwarded copy's
    // origin) and any other gateway's: the x-plexus- prefix is reserved (message.h).
    return sdk::is_internal_header(key);
}

/// The headers the kernel adds when it dead-letters a message (after the publisher's).
bool is_dead_letter_header(std::string_view key)
{
    return key == "x-first-death-reason" || key == "x-first-death-queue" || key == "x-first-death-exchange";
}

std::optional<std::string> non_empty(const std::string& s)
{
    return s.empty() ? std::nullopt : std::optional<std::string>(s);
}

} // namespace

sdk::headers to_headers(const field_table& table)
{
    sdk::headers out;
    out.reserve(table.size() + 1);
    std::string tags;
    bool exact = true;
    for (const auto& e : table) {
        if (e.key == "x-death") {
            // A client republishing a dead-lettered message keeps its history (RabbitMQ
            // counts on from it): the kernel reads it in its own form.
            if (auto deaths = from_x_death(e.value)) {
                out.push_back({ std::string(sdk::death_header), sdk::encode_deaths(*deaths) });
                continue;
            }
        }
        if (auto s = to_scalar(e.value)) {
            const char natural = natural_tag(*s);
            exact = exact && natural == e.value.tag;
            tags.push_back(natural == e.value.tag ? '.' : e.value.tag);
            out.push_back({ e.key, std::move(*s) });
        } else {
            std::string raw;
            wire_writer w(raw);
            write_value(w, e.value);
            raw.erase(0, 1); // the tag is in the types header
            exact = false;
            tags.push_back(e.value.tag);
            out.push_back({ e.key, std::move(raw) });
        }
    }
    if (!exact) {
        out.push_back({ std::string(types_header), std::move(tags) });
    }
    return out;
}

field_table to_table(const sdk::headers& headers)
{
    std::string_view tags;
    std::size_t plain = 0;
    std::size_t appended_by_kernel = 0;
    for (const auto& h : headers) {
        if (h.key == types_header) {
            if (const auto* s = std::get_if<std::string>(&h.value)) {
                tags = *s;
            }
        } else if (!is_internal(h.key)) {
            ++plain;
            appended_by_kernel += is_dead_letter_header(h.key) ? 1 : 0;
        }
    }
    // The types describe the headers as published. Dead-lettering appends its own after them;
    // any other difference means they no longer fit and every header gets its natural type.
    const bool skip_kernel_headers = tags.size() != plain && tags.size() == plain - appended_by_kernel;
    if (tags.size() != plain && !skip_kernel_headers) {
        tags = {};
    }
    field_table out;
    out.reserve(plain + 1);
    std::size_t i = 0;
    for (const auto& h : headers) {
        if (h.key == sdk::death_header) {
            if (const auto* s = std::get_if<std::string>(&h.value)) {
                out.push_back({ "x-death", x_death(*s) });
            }
            continue;
        }
        if (is_internal(h.key)) {
            continue;
        }
        if (skip_kernel_headers && is_dead_letter_header(h.key)) {
            out.push_back({ h.key, natural(h.value) });
            continue;
        }
        const char tag = i < tags.size() ? tags[i] : '.';
        out.push_back({ h.key, tag == '.' ? natural(h.value) : with_tag(h.value, tag) });
        ++i;
    }
    return out;
}

std::variant<sdk::message_ptr, amqp_error> to_message(const basic_publish& publish,
                                                      basic_properties&& p,
                                                      sdk::buffer_chain body,
                                                      std::string_view authenticated_user)
{
    auto msg = std::make_shared<sdk::message>();
    // RabbitMQ accepts the default exchange under its management name too.
    msg->exchange = publish.exchange == "amq.default" ? std::string() : publish.exchange;
    msg->routing_key = publish.routing_key;
    auto& mp = msg->properties;
    if (p.user_id && *p.user_id != authenticated_user) {
        return amqp_error{ reply_code::precondition_failed,
                           "user_id property set to '" + *p.user_id + "' but authenticated user was '" +
                             std::string(authenticated_user) + "'",
                           basic_publish::id.class_id,
                           basic_publish::id.method };
    }
    if (p.expiration) {
        std::int64_t ms = 0;
        const auto& e = *p.expiration;
        auto [end, ec] = std::from_chars(e.data(), e.data() + e.size(), ms);
        if (e.empty() || ec != std::errc() || end != e.data() + e.size() || ms < 0) {
            return amqp_error{ reply_code::precondition_failed,
                               "invalid expiration '" + e + "': not a non-negative number of milliseconds",
                               basic_publish::id.class_id,
                               basic_publish::id.method };
        }
        mp.ttl_ms = ms;
    }
    auto take = [](std::optional<std::string>& from, std::string& to) {
        if (from) {
            to = std::move(*from);
        }
    };
    take(p.content_type, mp.content_type);
    take(p.content_encoding, mp.content_encoding);
    take(p.correlation_id, mp.correlation_id);
    take(p.reply_to, mp.reply_to);
    take(p.message_id, mp.message_id);
    take(p.type, mp.type);
    take(p.user_id, mp.user_id);
    take(p.app_id, mp.app_id);
    mp.priority = p.priority.value_or(0);
    mp.persistent = p.delivery_mode == 2;
    if (p.timestamp) {
        msg->timestamp = sdk::timestamp_ms(static_cast<std::int64_t>(*p.timestamp) * 1000);
    }
    if (p.headers) {
        msg->headers_ = to_headers(*p.headers);
    }
    if (p.cluster_id) {
        msg->headers_.push_back({ std::string(cluster_id_header), std::move(*p.cluster_id) });
    }
    msg->body = std::move(body);
    return sdk::message_ptr(std::move(msg));
}

basic_properties to_properties(const sdk::message& msg)
{
    basic_properties p;
    const auto& mp = msg.properties;
    p.content_type = non_empty(mp.content_type);
    p.content_encoding = non_empty(mp.content_encoding);
    p.correlation_id = non_empty(mp.correlation_id);
    p.reply_to = non_empty(mp.reply_to);
    p.message_id = non_empty(mp.message_id);
    p.type = non_empty(mp.type);
    p.user_id = non_empty(mp.user_id);
    p.app_id = non_empty(mp.app_id);
    if (mp.persistent) {
        p.delivery_mode = 2;
    }
    if (mp.priority != 0) {
        p.priority = mp.priority;
    }
    if (mp.ttl_ms) {
        p.expiration = std::to_string(*mp.ttl_ms);
    }
    if (msg.timestamp() != 0) {
        p.timestamp = static_cast<std::uint64_t>(msg.timestamp() / 1000);
    }
    if (!msg.headers_.empty()) {
        for (const auto& h : msg.headers_) {
            if (h.key == cluster_id_header) {
                if (const auto* s = std::get_if<std::string>(&h.value)) {
                    p.cluster_id = *s;
                }
            }
        }
        auto table = to_table(msg.headers_);
        if (!table.empty()) {
            p.headers = std::move(table);
        }
    }
    return p;
}

} // namespace plexus::protocol::amqp091
