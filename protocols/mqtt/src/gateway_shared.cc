#include "gateway_shared.h"

namespace plexus::protocol::mqtt {
namespace {

constexpr std::uint32_t never_expires = 0xFFFFFFFF;

std::int64_t now_ms()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

void gateway_shared::attach(sdk::kernel& k, sdk::executor& shard)
{
    // Held through the loading, so a first connection on another shard (or listener) does
    // not look a client id up before its restored session is in the registry.
    std::lock_guard lock(_attach_mutex);
    if (_attached) {
        return;
    }
    auto& store = k.plugin_store("mqtt");
    auto& log = k.log("protocol.mqtt");
    retained.attach(store, log);
    restore_sessions(k, shard, session_records.attach(store, log));
    sys.start(k, shard);
    _attached = true;
}

void gateway_shared::restore_sessions(sdk::kernel& k, sdk::executor& shard, std::vector<session_store::stored> stored)
{
    const auto now = now_ms();
    std::size_t restored = 0;
    std::size_t expired = 0;
    for (const auto& s : stored) {
        for (const auto& [key, sub] : s.record.subscriptions) {
            if (sub.shared) {
                groups.join(s.vhost, shared_queue_name(*sub.shared), s.client_id);
            }
        }
    }
    for (auto& s : stored) {
        auto& r = s.record;
        // A session whose client was connected when plexusd stopped went offline then; the
        // stop time is unknown, so its expiry counts from now.
        const std::int64_t offline_since = r.offline_since_ms == 0 ? now : r.offline_since_ms;
        const std::int64_t left_ms =
          r.expiry_seconds == never_expires ? 1 : offline_since + std::int64_t{ r.expiry_seconds } * 1000 - now;
        if (r.queue.empty() || left_ms <= 0) {
            if (!r.queue.empty()) {
                k.delete_queue(s.vhost, r.queue, false, false, [](sdk::result<std::uint64_t>) {});
            }
            session_records.remove(s.vhost, s.client_id);
            leave_groups(k, s.vhost, s.client_id, r.subscriptions);
            ++expired;
            continue;
        }
        auto st = std::make_shared<session_state>(s.client_id);
        {
            std::lock_guard lock(st->mutex);
            st->queue = r.queue;
            st->persistent = true;
            st->expiry_seconds = r.expiry_seconds;
            st->subscriptions = std::move(r.subscriptions);
            st->inbound_qos2 = std::move(r.inbound_qos2);
            st->outbound_qos2 = std::move(r.outbound_qos2);
            if (r.expiry_seconds != never_expires) {
                st->timer_shard = &shard;
                st->expiry_timer =
                  arm_expiry(k, shard, st, st->generation, s.vhost, std::chrono::milliseconds(left_ms));
            }
        }
        sessions_of(s.vhost).keep(s.client_id, std::move(st));
        ++restored;
    }
    if (restored + expired > 0) {
        PLEXUS_LOG(k.log("protocol.mqtt"),
                   info,
                   "{} persistent session(s) restored, {} expired while plexusd was down",
                   restored,
                   expired);
    }
}

session_registry& gateway_shared::sessions_of(const std::string& vhost)
{
    std::lock_guard lock(_registries_mutex);
    return _registries[vhost]; // std::map: the reference stays valid as others are added
}

void gateway_shared::add_vhost(const std::string& vhost)
{
    std::lock_guard lock(_registries_mutex);
    _registries.try_emplace(vhost);
    _vhosts.insert(vhost);
}

std::set<std::string> gateway_shared::vhosts() const
{
    std::lock_guard lock(_registries_mutex);
    return _vhosts;
}

void gateway_shared::leave_groups(sdk::kernel& k,
                                  const std::string& vhost,
                                  const std::string& client_id,
                                  const std::map<std::string, subscription_entry>& subs,
                                  sdk::callback<void()> done)
{
    // One count for each deletion under way, and one for this loop, so that `done` runs once,
    // after the last of them.
    struct join
    {
        unsigned pending = 1;
        sdk::callback<void()> done;
    };
    auto j = std::make_shared<join>(join{ 1, std::move(done) });
    auto finish = [j] {
        if (--j->pending == 0 && j->done) {
            j->done();
        }
    };
    for (const auto& [key, sub] : subs) {
        if (sub.shared) {
            const auto queue = shared_queue_name(*sub.shared);
            if (groups.leave(vhost, queue, client_id)) {
                ++j->pending;
                k.delete_queue(vhost, queue, true, false, [finish](sdk::result<std::uint64_t>) { finish(); });
            }
        }
    }
    finish();
}

void gateway_shared::leave_groups(sdk::kernel& k,
                                  const std::string& vhost,
                                  session_state& st,
                                  sdk::callback<void()> done)
{
    std::map<std::string, subscription_entry> subs;
    {
        std::lock_guard lock(st.mutex);
        subs = st.subscriptions;
    }
    leave_groups(k, vhost, st.client_id, subs, std::move(done));
}

std::unique_ptr<sdk::timer> gateway_shared::arm_expiry(sdk::kernel& k,
                                                       sdk::executor& shard,
                                                       std::shared_ptr<session_state> st,
                                                       std::uint64_t generation,
                                                       std::string vhost,
                                                       std::chrono::milliseconds after)
{
    return shard.post_after(after, [k = &k, self = weak_from_this(), st, generation, vhost] {
        auto gateway = self.lock();
        if (!gateway) {
            return; // the broker is going away
        }
        std::string queue;
        std::map<std::string, subscription_entry> subs;
        {
            std::lock_guard lock(st->mutex);
            if (st->generation != generation) {
                return; // a connection took the session since
            }
            queue = st->queue;
            subs = st->subscriptions;
        }
        k->delete_queue(vhost, queue, false, false, [](sdk::result<std::uint64_t>) {});
        gateway->session_records.remove(vhost, st->client_id);
        gateway->leave_groups(*k, vhost, st->client_id, subs);
        gateway->sessions_of(vhost).expire(st->client_id, st.get());
    });
}

} // namespace plexus::protocol::mqtt
