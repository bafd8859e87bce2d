// status: the error currency of the SDK. No exception crosses a plugin boundary; every
// fallible call returns a status or a result<T> (result.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace plexus::sdk {

/// Error codes shared by the kernel and every plugin. Each gateway maps them to its
/// protocol's own codes in one place (protocols/<name>/src/errors.cc).
enum class errc : std::uint16_t
{
    ok = 0,
    not_found,
    already_exists,
    invalid_argument,
    protocol_error,
    unauthenticated,
    forbidden,
    resource_exhausted,
    unavailable,
    timed_out,
    io_error,
    corruption,
    not_supported,
    precondition_failed, // e.g. redeclaring a queue with other properties, deleting a non-empty one
    locked,              // an exclusive queue used from another connection
    internal,
};

/// Stable lower-case name of an error code, for logs and JSON.
constexpr std::string_view to_string(errc c) noexcept
{
    switch (c) {
        case errc::ok:
            return "ok";
        case errc::not_found:
            return "not_found";
        case errc::already_exists:
            return "already_exists";
        case errc::invalid_argument:
            return "invalid_argument";
        case errc::protocol_error:
            return "protocol_error";
        case errc::unauthenticated:
            return "unauthenticated";
        case errc::forbidden:
            return "forbidden";
        case errc::resource_exhausted:
            return "resource_exhausted";
        case errc::unavailable:
            return "unavailable";
        case errc::timed_out:
            return "timed_out";
        case errc::io_error:
            return "io_error";
        case errc::corruption:
            return "corruption";
        case errc::not_supported:
            return "not_supported";
        case errc::precondition_failed:
            return "precondition_failed";
        case errc::locked:
            return "locked";
        case errc::internal:
            return "internal";
    }
    return "unknown";
}

/// Success, or an error code with a message. Success carries no allocation; the message is
/// allocated only on the (cold) failure path and shared on copy.
class [[nodiscard]] status
{
  public:
    status() noexcept = default;
    status(errc code, std::string_view message)
      : _code(code)
      , _message(code == errc::ok ? nullptr : std::make_shared<const std::string>(message))
    {
    }

    bool ok() const noexcept { return _code == errc::ok; }
    explicit operator bool() const noexcept { return ok(); }
    errc code() const noexcept { return _code; }
    std::string_view message() const noexcept { return _message ? std::string_view(*_message) : std::string_view(); }
    /// "not_found: queue 'q' in vhost '/'" — for logs.
    std::string to_string() const
    {
        std::string s(sdk::to_string(_code));
        if (_message) {
            s += ": ";
            s += *_message;
        }
        return s;
    }
    /// Marks a deliberately ignored status; greppable.
    void ignore() const noexcept {}

  private:
    errc _code = errc::ok;
    std::shared_ptr<const std::string> _message;
};

inline status ok_status() noexcept
{
    return {};
}

} // namespace plexus::sdk
