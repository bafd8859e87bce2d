// The admin HTTP API (RabbitMQ-management-like JSON, /metrics, /healthz) over admin_api,
// served by Poco's HTTPServer on its own small thread pool. Endpoints: docs/admin-api.md.
// Lifecycle: construct → start() (binds) → stop() (idempotent; also on destruction).
#pragma once

#include "kernel/src/admin/admin_api.h"
#include "plexus/sdk/log.h"

#include <cstdint>
#include <memory>
#include <string>

namespace plexus::kernel {

class admin_http_server
{
  public:
    admin_http_server(admin_api& api, std::string host, std::uint16_t port, sdk::logger& log);
    ~admin_http_server();
    admin_http_server(const admin_http_server&) = delete;
    admin_http_server& operator=(const admin_http_server&) = delete;

    /// Binds and starts serving; errc::unavailable names the address when it cannot bind.
    sdk::status start();
    /// The bound port (after start()).
    std::uint16_t port() const noexcept;
    void stop();

  private:
    struct impl;
    std::unique_ptr<impl> _impl;
};

} // namespace plexus::kernel
