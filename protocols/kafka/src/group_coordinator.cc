#include "group_coordinator.h"

#include "error_code.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

template<class Result>
void post_result(sdk::executor& exec, sdk::callback<void(Result)> done, Result r)
{
    exec.post([done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

} // namespace

void group_coordinator::join(join_request request, sdk::executor& exec, sdk::callback<void(join_result)> done)
{
    std::lock_guard lock(_mutex);
    auto now = _now();
    tick_locked(now);
    join_result failed;
    failed.member_id = request.member_id;
    if (request.group.empty()) {
        failed.error = wire(error_code::invalid_group_id);
        post_result(exec, std::move(done), std::move(failed));
        return;
    }
    auto& g = _groups[request.group];
    bool shares_protocol = g.members.empty() || request.protocol_type == g.protocol_type;
    for (auto it = g.members.begin(); shares_protocol && it != g.members.end(); ++it) {
        if (it->first == request.member_id) {
            continue;
        }
        shares_protocol = std::any_of(request.protocols.begin(), request.protocols.end(), [&](const auto& p) {
            return std::any_of(it->second.protocols.begin(), it->second.protocols.end(), [&](const auto& q) {
                return q.first == p.first;
            });
        });
    }
    if (request.protocols.empty() || !shares_protocol) {
        failed.error = wire(error_code::inconsistent_group_protocol);
        post_result(exec, std::move(done), std::move(failed));
        return;
    }
    std::string id = request.member_id;
    if (id.empty()) {
        id = (request.client_id.empty() ? std::string("member") : request.client_id) + "-" +
             std::to_string(++_next_member);
    } else if (g.members.find(id) == g.members.end()) {
        failed.error = wire(error_code::unknown_member_id);
        post_result(exec, std::move(done), std::move(failed));
        return;
    }
    auto& m = g.members[id];
    m.client_id = request.client_id;
    m.client_host = request.client_host;
    m.protocols = std::move(request.protocols);
    m.session_timeout = request.session_timeout;
    m.rebalance_timeout = request.rebalance_timeout;
    m.last_seen = now;
    if (m.pending_join) { // a second join from the same member replaces the first
        join_result replaced;
        replaced.error = wire(error_code::rebalance_in_progress);
        replaced.member_id = id;
        post_result(*m.join_exec, std::move(*m.pending_join), std::move(replaced));
    }
    m.pending_join = std::move(done);
    m.join_exec = &exec;
    g.protocol_type = request.protocol_type;
    if (g.st != state::preparing_rebalance) {
        start_rebalance(g, now);
    }
    try_complete_join(g, false);
}

void group_coordinator::start_rebalance(group& g, clock::time_point now)
{
    g.st = state::preparing_rebalance;
    std::chrono::milliseconds longest{ 0 };
    for (auto& [id, m] : g.members) {
        longest = std::max(longest, m.rebalance_timeout);
        if (m.pending_sync) {
            sync_result r;
            r.error = wire(error_code::rebalance_in_progress);
            post_result(*m.sync_exec, std::move(*m.pending_sync), std::move(r));
            m.pending_sync.reset();
        }
    }
    g.rebalance_deadline = now + longest;
}

void group_coordinator::try_complete_join(group& g, bool deadline_passed)
{
    if (g.st != state::preparing_rebalance) {
        return;
    }
    bool all =
      std::all_of(g.members.begin(), g.members.end(), [](const auto& e) { return e.second.pending_join.has_value(); });
    if (!all && !deadline_passed) {
        return;
    }
    std::erase_if(g.members, [](const auto& e) { return !e.second.pending_join.has_value(); }); // missed the rebalance
    if (g.members.empty()) {
        g.st = state::empty;
        g.leader.clear();
        return;
    }
    ++g.generation;
    if (g.members.find(g.leader) == g.members.end()) {
        g.leader = g.members.begin()->first;
    }
    // The first of the leader's assignors that every member supports (join() made sure one is).
    const auto& leader = g.members.at(g.leader);
    g.protocol_name = leader.protocols.front().first;
    for (const auto& [name, meta] : leader.protocols) {
        bool everyone = std::all_of(g.members.begin(), g.members.end(), [&](const auto& e) {
            return std::any_of(
              e.second.protocols.begin(), e.second.protocols.end(), [&](const auto& p) { return p.first == name; });
        });
        if (everyone) {
            g.protocol_name = name;
            break;
        }
    }
    std::vector<std::pair<std::string, std::string>> all_members;
    for (const auto& [id, m] : g.members) {
        auto it = std::find_if(
          m.protocols.begin(), m.protocols.end(), [&](const auto& p) { return p.first == g.protocol_name; });
        all_members.emplace_back(id, it == m.protocols.end() ? std::string() : it->second);
    }
    g.st = state::completing_rebalance;
    for (auto& [id, m] : g.members) {
        join_result r;
        r.generation = g.generation;
        r.protocol_type = g.protocol_type;
        r.protocol_name = g.protocol_name;
        r.leader = g.leader;
        r.member_id = id;
        if (id == g.leader) {
            r.members = all_members;
        }
        m.assignment.clear();
        post_result(*m.join_exec, std::move(*m.pending_join), std::move(r));
        m.pending_join.reset();
    }
}

void group_coordinator::sync(const std::string& group_id,
                             std::int32_t generation,
                             const std::string& member_id,
                             std::vector<std::pair<std::string, std::string>> assignments,
                             sdk::executor& exec,
                             sdk::callback<void(sync_result)> done)
{
    std::lock_guard lock(_mutex);
    auto now = _now();
    tick_locked(now);
    sync_result r;
    auto git = _groups.find(group_id);
    if (git == _groups.end() || git->second.members.find(member_id) == git->second.members.end()) {
        r.error = wire(error_code::unknown_member_id);
        post_result(exec, std::move(done), std::move(r));
        return;
    }
    auto& g = git->second;
    auto& m = g.members.at(member_id);
    m.last_seen = now;
    r.protocol_type = g.protocol_type;
    r.protocol_name = g.protocol_name;
    if (generation != g.generation) {
        r.error = wire(error_code::illegal_generation);
    } else if (g.st == state::preparing_rebalance) {
        r.error = wire(error_code::rebalance_in_progress);
    } else if (g.st == state::stable) {
        r.assignment = m.assignment;
    }
    if (r.error != 0 || g.st == state::stable) {
        post_result(exec, std::move(done), std::move(r));
        return;
    }
    m.pending_sync = std::move(done);
    m.sync_exec = &exec;
    if (member_id != g.leader) {
        return; // waits for the leader's assignments
    }
    for (auto& [id, a] : assignments) {
        auto it = g.members.find(id);
        if (it != g.members.end()) {
            it->second.assignment = std::move(a);
        }
    }
    g.st = state::stable;
    for (auto& [id, each] : g.members) {
        if (each.pending_sync) {
            sync_result ok;
            ok.protocol_type = g.protocol_type;
            ok.protocol_name = g.protocol_name;
            ok.assignment = each.assignment;
            post_result(*each.sync_exec, std::move(*each.pending_sync), std::move(ok));
            each.pending_sync.reset();
        }
    }
}

std::int16_t group_coordinator::heartbeat(const std::string& group_id,
                                          std::int32_t generation,
                                          const std::string& member_id)
{
    std::lock_guard lock(_mutex);
    auto now = _now();
    tick_locked(now);
    auto git = _groups.find(group_id);
    if (git == _groups.end() || git->second.members.find(member_id) == git->second.members.end()) {
        return wire(error_code::unknown_member_id);
    }
    auto& g = git->second;
    g.members.at(member_id).last_seen = now;
    if (g.st == state::preparing_rebalance) {
        return wire(error_code::rebalance_in_progress);
    }
    if (generation != g.generation) {
        return wire(error_code::illegal_generation);
    }
    return 0;
}

std::int16_t group_coordinator::leave(const std::string& group_id, const std::string& member_id)
{
    std::lock_guard lock(_mutex);
    auto now = _now();
    tick_locked(now);
    auto git = _groups.find(group_id);
    if (git == _groups.end() || git->second.members.find(member_id) == git->second.members.end()) {
        return wire(error_code::unknown_member_id);
    }
    remove_member(git->second, member_id, now);
    return 0;
}

std::int16_t group_coordinator::check_commit(const std::string& group_id,
                                             std::int32_t generation,
                                             const std::string& member_id)
{
    std::lock_guard lock(_mutex);
    tick_locked(_now());
    if (generation < 0 && member_id.empty()) {
        return 0;
    }
    auto git = _groups.find(group_id);
    if (git == _groups.end() || git->second.members.find(member_id) == git->second.members.end()) {
        return wire(error_code::unknown_member_id);
    }
    auto& g = git->second;
    if (g.st == state::preparing_rebalance) {
        return wire(error_code::rebalance_in_progress);
    }
    return generation == g.generation ? std::int16_t(0) : wire(error_code::illegal_generation);
}

void group_coordinator::tick()
{
    std::lock_guard lock(_mutex);
    tick_locked(_now());
}

group_coordinator::group_description group_coordinator::describe_locked(const std::string& id, const group& g)
{
    group_description d;
    d.group_id = id;
    d.protocol_type = g.protocol_type;
    d.protocol_name = g.st == state::stable || g.st == state::completing_rebalance ? g.protocol_name : std::string();
    switch (g.st) {
        case state::empty:
            d.state = "Empty";
            break;
        case state::preparing_rebalance:
            d.state = "PreparingRebalance";
            break;
        case state::completing_rebalance:
            d.state = "CompletingRebalance";
            break;
        case state::stable:
            d.state = "Stable";
            break;
    }
    for (const auto& [member_id, m] : g.members) {
        member_description md;
        md.member_id = member_id;
        md.client_id = m.client_id;
        md.client_host = m.client_host;
        for (const auto& [name, meta] : m.protocols) {
            if (name == g.protocol_name) {
                md.metadata = meta;
            }
        }
        if (g.st == state::stable) {
            md.assignment = m.assignment;
        }
        d.members.push_back(std::move(md));
    }
    return d;
}

std::vector<group_coordinator::group_description> group_coordinator::list()
{
    std::lock_guard lock(_mutex);
    tick_locked(_now());
    std::vector<group_description> out;
    for (const auto& [id, g] : _groups) {
        out.push_back(describe_locked(id, g));
    }
    return out;
}

group_coordinator::group_description group_coordinator::describe(const std::string& group_id)
{
    std::lock_guard lock(_mutex);
    tick_locked(_now());
    auto it = _groups.find(group_id);
    if (it == _groups.end()) {
        group_description dead;
        dead.group_id = group_id;
        dead.state = "Dead";
        return dead;
    }
    return describe_locked(group_id, it->second);
}

void group_coordinator::remove_member(group& g, const std::string& id, clock::time_point now)
{
    auto it = g.members.find(id);
    if (it == g.members.end()) {
        return;
    }
    auto& m = it->second;
    if (m.pending_join) {
        join_result r;
        r.error = wire(error_code::unknown_member_id);
        post_result(*m.join_exec, std::move(*m.pending_join), std::move(r));
    }
    if (m.pending_sync) {
        sync_result r;
        r.error = wire(error_code::unknown_member_id);
        post_result(*m.sync_exec, std::move(*m.pending_sync), std::move(r));
    }
    g.members.erase(it);
    if (g.members.empty()) {
        g.st = state::empty;
        g.leader.clear();
        return;
    }
    if (g.st != state::preparing_rebalance) {
        start_rebalance(g, now);
    }
    try_complete_join(g, false);
}

void group_coordinator::tick_locked(clock::time_point now)
{
    for (auto& [name, g] : _groups) {
        std::vector<std::string> expired;
        for (const auto& [id, m] : g.members) {
            // A member waiting for a join or sync answer is waiting for us, not gone.
            if (!m.pending_join && !m.pending_sync && now - m.last_seen > m.session_timeout) {
                expired.push_back(id);
            }
        }
        for (const auto& id : expired) {
            remove_member(g, id, now);
        }
        if (g.st == state::preparing_rebalance && now >= g.rebalance_deadline) {
            try_complete_join(g, true);
        }
    }
    std::erase_if(_groups, [](const auto& e) { return e.second.members.empty(); });
}

} // namespace plexus::protocol::kafka
