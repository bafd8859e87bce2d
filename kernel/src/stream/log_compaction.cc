#include "kernel/src/stream/log_compaction.h"

#include <algorithm>

namespace plexus::kernel {
namespace {
constexpr std::size_t read_bytes = 1u << 20;
/// Reads of the head after which a copy that still has not caught up gives up: the stream
/// takes appends faster than they can be copied, and the next pass tries again.
constexpr std::uint64_t max_head_reads = 4096;

/// The messages of `batch` in [first, last), as a batch at offset base + first.
sdk::record_batch slice(const sdk::record_batch& batch, std::size_t first, std::size_t last)
{
    sdk::record_batch out;
    out.base_offset = batch.base_offset + static_cast<std::int64_t>(first);
    out.records.assign(batch.records.begin() + static_cast<std::ptrdiff_t>(first),
                       batch.records.begin() + static_cast<std::ptrdiff_t>(last));
    return out;
}
} // namespace

std::shared_ptr<log_compaction> log_compaction::start(compaction_plan plan,
                                                      sdk::callback<void(sdk::result<compaction_outcome>)> done)
{
    auto pass = std::make_shared<log_compaction>(std::move(plan), std::move(done));
    pass->read_keys(pass->_plan.source->offsets().start);
    return pass;
}

log_compaction::log_compaction(compaction_plan plan, sdk::callback<void(sdk::result<compaction_outcome>)> done)
  : _plan(std::move(plan))
  , _done(std::move(done))
{
}

void log_compaction::finish(sdk::result<compaction_outcome> r)
{
    if (_done) {
        auto done = std::move(_done);
        done(std::move(r));
    }
}

void log_compaction::read_keys(sdk::offset from)
{
    if (from >= _plan.clean_end) {
        copy(_plan.source->offsets().start);
        return;
    }
    _plan.source->read(from, read_bytes, [self = shared_from_this()](sdk::result<sdk::record_batch> r) {
        if (self->_cancelled) {
            self->finish(sdk::status(sdk::errc::unavailable, "the partition went away"));
            return;
        }
        if (!r) {
            self->finish(r.error());
            return;
        }
        if (r->empty()) { // retention cut the log below clean_end meanwhile
            self->next_step(&log_compaction::copy, self->_plan.source->offsets().start);
            return;
        }
        self->learn_keys(*r);
        if (!self->_done) {
            return;
        }
        self->next_step(&log_compaction::read_keys, r->last_offset() + 1);
    });
}

void log_compaction::learn_keys(const sdk::record_batch& batch)
{
    if (batch.encoded) {
        auto keys = _plan.formats->keys(*batch.encoded);
        if (!keys) {
            finish(keys.error());
            return;
        }
        for (std::size_t i = 0; i < keys->size(); ++i) {
            if (!(*keys)[i].key.empty()) {
                _newest[std::move((*keys)[i].key)] = batch.base_offset + static_cast<std::int64_t>(i);
            }
        }
        return;
    }
    for (std::size_t i = 0; i < batch.records.size(); ++i) {
        if (!batch.records[i]->key.empty()) {
            _newest[batch.records[i]->key] = batch.base_offset + static_cast<std::int64_t>(i);
        }
    }
}

sdk::result<std::vector<bool>> log_compaction::survivors(const sdk::record_batch& batch) const
{
    std::vector<bool> keep(batch.size(), true);
    auto decide = [&](std::size_t i, const std::string& key, bool tombstone, sdk::timestamp_ms ts) {
        const auto at = batch.base_offset + static_cast<std::int64_t>(i);
        if (key.empty() || at >= _plan.clean_end) {
            return;
        }
        auto newest = _newest.find(key);
        if (newest == _newest.end()) {
            return; // learnt after the first pass read past it: keep
        }
        keep[i] = newest->second == at && !(tombstone && ts < _plan.tombstone_horizon);
    };
    if (batch.encoded) {
        auto keys = _plan.formats->keys(*batch.encoded);
        if (!keys) {
            return keys.error();
        }
        for (std::size_t i = 0; i < keys->size(); ++i) {
            decide(i, (*keys)[i].key, (*keys)[i].tombstone, (*keys)[i].timestamp);
        }
    } else {
        for (std::size_t i = 0; i < batch.records.size(); ++i) {
            decide(i, batch.records[i]->key, false, batch.records[i]->timestamp);
        }
    }
    return keep;
}

sdk::status log_compaction::copy_batch(sdk::record_batch batch)
{
    auto& target = *_outcome.log;
    if (batch.last_offset() < target.offsets().next) {
        return {}; // copied already (an encoded batch read again from inside it)
    }
    auto keep = survivors(batch);
    if (!keep) {
        return keep.error();
    }
    const auto kept = static_cast<std::uint64_t>(std::count(keep->begin(), keep->end(), true));
    _outcome.records_kept += kept;
    _outcome.records_dropped += keep->size() - kept;
    if (kept == keep->size()) {
        return target.append_at(std::move(batch)).error();
    }
    if (batch.encoded) {
        auto rewritten = _plan.formats->retain(*batch.encoded, batch.base_offset, *keep);
        if (!rewritten) {
            return rewritten.error();
        }
        for (auto& b : *rewritten) {
            if (auto r = target.append_at(std::move(b)); !r) {
                return r.error();
            }
        }
        return {};
    }
    // Messages: each run of survivors is a dense batch at its own offset.
    for (std::size_t i = 0; i < keep->size();) {
        if (!(*keep)[i]) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < keep->size() && (*keep)[end]) {
            ++end;
        }
        if (auto r = target.append_at(slice(batch, i, end)); !r) {
            return r.error();
        }
        i = end;
    }
    return {};
}

