#include "producer_sequences.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

constexpr std::size_t batches_kept = 5;
constexpr std::int64_t state_expiry_ms = 24 * 60 * 60 * 1000; // Kafka's producer.id.expiration.ms

/// What a restart may know of a state: the batches whose append completed, and the sequence
/// after the last of them (a batch still in flight is not stored: after a restart its retry
/// must be taken as new).
stored_partition_state durable_part(const stored_partition_state& st, std::int64_t now_ms)
{
    stored_partition_state out;
    out.epoch = st.epoch;
    out.updated_ms = now_ms;
    out.next_sequence = -1;
    for (const auto& b : st.recent) {
        if (b.offset >= 0) {
            out.recent.push_back(b);
            out.next_sequence = b.first_sequence + b.count;
        }
    }
    return out;
}

} // namespace

producer_sequences::producer_sequences(std::int64_t first_id)
  : _ids(std::make_shared<producer_ids>(first_id))
{
}

void producer_sequences::attach(sdk::kv_store& store, std::string vhost, sdk::logger& log, std::int64_t now_ms)
{
    std::lock_guard lock(_mutex);
    if (_store != nullptr) {
        return;
    }
    _store = &store;
    _log = &log;
    _vhost = std::move(vhost);

    std::int64_t stored_next = 0;
    auto ids = store.get(producer_ids_key(_vhost));
    if (!ids) {
        PLEXUS_LOG(log, warn, "kafka: the reserved producer ids could not be read: {}", ids.error().to_string());
    } else if (*ids) {
        if (auto next = decode_producer_id(**ids)) {
            stored_next = *next;
        } else {
            PLEXUS_LOG(log, warn, "kafka: the stored producer id reservation could not be decoded");
        }
    }
    _ids->attach(store, producer_ids_key(_vhost), stored_next);
    _earlier_ids_below = stored_next;

    const auto prefix = producer_states_prefix(_vhost);
    auto rows = store.scan(prefix);
    if (!rows) {
        PLEXUS_LOG(log, warn, "kafka: idempotent producers' state could not be read: {}", rows.error().to_string());
        return;
    }
    std::vector<sdk::kv_store::write> expired;
    std::size_t loaded = 0;
    for (const auto& [k, value] : *rows) {
        auto which = decode_producer_state_key(std::string_view(k).substr(prefix.size()));
        auto state = decode_partition_state(value);
        if (!which || !state) {
            PLEXUS_LOG(log, warn, "kafka: a stored idempotent producer state could not be decoded and is skipped");
            continue;
        }
        if (now_ms - state->updated_ms > state_expiry_ms) {
            expired.push_back({ k, std::nullopt });
            continue;
        }
        _states[key{ which->producer_id, which->topic, which->partition }] = std::move(*state);
        ++loaded;
    }
    if (!expired.empty()) {
        store.apply(std::move(expired), [](sdk::status) {}); // retried at the next start if lost
    }
    if (loaded > 0) {
        PLEXUS_LOG(log, info, "kafka: restored {} idempotent producer partition state(s)", loaded);
    }
}

void producer_sequences::new_producer_id(sdk::callback<void(sdk::result<std::int64_t>)> done)
{
    _ids->next(std::move(done));
}

