#include "kernel/src/stream/stream_partition.h"

#include "kernel/src/stream/partition_log_name.h"
#include "plexus/sdk/log.h"

#include <fmt/format.h>

#include <algorithm>

namespace plexus::kernel {
namespace {
constexpr std::size_t subscriber_read_bytes = 1u << 20;
constexpr std::uint32_t unlimited_window = 256;
/// The formats of a stream made without any (tests): every encoded append is refused.
const record_format_set no_formats;
} // namespace

stream_partition::stream_partition(stream_options options, std::unique_ptr<sdk::log> log, sdk::executor& exec)
  : _options(std::move(options))
  , _formats(_options.formats != nullptr ? *_options.formats : no_formats)
  , _log(std::move(log))
  , _exec(exec)
{
    if (tracks_sizes()) {
        reseed_size_marks();
    }
}

void stream_partition::reseed_size_marks()
{
    _size_marks.clear();
    _size_marks.emplace_back(_log->offsets().start, _bytes_appended - _log->size_bytes());
}

stream_partition::~stream_partition() = default;

sdk::status stream_partition::deleted() const
{
    return sdk::status(sdk::errc::not_found, "stream '" + _options.name + "' was deleted");
}

void stream_partition::append(sdk::record_batch batch,
                              sdk::ack_level level,
                              sdk::callback<void(sdk::result<sdk::offset_range>)> done)
{
    if (_shut_down) {
        done(deleted());
        return;
    }
    const std::uint64_t bytes = batch.size_bytes();
    std::vector<sdk::message_ptr> to_forward;
    if (batch.encoded) {
        // Only a format some loaded plugin decodes is stored: every reader of messages would
        // fail on another. Checking the bytes is the appending protocol's job (Kafka's
        // Produce does); they are decoded here only for a forward, before the append, so that
        // a batch that cannot be forwarded is not stored either.
        if (_formats.find(batch.encoded->format) == nullptr) {
            done(sdk::status(sdk::errc::not_supported,
                             "stream '" + _options.name + "' cannot take records in format '" + batch.encoded->format +
                               "': no loaded plugin decodes it"));
            return;
        }
        if (_options.forward) {
            auto messages = _formats.decode(*batch.encoded, _options.name);
            if (!messages) {
                done(messages.error());
                return;
            }
            to_forward = std::move(*messages);
        }
    } else if (_options.forward) {
        to_forward = batch.records; // pointers: the log keeps the batch
    }
    auto r = _log->append(std::move(batch));
    if (!r) {
        done(r.error());
        return;
    }
    for (const auto& m : to_forward) {
        _options.forward(m);
    }
    if (tracks_sizes()) {
        _size_marks.emplace_back(r->first, _bytes_appended);
    }
    _bytes_appended += bytes;
    schedule();
    wake_waiters();
    if (level != sdk::ack_level::durable) {
        done(*r);
        return;
    }
    _log->flush([self = shared_from_this(), range = *r, done = std::move(done)](sdk::result<sdk::offset> f) mutable {
        if (!f) {
            done(f.error());
            return;
        }
        self->when_recorded([range, done = std::move(done)](sdk::status st) mutable {
            if (st.ok()) {
                done(range);
            } else {
                done(st);
            }
        });
    });
}

void stream_partition::fetch(sdk::offset from,
                             std::size_t max_bytes,
                             sdk::batch_form form,
                             sdk::callback<void(sdk::result<sdk::record_batch>)> done)
{
    if (form == sdk::batch_form::as_stored) {
        _log->read(from, max_bytes, std::move(done));
        return;
    }
    _log->read(from,
               max_bytes,
               [self = shared_from_this(), from, done = std::move(done)](sdk::result<sdk::record_batch> r) mutable {
                   if (!r) {
                       done(std::move(r));
                       return;
                   }
                   done(self->_formats.as_messages(std::move(*r), from, self->_options.name));
               });
}

void stream_partition::offset_for_timestamp(sdk::timestamp_ms ts, sdk::callback<void(sdk::result<sdk::offset>)> done)
{
    _log->offset_for_timestamp(ts, std::move(done));
}

void stream_partition::wait_for_records(sdk::offset from,
                                        std::chrono::milliseconds max_wait,
                                        sdk::callback<void(sdk::result<sdk::log_offsets>)> done)
{
    if (_shut_down) {
        done(deleted());
        return;
    }
    if (_log->offsets().next > from || max_wait.count() <= 0) {
        done(_log->offsets());
        return;
    }
    const std::uint64_t id = _next_waiter++;
    auto timer = _exec.post_after(max_wait, [weak = weak_from_this(), id] {
        auto self = weak.lock();
        if (!self) {
            return;
        }
        auto it = std::find_if(
          self->_waiters.begin(), self->_waiters.end(), [id](const record_waiter& w) { return w.id == id; });
        if (it == self->_waiters.end()) {
            return;
        }
        auto answer = std::move(it->done);
        self->_waiters.erase(it); // destroys this timer: asio keeps the firing wait alive
        answer(self->_log->offsets());
    });
    _waiters.push_back(record_waiter{ id, from, std::move(done), std::move(timer) });
}

void stream_partition::wake_waiters()
{
    if (_waiters.empty()) {
        return;
    }
    const auto offs = _log->offsets();
    // Collected first: an answer may come back with another wait before this loop is done.
    std::vector<sdk::callback<void(sdk::result<sdk::log_offsets>)>> ready;
    std::erase_if(_waiters, [&](record_waiter& w) {
        if (offs.next <= w.from) {
            return false;
        }
        ready.push_back(std::move(w.done));
        return true;
    });
    for (auto& answer : ready) {
        answer(offs);
    }
}

std::uint64_t stream_partition::add_subscriber(const sdk::stream_start& start,
                                               std::uint32_t prefetch,
                                               std::shared_ptr<subscriber_link> link)
{
    auto s = std::make_unique<subscriber>();
    s->id = _next_subscriber++;
    s->link = std::move(link);
    s->prefetch = prefetch == 0 ? unlimited_window : prefetch;
    auto offs = _log->offsets();
    switch (start.from) {
        case sdk::stream_start::kind::first:
            s->position = offs.start;
            break;
        case sdk::stream_start::kind::last:
            s->position = offs.next > offs.start ? offs.next - 1 : offs.next;
            break;
        case sdk::stream_start::kind::next:
            s->position = offs.next;
            break;
        case sdk::stream_start::kind::at_offset:
            s->position = std::clamp(start.at, offs.start, offs.next);
            break;
        case sdk::stream_start::kind::at_timestamp: {
            s->position = offs.next;
            s->reading = true;
            auto* raw = s.get();
            _log->offset_for_timestamp(start.ts,
                                       [self = shared_from_this(), raw, id = s->id](sdk::result<sdk::offset> r) {
                                           for (auto& sub : self->_subscribers) {
                                               if (sub->id == id) {
                                                   raw->reading = false;
                                                   if (r) {
                                                       raw->position = *r;
                                                   }
                                                   self->schedule();
                                               }
                                           }
                                       });
            break;
        }
    }
    auto id = s->id;
    _subscribers.push_back(std::move(s));
    schedule();
    return id;
}

void stream_partition::remove_subscriber(std::uint64_t id)
{
    std::erase_if(_subscribers, [&](const auto& s) { return s->id == id; });
}

void stream_partition::settle(std::uint64_t id, std::uint64_t tag, bool multiple)
{
    for (auto& s : _subscribers) {
        if (s->id != id) {
            continue;
        }
        if (multiple) {
            while (!s->unacked_tags.empty() && s->unacked_tags.front() <= tag) {
                s->unacked_tags.pop_front();
            }
        } else {
            auto it = std::lower_bound(s->unacked_tags.begin(), s->unacked_tags.end(), tag);
            if (it != s->unacked_tags.end() && *it == tag) {
                s->unacked_tags.erase(it);
            }
        }
        schedule();
    }
}

void stream_partition::schedule()
{
    if (_scheduled || _shut_down || _subscribers.empty()) {
        return;
    }
    _scheduled = true;
    _exec.post([self = shared_from_this()] {
        self->_scheduled = false;
        self->dispatch();
    });
}

void stream_partition::dispatch()
{
    for (auto& s : _subscribers) {
        pump(*s);
    }
}

void stream_partition::pump(subscriber& s)
{
    if (s.reading || _shut_down || s.unacked_tags.size() >= s.prefetch || s.position >= _log->offsets().next) {
        return;
    }
    s.reading = true;
    auto id = s.id;
    _log->read(s.position, subscriber_read_bytes, [self = shared_from_this(), id](sdk::result<sdk::record_batch> r) {
        for (auto& sub : self->_subscribers) {
            if (sub->id != id) {
                continue;
            }
            sub->reading = false;
            if (!r) {
                // Retention moved the start past us: continue from what is left.
                sub->position = std::max(sub->position, self->_log->offsets().start);
                self->schedule();
                return;
            }
            r = self->_formats.as_messages(std::move(*r), sub->position, self->_options.name);
            if (!r) {
                // Stored records no loaded format decodes are never skipped silently: the
                // consumer learns why it stops.
                sub->link->home->post([link = sub->link, why = r.error()] {
                    if (link->alive) {
                        link->sink->cancelled(why);
                    }
                });
                self->remove_subscriber(id);
                return;
            }
            std::vector<sdk::delivery> batch;
            sdk::offset o = r->base_offset;
            for (auto& m : r->records) {
                if (sub->unacked_tags.size() >= sub->prefetch) {
                    break;
                }
                if (o >= sub->position) {
                    sdk::delivery d;
                    d.tag = sub->next_tag++;
                    d.msg = std::move(m);
                    d.position = o;
                    sub->unacked_tags.push_back(d.tag);
                    batch.push_back(std::move(d));
                    sub->position = o + 1;
                }
                ++o;
            }
            if (!batch.empty()) {
                sub->link->home->post([link = sub->link, batch = std::move(batch)]() mutable {
                    if (link->alive) {
                        link->sink->deliver(std::move(batch));
                    }
                });
            }
            self->schedule();
            return;
        }
    });
}

void stream_partition::apply_retention(sdk::timestamp_ms now)
{
    if (_generation_unrecorded && !_recording) {
        record_generation(); // an earlier attempt failed
    }
    remove_retired_log();
    maybe_compact(now);
    if (_options.retention_bytes) {
        // Keep the newest appended batches whose bytes fit the limit (never the last one).
        const auto limit = static_cast<std::uint64_t>(*_options.retention_bytes);
        while (_size_marks.size() > 1 && _bytes_appended - _size_marks.front().second > limit) {
            _size_marks.pop_front();
        }
        if (!_size_marks.empty() && _size_marks.front().first > _log->offsets().start) {
            _log->truncate_prefix(_size_marks.front().first).ignore();
        }
    }
    if (_options.retention_ms) {
        sdk::timestamp_ms horizon(now() - *_options.retention_ms);
        _log->offset_for_timestamp(horizon, [self = shared_from_this()](sdk::result<sdk::offset> r) {
            if (r) {
                self->_log->truncate_prefix(*r).ignore();
                while (self->_size_marks.size() > 1 && self->_size_marks[1].first <= *r) {
                    self->_size_marks.pop_front();
                }
            }
        });
    }
}

void stream_partition::flush(sdk::callback<void(sdk::status)> done)
{
    _log->flush([self = shared_from_this(), done = std::move(done)](sdk::result<sdk::offset> r) mutable {
        if (!r) {
            done(r.error());
            return;
        }
        self->when_recorded(std::move(done));
    });
}

void stream_partition::shutdown(const sdk::status& why)
{
    for (auto& s : _subscribers) {
        s->link->home->post([link = s->link, why] {
            if (link->alive) {
                link->sink->cancelled(why);
            }
        });
    }
    _subscribers.clear();
    _shut_down = true;
    if (_compaction) {
        _compaction->cancel();
    }
    auto unrecorded = std::move(_after_recorded);
    _after_recorded.clear();
    for (auto& w : unrecorded) {
        w(why);
    }
    auto waiting = std::move(_waiters);
    _waiters.clear();
    for (auto& w : waiting) {
        w.done(why);
    }
}

// ---- compaction (ADR 0020) ---------------------------------------------------------------

std::string stream_partition::log_name(std::uint64_t generation) const
{
    return partition_log_name(_options.vhost, _options.name, _options.partition(), generation);
}

void stream_partition::maybe_compact(sdk::timestamp_ms now)
{
    if (!_options.compact || _options.engine == nullptr || _compaction || _generation_unrecorded || _shut_down ||
        !_retired_name.empty() || now() - _last_compaction() < _options.compaction_interval.count()) {
        return;
    }
    // As Kafka's min.cleanable.dirty.ratio of 0.5: clean once half of the log is new.
    const auto dirty = _bytes_appended - _bytes_at_last_compaction;
    if (dirty == 0 || dirty * 2 < _log->size_bytes()) {
        return;
    }
    _last_compaction = now; // looked at once an interval, whether a pass starts or not
    // The head, the last interval's records, is kept as it is: a consumer that keeps up
    // within it sees every record (Kafka keeps its active segment so).
    const sdk::timestamp_ms head_from(now() - _options.compaction_interval.count());
    const auto appended_by_now = _bytes_appended;
    _log->offset_for_timestamp(head_from,
                               [self = shared_from_this(), now, appended_by_now](sdk::result<sdk::offset> r) {
                                   if (!r || self->_shut_down || self->_compaction) {
                                       return;
                                   }
                                   if (*r <= self->_log->offsets().start) {
                                       return; // all of it is the head: looked at again next interval
                                   }
                                   if (*r < self->_log->offsets().next && !self->_head_postponed) {
                                       // Records are still arriving: look again on the next tick,
                                       // when what came in a burst is likely all cleanable, rather
                                       // than leave part of the burst for a pass that its small
                                       // size may never start. Once only: a stream appended to
                                       // all the time always has a head.
                                       self->_head_postponed = true;
                                       self->_last_compaction = sdk::timestamp_ms{ 0 };
                                       return;
                                   }
                                   self->_head_postponed = false;
                                   // The head stays as it was, so it is still new for the next look; so is what came
                                   // after the look. The earlier of the two, as distances back from now (the counts are
                                   // modulo 2^64).
                                   const auto total = self->_bytes_appended;
                                   self->_bytes_at_last_compaction =
                                     total - std::max(total - appended_by_now, total - self->bytes_appended_before(*r));
                                   self->start_compaction(*r, now);
                               });
}

std::uint64_t stream_partition::bytes_appended_before(sdk::offset o) const noexcept
{
    if (o >= _log->offsets().next) {
        return _bytes_appended; // past every batch
    }
    // The last batch starting at or before `o`: what came before it. Marks are in offset order.
    auto after = std::upper_bound(
      _size_marks.begin(), _size_marks.end(), o, [](sdk::offset v, const std::pair<sdk::offset, std::uint64_t>& m) {
          return v < m.first;
      });
    if (after == _size_marks.begin()) {
        return _size_marks.empty() ? _bytes_appended : _size_marks.front().second;
    }
    return std::prev(after)->second;
}

void stream_partition::start_compaction(sdk::offset clean_end, sdk::timestamp_ms now)
{
    compaction_plan plan;
    plan.source = _log.get();
    plan.engine = _options.engine;
    plan.target.name = log_name(_options.generation + 1);
    plan.target.owner = &_exec;
    plan.target.segment_bytes = _options.segment_bytes;
    plan.clean_end = clean_end;
    plan.tombstone_horizon =
      sdk::timestamp_ms(now() - _options.delete_retention_ms.value_or(sdk::default_delete_retention_ms));
    plan.formats = &_formats;
    _compaction_began = std::chrono::steady_clock::now();
    _compaction = log_compaction::start(std::move(plan),
                                        [self = shared_from_this()](auto r) mutable { self->compacted(std::move(r)); });
}

void stream_partition::compacted(sdk::result<compaction_outcome> r)
{
    _compaction.reset();
    if (_shut_down) {
        return;
    }
    if (!r) {
        if (_options.logger != nullptr) {
            PLEXUS_LOG(*_options.logger,
                       warn,
                       "stream '{}' partition {}: compaction stopped, the next one starts over: {}",
                       _options.name,
                       _options.partition(),
                       r.error().to_string());
        }
        _retired_name = log_name(_options.generation + 1); // what the pass made, if anything
        return;
    }
    // Caught up on this turn: from here on appends go to the copy.
    const auto start = _log->offsets().start;
    const auto before = _log->size_bytes();
    _retired_log = std::move(_log);
    _retired_name = log_name(_options.generation);
    _log = std::move(r->log);
    if (_log->offsets().start < start) {
        _log->truncate_prefix(start).ignore();
    }
    ++_options.generation;
    _generation_unrecorded = true;
    reseed_size_marks();
    if (_options.logger != nullptr) {
        PLEXUS_LOG(
          *_options.logger,
          info,
          "stream '{}' partition {}: compacted to generation {} in {} ms: {} records kept, {} dropped, {} "
          "of {} bytes",
          _options.name,
          _options.partition(),
          _options.generation,
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - _compaction_began)
            .count(),
          r->records_kept,
          r->records_dropped,
          _log->size_bytes(),
          before);
    }
    record_generation();
}

