// The routing conformance suite: every router, loaded through the real loader, against the
// cases its capabilities call for (RabbitMQ's documented semantics, including tutorial 5's
// topic examples, and MQTT 3.1.1 §4.7 for the MQTT syntax).
#include "kernel/src/plugin/loader.h"
#include "plexus/sdk/plugin.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <set>

using namespace plexus;
using sdk::destination_id;

namespace {

struct loaded_router_factory
{
    std::string name;
    sdk::router_factory* factory = nullptr;

    loaded_router_factory()
    {
        const char* env = std::getenv("PLEXUS_ROUTER");
        REQUIRE(env != nullptr);
        name = env;
        auto p = kernel::load_plugin({ PLEXUS_PLUGIN_DIR }, PLEXUS_KIND_ROUTING, name);
        INFO(p.error().to_string());
        REQUIRE(p.ok());
        factory = static_cast<sdk::router_factory*>(p->factory); // library stays mapped
    }
    std::unique_ptr<sdk::router> make(sdk::topic_syntax syntax = sdk::topic_syntax::amqp)
    {
        sdk::router_spec spec;
        spec.exchange = "x";
        spec.syntax = syntax;
        auto r = factory->create(spec);
        REQUIRE(r.ok());
        REQUIRE(*r != nullptr);
        return std::move(*r);
    }
};

loaded_router_factory& plugin()
{
    static loaded_router_factory f; // loaded once per test process
    return f;
}

const destination_id q1{ 1 }, q2{ 2 }, q3{ 3 };

std::set<std::uint64_t> route(const sdk::router& r, std::string_view key, const sdk::headers& h = {})
{
    sdk::destination_set out;
    r.route(key, h, out);
    out.deduplicate();
    std::set<std::uint64_t> ids;
    for (auto d : out) {
        ids.insert(d());
    }
    REQUIRE(ids.size() == out.size());
    return ids;
}

void bind(sdk::router& r, std::string key, destination_id d, sdk::headers args = {})
{
    auto st = r.bind(sdk::binding{ std::move(key), d, std::move(args) });
    INFO(st.to_string());
    REQUIRE(st.ok());
}

using ids = std::set<std::uint64_t>;

} // namespace

TEST_CASE("routers accept an empty config and refuse settings they do not have", "[conformance][routing]")
{
    auto* f = plugin().factory;
    CHECK(f->validate("{}").ok());
    CHECK(f->validate("").ok());
    CHECK(f->validate(" { } ").ok());
    auto bad = f->validate(R"({"colour": "blue"})");
    CHECK(bad.code() == sdk::errc::invalid_argument);
    CHECK(bad.message().find("colour") != std::string_view::npos);
}

TEST_CASE("bind is idempotent, unbind removes exactly one binding, unknown unbind is not_found",
          "[conformance][routing]")
{
    auto r = plugin().make();
    bind(*r, "k", q1);
    bind(*r, "k", q1);
    CHECK(r->binding_count() == 1);
    bind(*r, "k", q2);
    CHECK(r->binding_count() == 2);
    CHECK(r->unbind(sdk::binding{ "k", q1, {} }).ok());
    CHECK(r->binding_count() == 1);
    CHECK(r->unbind(sdk::binding{ "k", q1, {} }).code() == sdk::errc::not_found);
    CHECK(r->unbind(sdk::binding{ "other", q3, {} }).code() == sdk::errc::not_found);
}

TEST_CASE("a clone routes like the original and is independent of it", "[conformance][routing]")
{
    auto r = plugin().make();
    bind(*r, "k", q1);
    auto c = r->clone();
    REQUIRE(c.ok());
    CHECK(route(**c, "k") == route(*r, "k"));
    bind(**c, "k", q2);
    CHECK((*c)->binding_count() == 2);
    CHECK(r->binding_count() == 1);
    CHECK(route(*r, "k").count(2) == 0);
}

