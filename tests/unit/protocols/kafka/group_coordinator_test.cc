// The group coordinator alone, on a fake executor and a clock the test moves: joins complete
// when every member has rejoined, the leader's assignments reach every member, and a join, a
// leave or a missed session timeout starts a rebalance the others learn of by heartbeat.
#include "error_code.h"
#include "group_coordinator.h"

#include "plexus/sdk/testing/fake_executor.h"

#include <catch2/catch.hpp>

using namespace plexus::protocol::kafka;
namespace fake = plexus::sdk::testing;
using namespace std::chrono_literals;

namespace {

struct fixture
{
    fake::fake_executor exec;
    group_coordinator::clock::time_point now{};
    group_coordinator groups{ [this] { return now; } };

    std::optional<group_coordinator::join_result> join(const std::string& member, const std::string& meta = "m")
    {
        group_coordinator::join_request q;
        q.group = "g";
        q.member_id = member;
        q.client_id = "c";
        q.protocol_type = "consumer";
        q.protocols = { { "range", meta } };
        q.session_timeout = 1000ms;
        q.rebalance_timeout = 2000ms;
        auto out = std::make_shared<std::optional<group_coordinator::join_result>>();
        groups.join(std::move(q), exec, [out](group_coordinator::join_result r) { *out = std::move(r); });
        exec.run_all();
        last_join = out;
        return *out;
    }
    std::shared_ptr<std::optional<group_coordinator::join_result>> last_join;

    std::shared_ptr<std::optional<group_coordinator::sync_result>> sync(
      const std::string& member,
      std::int32_t generation,
      std::vector<std::pair<std::string, std::string>> assignments = {})
    {
        auto out = std::make_shared<std::optional<group_coordinator::sync_result>>();
        groups.sync("g", generation, member, std::move(assignments), exec, [out](group_coordinator::sync_result r) {
            *out = std::move(r);
        });
        exec.run_all();
        return out;
    }
};

} // namespace

TEST_CASE("a single member joins, leads, syncs its own assignment and heartbeats", "[kafka][groups]")
{
    fixture f;
    auto j = f.join("");
    REQUIRE(j);
    CHECK(j->error == 0);
    CHECK(j->generation == 1);
    CHECK(j->leader == j->member_id);
    CHECK(j->protocol_name == "range");
    REQUIRE(j->members.size() == 1);
    auto s = f.sync(j->member_id, 1, { { j->member_id, "all partitions" } });
    REQUIRE(*s);
    CHECK((*s)->error == 0);
    CHECK((*s)->assignment == "all partitions");
    CHECK(f.groups.heartbeat("g", 1, j->member_id) == 0);
    CHECK(f.groups.heartbeat("g", 0, j->member_id) == wire(error_code::illegal_generation));
    CHECK(f.groups.heartbeat("g", 1, "stranger") == wire(error_code::unknown_member_id));
    auto d = f.groups.describe("g");
    CHECK(d.state == "Stable");
    CHECK(d.protocol_name == "range");
    REQUIRE(d.members.size() == 1);
    CHECK(d.members[0].assignment == "all partitions");
    CHECK(d.members[0].metadata == "m");
    CHECK(f.groups.list().size() == 1);
    CHECK(f.groups.describe("nobody").state == "Dead");
    CHECK(f.groups.leave("g", j->member_id) == 0);
    CHECK(f.groups.list().empty()); // an empty group is forgotten (its offsets stay in the kernel)
}

TEST_CASE("a second member starts a rebalance that completes when both have joined", "[kafka][groups]")
{
    fixture f;
    auto a = f.join("");
    REQUIRE(f.sync(a->member_id, 1, { { a->member_id, "p0,p1" } })->has_value());
    auto b_pending = (f.join(""), f.last_join);
    CHECK_FALSE(b_pending->has_value()); // waits for the first member to rejoin
    CHECK(f.groups.heartbeat("g", 1, a->member_id) == wire(error_code::rebalance_in_progress));
    auto a2 = f.join(a->member_id);
    REQUIRE(a2);
    REQUIRE(b_pending->has_value());
    auto b = **b_pending;
    CHECK(a2->generation == 2);
    CHECK(b.generation == 2);
    CHECK(a2->leader == a->member_id); // the leader stays
    CHECK(a2->members.size() == 2);
    CHECK(b.members.empty()); // only the leader gets the member list
    auto b_sync = f.sync(b.member_id, 2);
    CHECK_FALSE(b_sync->has_value()); // waits for the leader
    auto a_sync = f.sync(a->member_id, 2, { { a->member_id, "p0" }, { b.member_id, "p1" } });
    REQUIRE(a_sync->has_value());
    REQUIRE(b_sync->has_value());
    CHECK((*a_sync)->assignment == "p0");
    CHECK((*b_sync)->assignment == "p1");
    CHECK(f.groups.check_commit("g", 2, b.member_id) == 0);
    CHECK(f.groups.check_commit("g", 1, b.member_id) == wire(error_code::illegal_generation));
    CHECK(f.groups.check_commit("g", -1, "") == 0);

    SECTION("a leave starts a rebalance for the one left")
    {
        CHECK(f.groups.leave("g", b.member_id) == 0);
        CHECK(f.groups.heartbeat("g", 2, a->member_id) == wire(error_code::rebalance_in_progress));
        auto a3 = f.join(a->member_id);
        REQUIRE(a3);
        CHECK(a3->generation == 3);
        CHECK(a3->members.size() == 1);
    }
    SECTION("a member that stops heartbeating is expired and the rebalance goes on without it")
    {
        f.now += 600ms;
        CHECK(f.groups.heartbeat("g", 2, a->member_id) == 0);
        f.now += 600ms; // b last seen 1.2 s ago: past its 1 s session timeout
        CHECK(f.groups.heartbeat("g", 2, a->member_id) == wire(error_code::rebalance_in_progress));
        CHECK(f.groups.heartbeat("g", 2, b.member_id) == wire(error_code::unknown_member_id));
        auto a3 = f.join(a->member_id);
        REQUIRE(a3);
        CHECK(a3->members.size() == 1);
    }
    SECTION("a member that does not rejoin in the rebalance timeout is left out")
    {
        auto a3_pending = (f.join(a->member_id), f.last_join);
        CHECK_FALSE(a3_pending->has_value());
        f.now += 2500ms;
        f.groups.tick();
        f.exec.run_all();
        REQUIRE(a3_pending->has_value());
        CHECK((*a3_pending)->generation == 3);
        CHECK((*a3_pending)->members.size() == 1);
    }
}

TEST_CASE("joins with an unknown member id or no common assignor are refused", "[kafka][groups]")
{
    fixture f;
    CHECK(f.join("not-a-member")->error == wire(error_code::unknown_member_id));
    auto a = f.join("");
    f.sync(a->member_id, 1, {});
    group_coordinator::join_request q;
    q.group = "g";
    q.protocol_type = "consumer";
    q.protocols = { { "roundrobin", "" } };
    std::optional<group_coordinator::join_result> r;
    f.groups.join(std::move(q), f.exec, [&](group_coordinator::join_result x) { r = std::move(x); });
    f.exec.run_all();
    REQUIRE(r);
    CHECK(r->error == wire(error_code::inconsistent_group_protocol));
}
