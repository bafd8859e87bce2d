// Metric handles. The kernel keeps one cell per shard behind each handle, so an update is a
// plain add on the calling shard's cell; cells are summed when /metrics is scraped.
// Names follow plexus_<part>_<name>_<unit>; a scope supplies the plexus_<part>_ prefix.
#pragma once

#include <cstdint>
#include <string_view>

namespace plexus::sdk {

class counter
{
  public:
    virtual void add(std::uint64_t n) noexcept = 0;
    void inc() noexcept { add(1); }

  protected:
    ~counter() = default;
};

class gauge
{
  public:
    virtual void add(std::int64_t delta) noexcept = 0;

  protected:
    ~gauge() = default;
};

/// A histogram with log-spaced buckets (values in the unit its name says, e.g. _us).
class histogram
{
  public:
    virtual void record(std::uint64_t value) noexcept = 0;

  protected:
    ~histogram() = default;
};

/// Hands out handles that live as long as the kernel. Asking twice for one name returns the
/// same handle. Call at setup time (factory or listener creation), not on the hot path.
class metrics_scope
{
  public:
    virtual counter& make_counter(std::string_view name, std::string_view help) noexcept = 0;
    virtual gauge& make_gauge(std::string_view name, std::string_view help) noexcept = 0;
    virtual histogram& make_histogram(std::string_view name, std::string_view help) noexcept = 0;

  protected:
    ~metrics_scope() = default;
};

} // namespace plexus::sdk