void stream_partition::record_generation()
{
    // The copy must be durable before the metadata names it: a restart reads that log.
    _recording = true;
    const auto generation = _options.generation;
    _log->flush([self = shared_from_this(), generation](sdk::result<sdk::offset> f) {
        if (!f) {
            self->_recording = false;
            return; // retried on the next tick
        }
        std::vector<sdk::kv_store::write> w;
        w.push_back({ partition_generation_key(self->_options.vhost, self->_options.name, self->_options.partition()),
                      encode_generation(generation) });
        self->_options.engine->metadata().apply(std::move(w), [self](sdk::status st) {
            self->_exec.post([self, st] {
                self->_recording = false;
                if (!st.ok()) {
                    if (self->_options.logger != nullptr) {
                        PLEXUS_LOG(*self->_options.logger,
                                   warn,
                                   "stream '{}' partition {}: cannot record its compacted log, retrying: {}",
                                   self->_options.name,
                                   self->_options.partition(),
                                   st.to_string());
                    }
                    return;
                }
                self->_generation_unrecorded = false;
                auto waiting = std::move(self->_after_recorded);
                self->_after_recorded.clear();
                for (auto& w : waiting) {
                    w(sdk::status{});
                }
            });
        });
    });
}

void stream_partition::when_recorded(sdk::callback<void(sdk::status)> then)
{
    if (!_generation_unrecorded) {
        then(sdk::status{});
        return;
    }
    _after_recorded.push_back(std::move(then));
}

void stream_partition::remove_retired_log()
{
    // One tick after the swap at the earliest, so reads issued to the old log have finished,
    // and only once the new one is recorded: until then a restart would open the old one.
    if (_generation_unrecorded || _retired_name.empty()) {
        return;
    }
    if (_retired_log) {
        _retired_log.reset();
        return; // removed on the next tick
    }
    _options.engine->remove_log(_retired_name).ignore();
    _retired_name.clear();
}

} // namespace plexus::kernel
