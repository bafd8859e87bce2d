#include "plexus/sdk/callback.h"

#include <catch2/catch.hpp>

#include <array>
#include <memory>
#include <string>

using plexus::sdk::callback;

namespace {

/// Counts live instances and "real" destructions (of objects not moved from), so that a test
/// can see a capture destroyed exactly once and never leaked. Padding decides whether a lambda
/// capturing it fits callback's inline storage.
template<std::size_t Padding>
struct tracked
{
    struct counts
    {
        int live = 0;
        int destroyed = 0;
    };
    counts* c;
    bool moved_from = false;
    std::array<char, Padding> pad{};

    explicit tracked(counts* cs)
      : c(cs)
    {
        ++c->live;
    }
    tracked(tracked&& o) noexcept
      : c(o.c)
      , pad(o.pad)
    {
        o.moved_from = true;
        ++c->live;
    }
    tracked(const tracked&) = delete;
    ~tracked()
    {
        --c->live;
        if (!moved_from) {
            ++c->destroyed;
        }
    }
};

using small = tracked<8>;   // a lambda holding it fits inline (48 bytes)
using large = tracked<128>; // too big: stored on the heap

} // namespace

TEST_CASE("callback: empty", "[unit][sdk][callback]")
{
    callback<void()> a;
    callback<int(int)> b = nullptr;
    CHECK_FALSE(a);
    CHECK_FALSE(b);
    a.reset(); // harmless
    CHECK_FALSE(a);
}

TEST_CASE("callback: calls with arguments and returns", "[unit][sdk][callback]")
{
    int base = 10;
    callback<int(int, const std::string&)> f = [&base](int x, const std::string& s) {
        return base + x + static_cast<int>(s.size());
    };
    REQUIRE(f);
    CHECK(f(5, "abc") == 18);
    base = 0;
    CHECK(f(1, "") == 1);

    // A plain function pointer is callable too.
    callback<int(int)> g = +[](int x) { return x * 2; };
    CHECK(g(21) == 42);
}

TEST_CASE("callback: move-only captures, inline and on the heap", "[unit][sdk][callback]")
{
    auto p = std::make_unique<int>(7);
    callback<int()> f = [p = std::move(p)] { return *p; };
    CHECK(f() == 7);

    auto q = std::make_unique<int>(9);
    std::array<char, 100> big{};
    big[99] = 1;
    callback<int()> h = [q = std::move(q), big] { return *q + big[99]; };
    CHECK(h() == 10);

    // Arguments that are move-only pass through.
    callback<int(std::unique_ptr<int>)> take = [](std::unique_ptr<int> v) { return *v; };
    CHECK(take(std::make_unique<int>(3)) == 3);
}

TEMPLATE_TEST_CASE("callback: captured objects are destroyed exactly once", "[unit][sdk][callback]", small, large)
{
    typename TestType::counts c;
    SECTION("on destruction")
    {
        {
            callback<int()> f = [t = TestType(&c)] { return t.c->live; };
            CHECK(c.live >= 1);
            CHECK(c.destroyed == 0);
            (void)f();
        }
        CHECK(c.live == 0);
        CHECK(c.destroyed == 1);
    }
    SECTION("on reset, and never again")
    {
        callback<void()> f = [t = TestType(&c)] {};
        f.reset();
        CHECK(c.live == 0);
        CHECK(c.destroyed == 1);
        f.reset();
        CHECK(c.destroyed == 1);
    }
    SECTION("after moves: construction")
    {
        {
            callback<void()> a = [t = TestType(&c)] {};
            callback<void()> b(std::move(a));
            CHECK_FALSE(a);
            REQUIRE(b);
            callback<void()> d(std::move(b));
            CHECK(c.destroyed == 0);
            CHECK(c.live >= 1);
        }
        CHECK(c.live == 0);
        CHECK(c.destroyed == 1);
    }
    SECTION("after move assignment, the overwritten target is destroyed")
    {
        typename TestType::counts other;
        {
            callback<void()> a = [t = TestType(&c)] {};
            callback<void()> b = [t = TestType(&other)] {};
            b = std::move(a);
            CHECK(other.live == 0);
            CHECK(other.destroyed == 1);
            CHECK(c.destroyed == 0);
            CHECK_FALSE(a);
            REQUIRE(b);
            auto& self = b;
            b = std::move(self); // self-move keeps the target
            REQUIRE(b);
            CHECK(c.destroyed == 0);
            a = nullptr;
            b = std::move(a); // assigning an empty one destroys the target
            CHECK_FALSE(b);
            CHECK(c.destroyed == 1);
        }
        CHECK(c.live == 0);
        CHECK(c.destroyed == 1);
        CHECK(other.destroyed == 1);
    }
}

TEST_CASE("callback: a callable that is not nothrow-movable still works", "[unit][sdk][callback]")
{
    struct throwing_move
    {
        int v = 5;
        throwing_move() = default;
        throwing_move(throwing_move&& o) noexcept(false)
          : v(o.v)
        {
        }
        int operator()() const { return v; }
    };
    callback<int()> f = throwing_move{};
    callback<int()> g = std::move(f);
    CHECK(g() == 5);
}

TEST_CASE("callback: the target may mutate its captures", "[unit][sdk][callback]")
{
    callback<int()> counter = [n = 0]() mutable { return ++n; };
    CHECK(counter() == 1);
    CHECK(counter() == 2);
    callback<int()> moved = std::move(counter);
    CHECK(moved() == 3);
}
