#include "plexus/sdk/bytes.h"

#include <catch2/catch.hpp>

#include <string>

using plexus::sdk::bytes;

TEST_CASE("bytes: empty by default", "[unit][sdk][bytes]")
{
    bytes b;
    CHECK(b.empty());
    CHECK(b.size() == 0);
    CHECK(b.as_string_view().empty());
    CHECK(b.view().empty());
    auto s = b.share(0, 10);
    CHECK(s.empty());
}

TEST_CASE("bytes: copy_of copies, so the source may change", "[unit][sdk][bytes]")
{
    std::string src = "hello";
    auto b = bytes::copy_of(src);
    src[0] = 'j';
    CHECK(b.as_string_view() == "hello");
    CHECK(b.size() == 5);
    CHECK(b.unique());

    const std::string binary("a\0b\xff", 4);
    auto c = bytes::copy_of(std::as_bytes(std::span<const char>(binary.data(), binary.size())));
    CHECK(c.as_string_view() == binary);
    CHECK(bytes::copy_of(std::string_view()).empty());
}

TEST_CASE("bytes: allocate then fill through writable()", "[unit][sdk][bytes]")
{
    auto b = bytes::allocate(4);
    REQUIRE(b.size() == 4);
    auto w = b.writable();
    for (std::size_t i = 0; i < w.size(); ++i) {
        w[i] = std::byte{ static_cast<unsigned char>('w' + i) };
    }
    CHECK(b.as_string_view() == "wxyz");
    CHECK(b.data() == w.data());
}

TEST_CASE("bytes: share slices the same slab", "[unit][sdk][bytes]")
{
    auto b = bytes::copy_of(std::string_view("0123456789"));
    CHECK(b.unique());
    {
        auto mid = b.share(3, 4);
        CHECK(mid.as_string_view() == "3456");
        CHECK(mid.data() == b.data() + 3); // no copy
        CHECK_FALSE(b.unique());
        CHECK_FALSE(mid.unique());

        auto inner = mid.share(1, 2);
        CHECK(inner.as_string_view() == "45");
        CHECK(inner.data() == b.data() + 4);
    }
    CHECK(b.unique()); // every slice released

    SECTION("clamped to the slice")
    {
        CHECK(b.share(8, 100).as_string_view() == "89");
        CHECK(b.share(10, 1).empty());
        CHECK(b.share(50, 1).empty());
        CHECK(b.share(0, 0).empty());
    }
    SECTION("copies share too")
    {
        bytes copy = b;
        CHECK(copy.data() == b.data());
        CHECK_FALSE(b.unique());
        bytes moved = std::move(copy);
        CHECK(moved.data() == b.data());
        CHECK_FALSE(b.unique());
    }
}

TEST_CASE("bytes: the slab outlives the original handle", "[unit][sdk][bytes]")
{
    bytes tail;
    {
        auto b = bytes::copy_of(std::string_view("abcdef"));
        tail = b.share(4, 2);
    }
    CHECK(tail.as_string_view() == "ef");
    CHECK(tail.unique());
}
