// result<T>: a value or a failed status. GCC 12 has no <expected> in C++20, so the SDK has its
// own; the spelling follows std::expected so that a later switch is mechanical.
#pragma once

#include "plexus/sdk/status.h"

#include <cassert>
#include <utility>
#include <variant>

namespace plexus::sdk {

template<class T>
class [[nodiscard]] result
{
  public:
    /// An empty (failed, errc::internal) result; exists for generic code that must
    /// default-construct before assigning (e.g. coroutine frameworks).
    result() noexcept
      : _v(std::in_place_index<0>, status(errc::internal, "result has no value"))
    {
    }
    result(T value) noexcept(std::is_nothrow_move_constructible_v<T>)
      : _v(std::in_place_index<1>, std::move(value))
    {
    }
    /// A failed status. Passing an ok status is a programming error and becomes errc::internal.
    result(status error) noexcept
      : _v(std::in_place_index<0>,
           error.ok() ? status(errc::internal, "result built from an ok status") : std::move(error))
    {
    }
    result(errc code, std::string_view message)
      : result(status(code, message))
    {
    }

    bool has_value() const noexcept { return _v.index() == 1; }
    bool ok() const noexcept { return has_value(); }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & noexcept
    {
        assert(has_value());
        return *std::get_if<1>(&_v);
    }
    const T& value() const& noexcept
    {
        assert(has_value());
        return *std::get_if<1>(&_v);
    }
    T&& value() && noexcept
    {
        assert(has_value());
        return std::move(*std::get_if<1>(&_v));
    }
    T& operator*() & noexcept { return value(); }
    const T& operator*() const& noexcept { return value(); }
    T&& operator*() && noexcept { return std::move(*this).value(); }
    T* operator->() noexcept { return &value(); }
    const T* operator->() const noexcept { return &value(); }

    /// The failure; an ok status when there is a value.
    status error() const noexcept { return has_value() ? status() : *std::get_if<0>(&_v); }

  private:
    std::variant<status, T> _v;
};

} // namespace plexus::sdk
