#include "producer_sequences.h"

#include <algorithm>

namespace plexus::protocol::kafka {
namespace {

constexpr std::size_t batches_kept = 5;

} // namespace

std::int64_t producer_sequences::new_producer_id()
{
    std::lock_guard lock(_mutex);
    return _next_id++;
}

producer_sequences::check_result producer_sequences::check(const std::string& topic,
                                                           std::int32_t partition,
                                                           const batch_key& batch)
{
    std::lock_guard lock(_mutex);
    auto [it, fresh] = _states.try_emplace(key{ batch.producer_id, topic, partition });
    auto& st = it->second;
    if (!fresh && batch.epoch < st.epoch) {
        return { verdict::fenced };
    }
    if (!fresh && batch.epoch == st.epoch) {
        for (const auto& r : st.recent) {
            if (r.first_sequence == batch.first_sequence && r.count == batch.count) {
                return { r.offset < 0 ? verdict::in_flight : verdict::duplicate, r.offset };
            }
        }
        if (batch.first_sequence != st.next_sequence) {
            return { verdict::out_of_order };
        }
    }
    // New state, a new epoch, or the next batch in order.
    if (fresh || batch.epoch != st.epoch) {
        st = partition_state{};
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
                                  std::int64_t offset)
{
    std::lock_guard lock(_mutex);
    auto it = _states.find(key{ batch.producer_id, topic, partition });
    if (it == _states.end() || it->second.epoch != batch.epoch) {
        return;
    }
    auto& st = it->second;
    if (offset < 0) { // failed: forget the producer here, so that its retry is accepted
        _states.erase(it);
        return;
    }
    for (auto& r : st.recent) {
        if (r.first_sequence == batch.first_sequence && r.count == batch.count) {
            r.offset = offset;
        }
    }
}

} // namespace plexus::protocol::kafka