TEST_CASE("direct: exact routing keys only", "[conformance][routing]")
{
    if (plugin().name != "direct") {
        SUCCEED("not a direct router");
        return;
    }
    auto r = plugin().make();
    bind(*r, "orders", q1);
    bind(*r, "orders", q2);
    bind(*r, "invoices", q3);
    bind(*r, "", q3);
    CHECK(route(*r, "orders") == ids{ 1, 2 });
    CHECK(route(*r, "invoices") == ids{ 3 });
    CHECK(route(*r, "") == ids{ 3 });
    CHECK(route(*r, "Orders").empty());
    CHECK(route(*r, "orders.eu").empty());
    CHECK(route(*r, "*").empty());
}

TEST_CASE("fanout: every binding, whatever the key", "[conformance][routing]")
{
    if (!plugin().make()->caps().key_ignored || plugin().name == "headers") {
        SUCCEED("not a fanout router");
        return;
    }
    auto r = plugin().make();
    CHECK(route(*r, "anything").empty());
    bind(*r, "", q1);
    bind(*r, "ignored", q2);
    bind(*r, "ignored-too", q2); // a second binding to q2: still one delivery
    CHECK(route(*r, "anything") == ids{ 1, 2 });
    CHECK(route(*r, "") == ids{ 1, 2 });
}

TEST_CASE("topic (AMQP): RabbitMQ tutorial five", "[conformance][routing]")
{
    if (plugin().name != "topic") {
        SUCCEED("not a topic router");
        return;
    }
    auto r = plugin().make();
    bind(*r, "*.orange.*", q1);
    bind(*r, "*.*.rabbit", q2);
    bind(*r, "lazy.#", q2);
    CHECK(route(*r, "quick.orange.rabbit") == ids{ 1, 2 });
    CHECK(route(*r, "lazy.orange.elephant") == ids{ 1, 2 });
    CHECK(route(*r, "quick.orange.fox") == ids{ 1 });
    CHECK(route(*r, "lazy.brown.fox") == ids{ 2 });
    CHECK(route(*r, "lazy.pink.rabbit") == ids{ 2 }); // matches both of Q2's bindings, delivered once
    CHECK(route(*r, "quick.brown.fox").empty());
    CHECK(route(*r, "orange").empty());
    CHECK(route(*r, "quick.orange.male.rabbit").empty());
    CHECK(route(*r, "lazy.orange.male.rabbit") == ids{ 2 });
}

TEST_CASE("topic (AMQP): '#' is zero or more words, '*' exactly one", "[conformance][routing]")
{
    if (plugin().name != "topic") {
        SUCCEED("not a topic router");
        return;
    }
    auto r = plugin().make();
    bind(*r, "#", q1);
    bind(*r, "a.#.b", q2);
    bind(*r, "#.z", q3);
    CHECK(route(*r, "") == ids{ 1 });
    CHECK(route(*r, "a.b") == ids{ 1, 2 });
    CHECK(route(*r, "a.x.y.b") == ids{ 1, 2 });
    CHECK(route(*r, "a.b.z") == ids{ 1, 3 });
    CHECK(route(*r, "z") == ids{ 1, 3 });

    auto star = plugin().make();
    bind(*star, "*", q1);
    bind(*star, "a.*", q2);
    bind(*star, "#.#", q3);
    CHECK(route(*star, "a") == ids{ 1, 3 });
    CHECK(route(*star, "a.b") == ids{ 2, 3 });
    CHECK(route(*star, "a.b.c") == ids{ 3 });
    CHECK(route(*star, "") == ids{ 3 });
    CHECK(route(*star, "a..b") == ids{ 3 }); // empty words are words
    bind(*star, "a..b", q1);
    CHECK(route(*star, "a..b") == ids{ 1, 3 });
    CHECK(star->unbind(sdk::binding{ "#.#", q3, {} }).ok());
    CHECK(route(*star, "a.b.c").empty());
}