void log_compaction::copy(sdk::offset from)
{
    const auto next = _plan.source->offsets().next;
    if (from >= next) {
        if (!_outcome.log && !open_target(from)) {
            return;
        }
        finish(std::move(_outcome)); // caught up: the caller swaps on this turn
        return;
    }
    if (from >= _plan.clean_end && ++_head_reads > max_head_reads) {
        finish(sdk::status(sdk::errc::resource_exhausted, "appends outpace the copy of the head"));
        return;
    }
    _plan.source->read(from, read_bytes, [self = shared_from_this(), from](sdk::result<sdk::record_batch> r) {
        if (self->_cancelled) {
            self->finish(sdk::status(sdk::errc::unavailable, "the partition went away"));
            return;
        }
        if (!r) {
            if (r.error().code() == sdk::errc::not_found) { // retention moved the start past us
                self->next_step(&log_compaction::copy, std::max(from, self->_plan.source->offsets().start));
                return;
            }
            self->finish(r.error());
            return;
        }
        if (r->empty()) {
            self->next_step(&log_compaction::copy, from);
            return;
        }
        // An encoded batch that a prefix cut went into comes back whole: the copy begins at
        // its base (the caller cuts the copy where the source began).
        if (!self->_outcome.log && !self->open_target(std::min(from, r->base_offset))) {
            return;
        }
        const auto after = r->last_offset() + 1;
        if (auto st = self->copy_batch(std::move(*r)); !st.ok()) {
            self->finish(st);
            return;
        }
        self->next_step(&log_compaction::copy, after);
    });
}

bool log_compaction::open_target(sdk::offset first)
{
    _plan.target.first_offset = first;
    _plan.engine->remove_log(_plan.target.name).ignore(); // what an earlier pass left
    auto log = _plan.engine->open_log(_plan.target);
    if (!log) {
        finish(log.error());
        return false;
    }
    _outcome.log = std::move(*log);
    return true;
}

void log_compaction::next_step(void (log_compaction::*step)(sdk::offset), sdk::offset from)
{
    // Through the shard's queue: an engine that completes reads inline would otherwise
    // recurse once per batch.
    _plan.target.owner->post([self = shared_from_this(), step, from] { ((*self).*step)(from); });
}

} // namespace plexus::kernel
