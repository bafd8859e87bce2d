// The kernel's record formats (ADR 0019): encoded batches become messages for the readers that
// need them, records below the offset asked for are left out, and what cannot be decoded is
// refused with a reason, never turned into fewer messages.
#include "kernel/src/stream/record_format_set.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace plexus;

namespace {

/// A format whose bytes are one character per record: the character is the body, and its
/// lower-case form the key (an upper-case letter is a tombstone).
class letters_format final : public sdk::record_format
{
  public:
    std::string_view name() const noexcept override { return "letters"; }
    sdk::result<std::vector<sdk::message_ptr>> decode(const sdk::buffer_chain& bytes,
                                                      std::string_view routing_key) const noexcept override
    {
        std::vector<sdk::message_ptr> out;
        for (char c : bytes.to_string()) {
            if (c == '!') {
                return sdk::status(sdk::errc::invalid_argument, "'!' is no record");
            }
            auto m = std::make_shared<sdk::message>();
            m->body = sdk::buffer_chain::copy_of(std::string(1, c));
            m->routing_key = std::string(routing_key);
            out.push_back(std::move(m));
        }
        return out;
    }
    sdk::result<std::vector<record_key>> keys(const sdk::buffer_chain& bytes) const noexcept override
    {
        std::vector<record_key> out;
        for (char c : bytes.to_string()) {
            if (c == '!') {
                return sdk::status(sdk::errc::invalid_argument, "'!' is no record");
            }
            const bool upper = c >= 'A' && c <= 'Z';
            out.push_back(
              { std::string(1, upper ? static_cast<char>(c - 'A' + 'a') : c), upper, sdk::timestamp_ms(0) });
        }
        return out;
    }
    sdk::result<std::vector<sdk::record_batch>> retain(const sdk::buffer_chain& bytes,
                                                       sdk::offset base,
                                                       const std::vector<bool>& keep) const noexcept override
    {
        const auto letters = bytes.to_string();
        std::vector<sdk::record_batch> out;
        for (std::size_t i = 0; i < letters.size(); ++i) {
            if (i < keep.size() && keep[i]) {
                sdk::record_batch b;
                b.base_offset = base + static_cast<std::int64_t>(i);
                b.encoded = sdk::encoded_records{};
                b.encoded->format = "letters";
                b.encoded->bytes = sdk::buffer_chain::copy_of(letters.substr(i, 1));
                b.encoded->count = 1;
                out.push_back(std::move(b));
            }
        }
        return out;
    }
};

sdk::record_batch encoded(std::string format, std::string letters, std::uint32_t count, std::int64_t base)
{
    sdk::record_batch b;
    b.base_offset = sdk::offset(base);
    b.encoded = sdk::encoded_records{};
    b.encoded->format = std::move(format);
    b.encoded->bytes = sdk::buffer_chain::copy_of(letters);
    b.encoded->count = count;
    return b;
}

} // namespace

TEST_CASE("an encoded batch becomes messages from the offset asked for", "[unit][kernel][stream]")
{
    const letters_format letters;
    const kernel::record_format_set formats({ &letters });
    CHECK(formats.find("letters") == &letters);
    CHECK(formats.find("kafka.v2") == nullptr);

    auto all = formats.as_messages(encoded("letters", "abcde", 5, 10), sdk::offset(10), "s");
    REQUIRE(all.ok());
    CHECK(all->base_offset == sdk::offset(10));
    REQUIRE(all->records.size() == 5);
    CHECK_FALSE(all->encoded.has_value());
    CHECK(all->records[4]->body.to_string() == "e");
    CHECK(all->records[4]->routing_key == "s");

    auto tail = formats.as_messages(encoded("letters", "abcde", 5, 10), sdk::offset(13), "s");
    REQUIRE(tail.ok());
    CHECK(tail->base_offset == sdk::offset(13));
    REQUIRE(tail->records.size() == 2);
    CHECK(tail->records[0]->body.to_string() == "d");

    auto past = formats.as_messages(encoded("letters", "abcde", 5, 10), sdk::offset(99), "s");
    REQUIRE(past.ok());
    CHECK(past->records.empty());

    sdk::record_batch plain;
    plain.base_offset = sdk::offset(3);
    plain.records.push_back(std::make_shared<sdk::message>());
    auto same = formats.as_messages(plain, sdk::offset(3), "s");
    REQUIRE(same.ok());
    CHECK(same->records.size() == 1);
}

TEST_CASE("what no loaded format decodes is refused with its reason", "[unit][kernel][stream]")
{
    const letters_format letters;
    const kernel::record_format_set formats({ &letters });
    SECTION("a format no plugin registered")
    {
        auto r = formats.as_messages(encoded("kafka.v2", "abc", 3, 0), sdk::offset(0), "s");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::not_supported);
        CHECK(r.error().message().find("kafka.v2") != std::string_view::npos);
    }
    SECTION("bytes the format refuses")
    {
        auto r = formats.decode(encoded("letters", "ab!", 3, 0).encoded.value(), "s");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::corruption);
        CHECK(r.error().message().find("'!' is no record") != std::string_view::npos);
    }
    SECTION("another number of records than the batch holds")
    {
        auto r = formats.decode(encoded("letters", "abc", 4, 0).encoded.value(), "s");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code() == sdk::errc::corruption);
    }
    SECTION("an empty set knows no format")
    {
        const kernel::record_format_set none;
        CHECK(none.decode(encoded("letters", "a", 1, 0).encoded.value(), "s").error().code() ==
              sdk::errc::not_supported);
    }
}

TEST_CASE("compaction reads keys and keeps records through the format", "[unit][kernel][stream]")
{
    const letters_format letters;
    const kernel::record_format_set formats({ &letters });
    auto keys = formats.keys(encoded("letters", "abA", 3, 0).encoded.value());
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 3);
    CHECK((*keys)[2].key == "a");
    CHECK((*keys)[2].tombstone);
    CHECK_FALSE((*keys)[0].tombstone);

    auto kept = formats.retain(encoded("letters", "abc", 3, 0).encoded.value(), sdk::offset(20), { false, true, true });
    REQUIRE(kept.ok());
    REQUIRE(kept->size() == 2);
    CHECK((*kept)[0].base_offset == sdk::offset(21));
    CHECK((*kept)[1].encoded->bytes.to_string() == "c");

    CHECK(formats.keys(encoded("letters", "abc", 4, 0).encoded.value()).error().code() == sdk::errc::corruption);
    CHECK(formats.keys(encoded("letters", "a!", 2, 0).encoded.value()).error().code() == sdk::errc::corruption);
    CHECK(formats.retain(encoded("kafka.v2", "a", 1, 0).encoded.value(), sdk::offset(0), { true }).error().code() ==
          sdk::errc::not_supported);
}