TEST_CASE("topic (MQTT): '+' one level, '#' this level and below, '$' topics", "[conformance][routing]")
{
    if (plugin().name != "topic") {
        SUCCEED("not a topic router");
        return;
    }
    auto r = plugin().make(sdk::topic_syntax::mqtt);
    bind(*r, "a/+", q1);
    bind(*r, "a/#", q2);
    bind(*r, "+/+", q3);
    CHECK(route(*r, "a/b") == ids{ 1, 2, 3 });
    CHECK(route(*r, "a/b/c") == ids{ 2 });
    CHECK(route(*r, "a") == ids{ 2 });  // '#' also matches the parent level
    CHECK(route(*r, "/x") == ids{ 3 }); // an empty first level is a level
    CHECK(route(*r, "a.b").empty());    // '.' is not a separator here

    auto dollar = plugin().make(sdk::topic_syntax::mqtt);
    bind(*dollar, "#", q1);
    bind(*dollar, "+/x", q2);
    bind(*dollar, "$SYS/#", q3);
    CHECK(route(*dollar, "$SYS/x") == ids{ 3 });
    CHECK(route(*dollar, "$SYS") == ids{ 3 });
    CHECK(route(*dollar, "sys/x") == ids{ 1, 2 });
}

TEST_CASE("topic: many bindings route correctly", "[conformance][routing]")
{
    if (plugin().name != "topic") {
        SUCCEED("not a topic router");
        return;
    }
    auto r = plugin().make();
    for (std::uint64_t i = 0; i < 10000; ++i) {
        bind(*r, "sensor." + std::to_string(i) + ".*.temp", destination_id(i));
    }
    CHECK(r->binding_count() == 10000);
    CHECK(route(*r, "sensor.4242.kitchen.temp") == ids{ 4242 });
    CHECK(route(*r, "sensor.4242.kitchen.humidity").empty());
}

TEST_CASE("headers: all, any and the with-x variants", "[conformance][routing]")
{
    if (plugin().name != "headers") {
        SUCCEED("not a headers router");
        return;
    }
    auto r = plugin().make();
    bind(*r,
         "",
         q1,
         { { "x-match", std::string("all") }, { "format", std::string("pdf") }, { "type", std::string("report") } });
    bind(*r,
         "",
         q2,
         { { "x-match", std::string("any") }, { "format", std::string("pdf") }, { "type", std::string("log") } });
    bind(*r, "", q3, { { "format", std::string("zip") } }); // x-match defaults to all
    sdk::headers pdf_report{ { "format", std::string("pdf") }, { "type", std::string("report") } };
    sdk::headers pdf_only{ { "format", std::string("pdf") } };
    sdk::headers log{ { "type", std::string("log") } };
    sdk::headers zip{ { "format", std::string("zip") }, { "extra", std::int64_t{ 1 } } };
    CHECK(route(*r, "", pdf_report) == ids{ 1, 2 });
    CHECK(route(*r, "", pdf_only) == ids{ 2 });
    CHECK(route(*r, "", log) == ids{ 2 });
    CHECK(route(*r, "", zip) == ids{ 3 });
    CHECK(route(*r, "", {}).empty());
    CHECK(route(*r, "ignored-key", { { "format", std::int64_t{ 7 } } }).empty()); // same key, other type

    auto x = plugin().make();
    bind(*x, "", q1, { { "x-match", std::string("all") }, { "x-tenant", std::string("a") } }); // x- args ignored
    bind(*x, "", q2, { { "x-match", std::string("all-with-x") }, { "x-tenant", std::string("a") } });
    bind(*x,
         "",
         q3,
         { { "x-match", std::string("any-with-x") }, { "x-tenant", std::string("b") }, { "k", std::monostate{} } });
    CHECK(route(*x, "", { { "x-tenant", std::string("a") } }) == ids{ 1, 2 });
    CHECK(route(*x, "", { { "x-tenant", std::string("c") } }) == ids{ 1 });
    CHECK(route(*x, "", { { "k", true } }) == ids{ 1, 3 }); // a void argument matches any value
    CHECK(x->bind(sdk::binding{ "", q1, { { "x-match", std::string("some") } } }).code() ==
          sdk::errc::invalid_argument);
}
