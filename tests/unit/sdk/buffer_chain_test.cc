#include "plexus/sdk/buffer_chain.h"

#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

using plexus::sdk::buffer_chain;
using plexus::sdk::bytes;

namespace {

/// "abc" + "defg" + "hij": three fragments, 10 bytes.
buffer_chain three_fragments()
{
    buffer_chain c;
    c.append(bytes::copy_of(std::string_view("abc")));
    c.append(bytes::copy_of(std::string_view("defg")));
    c.append(bytes::copy_of(std::string_view("hij")));
    return c;
}

std::vector<std::string> fragments(const buffer_chain& c)
{
    std::vector<std::string> out;
    c.for_each_fragment([&](const bytes& b) { out.emplace_back(b.as_string_view()); });
    return out;
}

} // namespace

TEST_CASE("buffer_chain: empty", "[unit][sdk][buffer_chain]")
{
    buffer_chain c;
    CHECK(c.empty());
    CHECK(c.size() == 0);
    CHECK(c.fragment_count() == 0);
    CHECK(c.to_string().empty());
    c.append(bytes());
    c.prepend(bytes());
    CHECK(c.fragment_count() == 0); // empty slices add no fragment
    c.trim_front(5);
    CHECK(c.empty());
}

TEST_CASE("buffer_chain: append and prepend", "[unit][sdk][buffer_chain]")
{
    auto c = three_fragments();
    CHECK(c.size() == 10);
    CHECK(c.fragment_count() == 3);
    CHECK(c.to_string() == "abcdefghij");
    c.prepend(bytes::copy_of(std::string_view("<hdr>")));
    CHECK(c.to_string() == "<hdr>abcdefghij");
    CHECK(c.fragment_count() == 4);
    CHECK(c.size() == 15);

    buffer_chain d = buffer_chain::copy_of("!");
    d.append(c); // shares c's fragments
    CHECK(d.to_string() == "!<hdr>abcdefghij");
    CHECK(d.fragment_count() == 5);
    CHECK(fragments(d) == std::vector<std::string>{ "!", "<hdr>", "abc", "defg", "hij" });
}

TEST_CASE("buffer_chain: appended fragments are shared, not copied", "[unit][sdk][buffer_chain]")
{
    auto body = bytes::copy_of(std::string_view("payload"));
    buffer_chain a(body);
    buffer_chain b;
    b.append(a);
    const std::byte* seen = nullptr;
    b.for_each_fragment([&](const bytes& f) { seen = f.data(); });
    CHECK(seen == body.data());
    CHECK_FALSE(body.unique());
}

TEST_CASE("buffer_chain: share across fragments", "[unit][sdk][buffer_chain]")
{
    const auto c = three_fragments();
    CHECK(c.share(0, 10).to_string() == "abcdefghij");
    CHECK(c.share(2, 3).to_string() == "cde");
    CHECK(c.share(2, 3).fragment_count() == 2);
    CHECK(c.share(1, 8).to_string() == "bcdefghi");
    CHECK(c.share(1, 8).fragment_count() == 3);
    CHECK(c.share(3, 4).to_string() == "defg");
    CHECK(c.share(3, 4).fragment_count() == 1);
    CHECK(c.share(7, 100).to_string() == "hij");
    CHECK(c.share(10, 5).empty());
    CHECK(c.share(4, 0).empty());

    // The shared slice points into the original slabs.
    const std::byte* first_original = nullptr;
    c.for_each_fragment([&](const bytes& f) {
        if (first_original == nullptr) {
            first_original = f.data();
        }
    });
    const std::byte* first_shared = nullptr;
    c.share(1, 2).for_each_fragment([&](const bytes& f) { first_shared = f.data(); });
    CHECK(first_shared == first_original + 1);
}

TEST_CASE("buffer_chain: trim_front", "[unit][sdk][buffer_chain]")
{
    SECTION("inside the first fragment")
    {
        auto c = three_fragments();
        c.trim_front(1);
        CHECK(c.to_string() == "bcdefghij");
        CHECK(c.size() == 9);
        CHECK(c.fragment_count() == 3);
    }
    SECTION("exactly a fragment")
    {
        auto c = three_fragments();
        c.trim_front(3);
        CHECK(c.to_string() == "defghij");
        CHECK(c.fragment_count() == 2);
    }
    SECTION("across fragments")
    {
        auto c = three_fragments();
        c.trim_front(5);
        CHECK(c.to_string() == "fghij");
        CHECK(c.fragment_count() == 2);
        CHECK(c.size() == 5);
    }
    SECTION("everything and more")
    {
        auto c = three_fragments();
        c.trim_front(100);
        CHECK(c.empty());
        CHECK(c.fragment_count() == 0);
        c.append(bytes::copy_of(std::string_view("x")));
        CHECK(c.to_string() == "x");
    }
}

TEST_CASE("buffer_chain: copy_out straddles fragments", "[unit][sdk][buffer_chain]")
{
    const auto c = three_fragments();
    std::array<std::byte, 4> out{};
    auto as_string = [&](std::size_t n) { return std::string(reinterpret_cast<const char*>(out.data()), n); };

    CHECK(c.copy_out(2, out) == 4);
    CHECK(as_string(4) == "cdef");
    CHECK(c.copy_out(6, out) == 4);
    CHECK(as_string(4) == "ghij");
    CHECK(c.copy_out(8, out) == 2); // only two bytes left
    CHECK(as_string(2) == "ij");
    CHECK(c.copy_out(10, out) == 0);
    CHECK(c.copy_out(0, std::span<std::byte>()) == 0);
}
