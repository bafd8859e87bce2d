// A blocking JSON client for plexusd's admin HTTP API.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <cstdint>
#include <stdexcept>
#include <string>

namespace plexus::ctl {

/// The API answered with an error: one line to print.
struct api_error : std::runtime_error
{
    using std::runtime_error::runtime_error;
};
/// The API could not be reached at all.
struct unreachable : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

class admin_client
{
  public:
    admin_client(std::string host, std::uint16_t port);
    /// Sends `method path` with an optional JSON body; returns the parsed JSON answer (empty for
    /// 201/204) and the raw text through `raw` when non-null.
    Poco::Dynamic::Var call(const std::string& method,
                            const std::string& path,
                            const std::string& body = {},
                            std::string* raw = nullptr);

  private:
    std::string _host;
    std::uint16_t _port;
};

/// Percent-encodes one path segment (the vhost "/" becomes %2F).
std::string encode_segment(const std::string& s);

} // namespace plexus::ctl
