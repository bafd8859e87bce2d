#include "plexus/sdk/result.h"
#include "plexus/sdk/status.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using namespace plexus::sdk;

TEST_CASE("status: ok and failures", "[unit][sdk][status]")
{
    status ok;
    CHECK(ok.ok());
    CHECK(static_cast<bool>(ok));
    CHECK(ok.code() == errc::ok);
    CHECK(ok.message().empty());
    CHECK(ok.to_string() == "ok");
    CHECK(ok_status().ok());

    status nf(errc::not_found, "queue 'q' in vhost '/'");
    CHECK_FALSE(nf.ok());
    CHECK_FALSE(static_cast<bool>(nf));
    CHECK(nf.code() == errc::not_found);
    CHECK(nf.message() == "queue 'q' in vhost '/'");
    CHECK(nf.to_string() == "not_found: queue 'q' in vhost '/'");

    status copy = nf; // shares the message
    CHECK(copy.message().data() == nf.message().data());
    CHECK(copy.to_string() == nf.to_string());

    // errc::ok with a message is still plain ok.
    status weird(errc::ok, "ignored");
    CHECK(weird.ok());
    CHECK(weird.message().empty());
}

TEST_CASE("errc names are stable", "[unit][sdk][status]")
{
    CHECK(to_string(errc::ok) == "ok");
    CHECK(to_string(errc::not_found) == "not_found");
    CHECK(to_string(errc::invalid_argument) == "invalid_argument");
    CHECK(to_string(errc::resource_exhausted) == "resource_exhausted");
    CHECK(to_string(errc::precondition_failed) == "precondition_failed");
    CHECK(to_string(errc::locked) == "locked");
    CHECK(to_string(errc::internal) == "internal");
    CHECK(to_string(static_cast<errc>(999)) == "unknown");
    CHECK(status(errc::io_error, "").to_string() == "io_error: ");
}

TEST_CASE("result: a value", "[unit][sdk][result]")
{
    result<int> r = 42;
    REQUIRE(r.ok());
    CHECK(r.has_value());
    CHECK(static_cast<bool>(r));
    CHECK(*r == 42);
    CHECK(r.value() == 42);
    CHECK(r.error().ok());
    *r = 7;
    CHECK(r.value() == 7);

    result<std::string> s = std::string("abc");
    CHECK(s->size() == 3);
    std::string taken = *std::move(s);
    CHECK(taken == "abc");

    result<std::unique_ptr<int>> u = std::make_unique<int>(5);
    REQUIRE(u.ok());
    auto p = std::move(u).value();
    CHECK(*p == 5);
}

TEST_CASE("result: a failure", "[unit][sdk][result]")
{
    result<int> r = status(errc::forbidden, "no access to vhost '/'");
    CHECK_FALSE(r.ok());
    CHECK_FALSE(r.has_value());
    CHECK(r.error().code() == errc::forbidden);
    CHECK(r.error().message() == "no access to vhost '/'");
    CHECK(r.error().to_string() == "forbidden: no access to vhost '/'");

    result<int> two(errc::timed_out, "deadline");
    CHECK(two.error().code() == errc::timed_out);
    CHECK(two.error().message() == "deadline");
}

TEST_CASE("result: misuse becomes errc::internal", "[unit][sdk][result]")
{
    result<int> empty;
    CHECK_FALSE(empty.ok());
    CHECK(empty.error().code() == errc::internal);

    result<int> from_ok = status();
    CHECK_FALSE(from_ok.ok());
    CHECK(from_ok.error().code() == errc::internal);
    CHECK_FALSE(from_ok.error().message().empty());
}
