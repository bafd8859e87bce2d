#include "kernel/src/observability/metrics_registry.h"

#include "kernel/src/server/current_shard.h"

#include <fmt/format.h>

#include <atomic>
#include <bit>
#include <map>
#include <mutex>
#include <vector>

namespace plexus::kernel {
namespace {

// One cell per shard plus one for threads that are not shards; padded so that shards never
// share a cache line. Relaxed atomics: one writer per cell in practice, readers only scrape.
struct alignas(64) cell
{
    std::atomic<std::int64_t> value{ 0 };
};

class cells
{
  public:
    explicit cells(unsigned shards)
      : _cells(shards + 1)
    {
    }
    std::atomic<std::int64_t>& mine() noexcept
    {
        auto s = current_shard();
        return _cells[s < _cells.size() - 1 ? s : _cells.size() - 1].value;
    }
    std::int64_t sum() const noexcept
    {
        std::int64_t total = 0;
        for (const auto& c : _cells) {
            total += c.value.load(std::memory_order_relaxed);
        }
        return total;
    }

  private:
    std::vector<cell> _cells;
};

class counter_impl final : public sdk::counter
{
  public:
    explicit counter_impl(unsigned shards)
      : _cells(shards)
    {
    }
    void add(std::uint64_t n) noexcept override
    {
        _cells.mine().fetch_add(static_cast<std::int64_t>(n), std::memory_order_relaxed);
    }
    std::int64_t value() const noexcept { return _cells.sum(); }

  private:
    cells _cells;
};

class gauge_impl final : public sdk::gauge
{
  public:
    explicit gauge_impl(unsigned shards)
      : _cells(shards)
    {
    }
    void add(std::int64_t delta) noexcept override { _cells.mine().fetch_add(delta, std::memory_order_relaxed); }
    std::int64_t value() const noexcept { return _cells.sum(); }

  private:
    cells _cells;
};

// Buckets at powers of two: bucket i counts values < 2^i (the last one is +Inf).
constexpr unsigned histogram_buckets = 40;

class histogram_impl final : public sdk::histogram
{
  public:
    explicit histogram_impl(unsigned shards)
      : _sum(shards)
      , _count(shards)
    {
        for (unsigned i = 0; i < histogram_buckets; ++i) {
            _buckets.push_back(std::make_unique<cells>(shards));
        }
    }
    void record(std::uint64_t v) noexcept override
    {
        unsigned b = v == 0 ? 0 : static_cast<unsigned>(std::bit_width(v));
        if (b >= histogram_buckets) {
            b = histogram_buckets - 1;
        }
        _buckets[b]->mine().fetch_add(1, std::memory_order_relaxed);
        _sum.mine().fetch_add(static_cast<std::int64_t>(v), std::memory_order_relaxed);
        _count.mine().fetch_add(1, std::memory_order_relaxed);
    }
    void render(std::string& out, const std::string& name) const
    {
        std::int64_t cumulative = 0;
        for (unsigned i = 0; i + 1 < histogram_buckets; ++i) {
            cumulative += _buckets[i]->sum();
            out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, (std::uint64_t{ 1 } << i), cumulative);
        }
        cumulative += _buckets[histogram_buckets - 1]->sum();
        out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
        out += fmt::format("{}_sum {}\n{}_count {}\n", name, _sum.sum(), name, _count.sum());
    }

  private:
    std::vector<std::unique_ptr<cells>> _buckets;
    cells _sum;
    cells _count;
};

struct metric
{
    std::string help;
    std::unique_ptr<counter_impl> c;
    std::unique_ptr<gauge_impl> g;
    std::unique_ptr<histogram_impl> h;
};

} // namespace

struct metrics_registry::impl
{
    unsigned shards;
    mutable std::mutex mu;
    std::map<std::string, metric> metrics; // full name → metric; ordered for stable output

    class scope_impl final : public sdk::metrics_scope
    {
      public:
        scope_impl(impl& owner, std::string prefix)
          : _owner(owner)
          , _prefix(std::move(prefix))
        {
        }
        sdk::counter& make_counter(std::string_view name, std::string_view help) noexcept override
        {
            auto& m = _owner.get(_prefix + std::string(name), help);
            if (!m.c) {
                m.c = std::make_unique<counter_impl>(_owner.shards);
            }
            return *m.c;
        }
        sdk::gauge& make_gauge(std::string_view name, std::string_view help) noexcept override
        {
            auto& m = _owner.get(_prefix + std::string(name), help);
            if (!m.g) {
                m.g = std::make_unique<gauge_impl>(_owner.shards);
            }
            return *m.g;
        }
        sdk::histogram& make_histogram(std::string_view name, std::string_view help) noexcept override
        {
            auto& m = _owner.get(_prefix + std::string(name), help);
            if (!m.h) {
                m.h = std::make_unique<histogram_impl>(_owner.shards);
            }
            return *m.h;
        }

      private:
        impl& _owner;
        std::string _prefix;
    };
    std::map<std::string, std::unique_ptr<scope_impl>, std::less<>> scopes;

    metric& get(const std::string& name, std::string_view help)
    {
        std::lock_guard lk(mu);
        auto& m = metrics[name];
        if (m.help.empty()) {
            m.help = std::string(help);
        }
        return m;
    }
};

metrics_registry::metrics_registry(unsigned shard_count)
  : _impl(std::make_unique<impl>())
{
    _impl->shards = shard_count;
}

metrics_registry::~metrics_registry() = default;

sdk::metrics_scope& metrics_registry::scope(std::string_view prefix)
{
    std::lock_guard lk(_impl->mu);
    auto it = _impl->scopes.find(prefix);
    if (it == _impl->scopes.end()) {
        it =
          _impl->scopes
            .emplace(std::string(prefix), std::make_unique<impl::scope_impl>(*_impl, fmt::format("plexus_{}_", prefix)))
            .first;
    }
    return *it->second;
}

std::string metrics_registry::render_prometheus() const
{
    std::lock_guard lk(_impl->mu);
    std::string out;
    for (const auto& [name, m] : _impl->metrics) {
        out += fmt::format("# HELP {} {}\n", name, m.help);
        if (m.c) {
            out += fmt::format("# TYPE {} counter\n{} {}\n", name, name, m.c->value());
        } else if (m.g) {
            out += fmt::format("# TYPE {} gauge\n{} {}\n", name, name, m.g->value());
        } else if (m.h) {
            out += fmt::format("# TYPE {} histogram\n", name);
            m.h->render(out, name);
        }
    }
    return out;
}

} // namespace plexus::kernel