producer_sequences::check_result producer_sequences::check(const std::string& topic,
                                                           std::int32_t partition,
                                                           const batch_key& batch)
{
    std::lock_guard lock(_mutex);
    const key k{ batch.producer_id, topic, partition };
    if (batch.producer_id < _earlier_ids_below && !_looked_at.contains(k)) {
        // From the offset after its newest batch the store knows of, if it knows one.
        std::int64_t from = -1;
        if (auto known = _states.find(k); known != _states.end()) {
            for (const auto& r : known->second.recent) {
                from = std::max(from, r.offset >= 0 ? r.offset + 1 : -1);
            }
        }
        return { verdict::verify, from };
    }
    auto [it, fresh] = _states.try_emplace(k);
    auto& st = it->second;
    if (!fresh && batch.epoch < st.epoch) {
        return { verdict::fenced };
    }
    // A restored state whose batches were all still in flight knows no sequence (-1).
    if (!fresh && batch.epoch == st.epoch) {
        for (const auto& r : st.recent) {
            if (r.first_sequence == batch.first_sequence && r.count == batch.count) {
                return { r.offset < 0 ? verdict::in_flight : verdict::duplicate, r.offset };
            }
        }
        if (st.next_sequence >= 0 && batch.first_sequence != st.next_sequence) {
            return { verdict::out_of_order };
        }
    }
    // New state, a new epoch, or the next batch in order.
    if (fresh || batch.epoch != st.epoch) {
        st = stored_partition_state{};
        st.epoch = batch.epoch;
    }
    st.next_sequence = batch.first_sequence + batch.count;
    st.recent.push_back({ batch.first_sequence, batch.count, -1 });
    if (st.recent.size() > batches_kept) {
        st.recent.pop_front();
    }
    return { verdict::append };
}

void producer_sequences::appended(const std::string& topic,
                                  std::int32_t partition,
                                  const batch_key& batch,
                                  std::int64_t offset,
                                  std::int64_t now_ms,
                                  sdk::callback<void()> stored)
{
    std::lock_guard lock(_mutex);
    const key k{ batch.producer_id, topic, partition };
    auto it = _states.find(k);
    if (it == _states.end() || it->second.epoch != batch.epoch) {
        if (stored) {
            stored(); // nothing of it is kept (a newer epoch took over)
        }
        return;
    }
    auto& st = it->second;
    if (offset < 0) { // failed: forget the producer here, so that its retry is accepted
        _states.erase(it);
        store_locked(k, nullptr, std::move(stored));
        return;
    }
    for (auto& r : st.recent) {
        if (r.first_sequence == batch.first_sequence && r.count == batch.count) {
            r.offset = offset;
        }
    }
    auto durable = durable_part(st, now_ms);
    store_locked(k, &durable, std::move(stored));
}

void producer_sequences::recovered(const std::string& topic,
                                   std::int32_t partition,
                                   std::int64_t producer_id,
                                   const std::vector<found_batch>& found,
                                   std::int64_t now_ms)
{
    std::lock_guard lock(_mutex);
    const key k{ producer_id, topic, partition };
    if (!_looked_at.insert(k).second) {
        return; // another session's read got here first
    }
    if (found.empty()) {
        return;
    }
    auto& st = _states[k];
    for (const auto& b : found) {
        if (b.epoch != st.epoch || st.recent.empty()) {
            if (b.epoch < st.epoch) {
                continue;
            }
            st = stored_partition_state{};
            st.epoch = b.epoch;
        }
        if (std::any_of(st.recent.begin(), st.recent.end(), [&](const auto& r) { return r.offset == b.offset; })) {
            continue; // the store knew it
        }
        st.next_sequence = b.first_sequence + b.count;
        st.recent.push_back({ b.first_sequence, b.count, b.offset });
        if (st.recent.size() > batches_kept) {
            st.recent.pop_front();
        }
    }
    auto durable = durable_part(st, now_ms);
    store_locked(k, &durable);
}

void producer_sequences::store_locked(const key& k, const stored_partition_state* state, sdk::callback<void()> stored)
{
    if (_store == nullptr) {
        if (stored) {
            stored();
        }
        return;
    }
    std::vector<sdk::kv_store::write> writes;
    producer_partition which{ .producer_id = std::get<0>(k), .topic = std::get<1>(k), .partition = std::get<2>(k) };
    writes.push_back({ producer_state_key(_vhost, which),
                       state ? std::optional<std::string>(encode_partition_state(*state)) : std::nullopt });
    // The completion may run inline, under this lock: it must not take it.
    _store->apply(std::move(writes), [log = _log, stored = std::move(stored)](sdk::status st) mutable {
        if (!st.ok()) {
            PLEXUS_LOG(*log, warn, "kafka: an idempotent producer's state could not be stored: {}", st.to_string());
        }
        if (stored) {
            stored();
        }
    });
}

} // namespace plexus::protocol::kafka
