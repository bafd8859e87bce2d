#include "conformance/storage/crash/crash_protocol.h"

#include <charconv>
#include <memory>
#include <vector>

namespace plexus::test::storage::crash {

namespace {

constexpr std::int64_t epoch_ms = 1'700'000'000'000;

// splitmix64: cheap, and every bit of the input reaches every bit of the output, so
// neighbouring offsets get unrelated lengths and bytes.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

std::string body_at(std::int64_t o)
{
    const std::uint64_t h = mix(static_cast<std::uint64_t>(o));
    // One record in 32 is 4..36 KiB: its frame spans pages, so a kill can land inside its write.
    const std::size_t pattern_bytes = h % 32 == 0 ? 4096 + (h >> 8) % 32768 : (h >> 8) % 600;
    std::string body = "rec-" + std::to_string(o) + "-";
    body.reserve(body.size() + pattern_bytes);
    std::uint64_t state = h;
    for (std::size_t i = 0; i < pattern_bytes; ++i) {
        if (i % 8 == 0) {
            state = mix(state);
        }
        body.push_back(static_cast<char>((state >> (8 * (i % 8))) & 0xff));
    }
    return body;
}

std::string routing_key_at(std::int64_t o)
{
    return "crash." + std::to_string(o % 13);
}

std::string key_at(std::int64_t o)
{
    return o % 5 == 0 ? "k" + std::to_string(o) : std::string();
}

sdk::headers headers_at(std::int64_t o)
{
    if (o % 7 != 0) {
        return {};
    }
    return { sdk::header{ "n", sdk::header_value(o) } };
}

std::optional<std::int64_t> number(std::string_view& rest)
{
    while (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
    }
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec != std::errc() || end == rest.data()) {
        return std::nullopt;
    }
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    return v;
}

} // namespace

sdk::message_ptr record_at(sdk::offset o)
{
    auto m = std::make_shared<sdk::message>();
    m->exchange = "crash";
    m->routing_key = routing_key_at(o());
    m->key = key_at(o());
    m->timestamp = sdk::timestamp_ms(epoch_ms + o());
    m->headers_ = headers_at(o());
    // One to three fragments: engines must store the body, not how it was cut.
    const std::string body = body_at(o());
    const std::size_t fragments = 1 + mix(static_cast<std::uint64_t>(o()) ^ 0x5a5a) % 3;
    std::size_t at = 0;
    for (std::size_t i = 1; i <= fragments; ++i) {
        const std::size_t end = body.size() * i / fragments;
        m->body.append(sdk::bytes::copy_of(std::string_view(body).substr(at, end - at)));
        at = end;
    }
    return m;
}

std::string check_record(sdk::offset o, const sdk::message& m)
{
    const std::string where = "record " + std::to_string(o()) + ": ";
    if (m.exchange != "crash" || m.routing_key != routing_key_at(o()) || m.key != key_at(o())) {
        return where + "exchange/routing key/key are '" + m.exchange + "'/'" + m.routing_key + "'/'" + m.key + "'";
    }
    if (m.timestamp != sdk::timestamp_ms(epoch_ms + o())) {
        return where + "timestamp is " + std::to_string(m.timestamp()) + ", expected " + std::to_string(epoch_ms + o());
    }
    if (m.headers_ != headers_at(o()) || !(m.properties == sdk::message_properties{})) {
        return where + "headers or properties differ";
    }
    const std::string expected = body_at(o());
    const std::string actual = m.body.to_string();
    if (actual == expected) {
        return {};
    }
    std::size_t i = 0;
    while (i < actual.size() && i < expected.size() && actual[i] == expected[i]) {
        ++i;
    }
    return where + "body of " + std::to_string(actual.size()) + " bytes, expected " + std::to_string(expected.size()) +
           "; first difference at byte " + std::to_string(i) + "; it begins '" +
           actual.substr(0, std::min<std::size_t>(actual.find('-', 4), 32)) + "'";
}

std::string opened_line(sdk::offset next)
{
    return "opened " + std::to_string(next()) + "\n";
}

std::string confirmed_line(sdk::offset first, sdk::offset last, sdk::offset committed)
{
    return "confirmed " + std::to_string(first()) + " " + std::to_string(last()) + " " + std::to_string(committed()) +
           "\n";
}

std::optional<report> parse_report(std::string_view line)
{
    report r;
    if (line.starts_with("opened ")) {
        line.remove_prefix(7);
        auto next = number(line);
        if (!next || !line.empty()) {
            return std::nullopt;
        }
        r.what = report::kind::opened;
        r.first = sdk::offset{ *next };
        return r;
    }
    if (line.starts_with("confirmed ")) {
        line.remove_prefix(10);
        auto first = number(line);
        auto last = first ? number(line) : std::nullopt;
        auto committed = last ? number(line) : std::nullopt;
        if (!committed || !line.empty()) {
            return std::nullopt;
        }
        r.what = report::kind::confirmed;
        r.first = sdk::offset{ *first };
        r.last = sdk::offset{ *last };
        r.committed = sdk::offset{ *committed };
        return r;
    }
    return std::nullopt;
}

} // namespace plexus::test::storage::crash
