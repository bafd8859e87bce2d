#include "kernel/src/net/listener_set.h"

#include "kernel/src/net/connection_impl.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <fmt/format.h>

#include <unordered_map>

namespace plexus::kernel {
namespace {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto nothrow_awaitable = asio::experimental::as_tuple(asio::use_awaitable);
} // namespace

// The live connections of one shard; touched only on that shard.
struct listener_set::shard_connections
{
    std::unordered_map<connection_impl*, std::shared_ptr<connection_impl>> live;
};

std::function<void(connection_impl*)> listener_set::forgetter(std::shared_ptr<shard_connections> conns,
                                                              std::shared_ptr<std::atomic<std::size_t>> count)
{
    return [conns = std::move(conns), count = std::move(count)](connection_impl* gone) {
        // Deferred: the connection may be inside its own call stack.
        auto it = conns->live.find(gone);
        if (it != conns->live.end()) {
            auto keep = std::move(it->second);
            conns->live.erase(it);
            count->fetch_sub(1);
            gone->exec().post([keep] {});
        }
    };
}

// Moves connections between the shards' registries: out on the old shard, in on the new one,
// where the socket is adopted by that shard's context.
class listener_set::mover final : public connection_mover
{
  public:
    explicit mover(listener_set& set) noexcept
      : _set(set)
    {
    }

    bool has_shard(sdk::shard_id shard) const noexcept override { return shard() < _set._shards.size(); }

    void move(std::shared_ptr<connection_impl> conn, sdk::shard_id to) noexcept override
    {
        auto& from = *_set._connections[conn->exec().id()()];
        if (auto it = from.live.find(conn.get()); it != from.live.end()) {
            from.live.erase(it); // `conn` holds it from here until it arrives
        }
        PLEXUS_LOG(_set._log,
                   info,
                   "connection {} from {} moves from shard {} to shard {}, at its session's request",
                   conn->id(),
                   conn->peer().address,
                   conn->exec().id()(),
                   to());
        auto socket = conn->release_socket();
        auto conns = _set._connections[to()];
        auto count = _set._count;
        auto& exec = _set._shards.at(to());
        auto& k = _set._kernel_of(to());
        exec.post([conn = std::move(conn), socket, conns, count, &exec, &k]() mutable {
            conns->live.emplace(conn.get(), conn);
            conn->arrive(exec, socket, k, forgetter(conns, count));
        });
    }

  private:
    listener_set& _set;
};

struct listener_set::listener
{
    std::string name;
    std::uint16_t port = 0;
    sdk::protocol_listener* protocol = nullptr;
    std::vector<std::unique_ptr<tcp::acceptor>> acceptors; // one per shard
};

listener_set::listener_set(shard_set& shards,
                           std::function<sdk::kernel&(unsigned)> kernel_of,
                           sdk::logger& log,
                           net_limits limits)
  : _shards(shards)
  , _kernel_of(std::move(kernel_of))
  , _log(log)
  , _limits(limits)
  , _count(std::make_shared<std::atomic<std::size_t>>(0))
  , _mover(std::make_unique<mover>(*this))
{
    for (unsigned i = 0; i < _shards.size(); ++i) {
        _connections.push_back(std::make_shared<shard_connections>());
    }
}

listener_set::~listener_set() = default;

sdk::status listener_set::add(const std::string& name,
                              const std::string& host,
                              std::uint16_t port,
                              sdk::protocol_listener& protocol)
{
    auto l = std::make_unique<listener>();
    l->name = name;
    l->protocol = &protocol;
    boost::system::error_code ec;
    auto address = asio::ip::make_address(host, ec);
    if (ec) {
        return sdk::status(sdk::errc::invalid_argument,
                           fmt::format("listener '{}': bad address '{}': {}", name, host, ec.message()));
    }
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto a = std::make_unique<tcp::acceptor>(_shards.context(i));
        tcp::endpoint ep(address, i == 0 ? port : l->port);
        auto fail = [&](const char* what) {
            return sdk::status(
              sdk::errc::unavailable,
              fmt::format("listener '{}' {}:{}: {} failed: {}", name, host, ep.port(), what, ec.message()));
        };
        a->open(ep.protocol(), ec);
        if (ec) {
            return fail("open");
        }
        a->set_option(tcp::acceptor::reuse_address(true), ec);
        int one = 1;
        ::setsockopt(a->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
        a->bind(ep, ec);
        if (ec) {
            return fail("bind");
        }
        a->listen(asio::socket_base::max_listen_connections, ec);
        if (ec) {
            return fail("listen");
        }
        if (i == 0) {
            l->port = a->local_endpoint().port();
        }
        l->acceptors.push_back(std::move(a));
    }
    _listeners.push_back(std::move(l));
    return {};
}

std::uint16_t listener_set::port(const std::string& name) const
{
    for (const auto& l : _listeners) {
        if (l->name == name) {
            return l->port;
        }
    }
    return 0;
}

void listener_set::start()
{
    for (auto& l : _listeners) {
        for (unsigned i = 0; i < _shards.size(); ++i) {
            auto* acceptor = l->acceptors[i].get();
            auto* protocol = l->protocol;
            auto conns = _connections[i];
            auto count = _count;
            auto& exec = _shards.at(i);
            auto& k = _kernel_of(i);
            auto limits = _limits;
            auto& log = _log;
            auto* mover = _mover.get();
            asio::co_spawn(
              _shards.context(i),
              [acceptor, protocol, conns, count, &exec, &k, limits, &log, mover]() -> asio::awaitable<void> {
                  for (;;) {
                      auto [ec, socket] = co_await acceptor->async_accept(nothrow_awaitable);
                      if (ec) {
                          if (ec == asio::error::operation_aborted || !acceptor->is_open()) {
                              co_return;
                          }
                          continue; // e.g. EMFILE: keep serving the others
                      }
                      auto conn = std::make_shared<connection_impl>(
                        std::move(socket), exec, k.next_connection_id(), limits, log, forgetter(conns, count), mover);
                      conns->live.emplace(conn.get(), conn);
                      count->fetch_add(1);
                      auto session = protocol->new_session(*conn, k);
                      if (!session) {
                          conn->close(sdk::status(sdk::errc::internal, "protocol refused the connection"), false);
                          continue;
                      }
                      conn->start(std::move(session));
                  }
              },
              asio::detached);
        }
    }
}

void listener_set::stop_accepting()
{
    for (auto& l : _listeners) {
        for (unsigned i = 0; i < _shards.size(); ++i) {
            auto* a = l->acceptors[i].get();
            if (_shards.running()) {
                asio::post(_shards.context(i), asio::use_future([a] {
                               boost::system::error_code ignored;
                               a->close(ignored);
                           }))
                  .wait();
            } else {
                boost::system::error_code ignored;
                a->close(ignored);
            }
        }
    }
}

void listener_set::close_all(const sdk::status& why)
{
    if (!_shards.running()) {
        return;
    }
    for (unsigned i = 0; i < _shards.size(); ++i) {
        auto conns = _connections[i];
        asio::post(_shards.context(i), asio::use_future([conns, why] {
                       std::vector<std::shared_ptr<connection_impl>> all;
                       for (auto& [raw, c] : conns->live) {
                           all.push_back(c);
                       }
                       for (auto& c : all) {
                           c->close(why, false);
                       }
                   }))
          .wait();
    }
}

std::size_t listener_set::connection_count() const noexcept
{
    return _count->load();
}

} // namespace plexus::kernel
