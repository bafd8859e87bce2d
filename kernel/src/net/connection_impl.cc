#include "kernel/src/net/connection_impl.h"

#include "kernel/src/net/read_coalescer.h"
#include "kernel/src/net/read_slab_sizer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <optional>

#include <unistd.h>

namespace plexus::kernel {
namespace {

namespace asio = boost::asio;
constexpr auto nothrow_awaitable = asio::experimental::as_tuple(asio::use_awaitable);
// Small reads are copied out of the slab so that a 100-byte message kept in a queue does not
// pin the whole slab; large reads are shared as they are.
constexpr std::size_t copy_below_bytes = 16u << 10;

/// An IPv4 client of a dual-stack listener ("::") shows as ::ffff:a.b.c.d: reported as the
/// IPv4 address it is, so that 127.0.0.1 counts as loopback and a gateway advertises an
/// address every client can parse.
asio::ip::address unmapped(const asio::ip::address& a)
{
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6());
    }
    return a;
}

} // namespace

connection_impl::connection_impl(asio::ip::tcp::socket socket,
                                 shard_executor& exec,
                                 std::uint64_t id,
                                 const net_limits& limits,
                                 sdk::logger& log,
                                 std::function<void(connection_impl*)> on_gone,
                                 connection_mover* mover)
  : _socket(std::move(socket))
  , _exec(&exec)
  , _id(id)
  , _limits(limits)
  , _log(log)
  , _on_gone(std::move(on_gone))
  , _mover(mover)
{
    boost::system::error_code ec;
    _socket.set_option(asio::ip::tcp::no_delay(true), ec);
    if (auto remote = _socket.remote_endpoint(ec); !ec) {
        const auto address = unmapped(remote.address());
        _peer.address = fmt::format("{}:{}", address.to_string(), remote.port());
        _peer.loopback = address.is_loopback();
    }
    if (auto local = _socket.local_endpoint(ec); !ec) {
        _peer.local_host = unmapped(local.address()).to_string();
        _peer.local_port = local.port();
    }
}

connection_impl::~connection_impl() = default;

void connection_impl::start(std::unique_ptr<sdk::protocol_session> session)
{
    _session = std::move(session);
    start_reading();
}

void connection_impl::start_reading()
{
    _reading = true;
    asio::co_spawn(
      _socket.get_executor(), [self = shared_from_this()] { return self->read_loop(); }, asio::detached);
}

void connection_impl::resume_reading() noexcept
{
    _read_paused = false;
    if (!_reading && !_closing && !_moving && _session) {
        start_reading();
    }
}

bool connection_impl::move_to(sdk::shard_id shard) noexcept
{
    if (_closing || _finished || _moving || !_session || _mover == nullptr || shard == _exec->id() ||
        !_mover->has_shard(shard)) {
        return false;
    }
    _moving = true;
    _move_target = shard;
    if (_reading) {
        // The read loop ends at its next step: a pending read completes as cancelled (or with
        // what it had read, kept for the new shard), and the loop hands off as it ends.
        boost::system::error_code ignored;
        _socket.cancel(ignored);
    }
    // Never inside the caller's stack: the session goes on running until it returns, and may
    // still write (those bytes go out here, first).
    _exec->post([self = shared_from_this()] { self->hand_off_if_stopped(); });
    return true;
}

void connection_impl::hand_off_if_stopped()
{
    if (!_moving || _in_transit || _reading || _writing || _closing) {
        return; // the loop still running calls again as it ends; a close wins over the move
    }
    _in_transit = true;
    _mover->move(shared_from_this(), _move_target);
}

connection_impl::released_socket connection_impl::release_socket() noexcept
{
    released_socket out;
    boost::system::error_code ec;
    auto local = _socket.local_endpoint(ec);
    if (!ec) {
        out.protocol = local.protocol();
    }
    out.fd = _socket.release(ec);
    if (ec) {
        out.fd = -1;
    }
    return out;
}

void connection_impl::arrive(shard_executor& exec,
                             released_socket socket,
                             sdk::kernel& k,
                             std::function<void(connection_impl*)> on_gone) noexcept
{
    _exec = &exec;
    _on_gone = std::move(on_gone);
    _in_transit = false;
    _moving = false;
    boost::system::error_code ec;
    if (socket.fd >= 0) {
        _socket = asio::ip::tcp::socket(exec.context());
        _socket.assign(socket.protocol, socket.fd, ec);
        if (ec) {
            ::close(socket.fd);
        }
    }
    if (socket.fd < 0 || ec) {
        PLEXUS_LOG(_log,
                   warn,
                   "connection {} from {} closed: its socket could not move to shard {}",
                   _id,
                   _peer.address,
                   exec.id()());
        finish(sdk::status(sdk::errc::internal, "the connection could not move between shards"));
        return;
    }
    _session->on_moved(k);
    if (_closing || _moving) {
        return; // closed by the session, or moving on already (its hand-off is posted)
    }
    if (!_outq.empty() && !_writing) {
        start_writing(); // written in on_moved()
    }
    if (!_inbound.empty()) {
        // Offered again: the old shard's session stopped consuming when it asked to move.
        if (auto st = _session->on_data(_inbound); !st.ok()) {
            close(st, true);
            return;
        }
    }
    if (!_closing && !_moving && !_read_paused && !_reading) {
        start_reading(); // unless on_moved() resumed reading already
    }
}

asio::awaitable<void> connection_impl::read_loop()
{
    read_slab_sizer sizer;
    read_coalescer coalescer(_limits.read_coalesce);
    std::optional<asio::steady_timer> pause; // made at the first wait: idle connections never need one
    std::uint64_t writes_at_last_read = _writes;
    sdk::bytes slab = sdk::bytes::allocate(sizer.size());
    while (!_closing && !_read_paused && !_moving) {
        if (auto wait = coalescer.wait(_writes != writes_at_last_read); wait.count() > 0) {
            if (!pause) {
                pause.emplace(_socket.get_executor());
            }
            pause->expires_after(wait);
            co_await pause->async_wait(nothrow_awaitable);
            if (_closing || _read_paused || _moving) {
                break;
            }
        }
        if (!slab.unique() || slab.size() != sizer.size()) {
            slab = sdk::bytes::allocate(sizer.size());
        }
        auto span = slab.writable();
        // Coalescing off (delay 0): no clock reads on the read path.
        const bool coalescing = coalescer.enabled();
        const auto started = coalescing ? read_coalescer::clock::now() : read_coalescer::clock::time_point{};
        auto [ec, n] = co_await _socket.async_read_some(asio::buffer(span.data(), span.size()), nothrow_awaitable);
        if (_closing) {
            break;
        }
        if (_moving && (ec == asio::error::operation_aborted || !ec)) {
            // Cancelled for a move, or it raced with the cancel: what it read goes along.
            if (n > 0) {
                _inbound.append(sdk::bytes::copy_of(std::span<const std::byte>(span.data(), n)));
            }
            break;
        }
        if (ec) {
            close(ec == asio::error::eof ? sdk::status(sdk::errc::unavailable, "peer closed the connection")
                                         : sdk::status(sdk::errc::io_error, ec.message()),
                  false);
            break;
        }
        sizer.record(n);
        if (coalescing) {
            coalescer.record(started, read_coalescer::clock::now(), n, _writes != writes_at_last_read);
        }
        writes_at_last_read = _writes;
        if (n < copy_below_bytes) {
            _inbound.append(sdk::bytes::copy_of(std::span<const std::byte>(span.data(), n)));
        } else {
            _inbound.append(slab.share(0, n));
            slab = sdk::bytes(); // shared now: the next turn allocates a new one
        }
        if (auto st = _session->on_data(_inbound); !st.ok()) {
            close(st, true);
            break;
        }
        if (_inbound.size() > _limits.max_inbound_bytes) {
            // The gateways enforce their protocols' frame limits with their own error codes;
            // this is the kernel's backstop against a session that keeps buffering, so the
            // kernel says why it closed.
            PLEXUS_LOG(_log,
                       warn,
                       "connection {} from {} closed: {} bytes of input the session has not consumed, above the "
                       "kernel's limit of {}",
                       _id,
                       _peer.address,
                       _inbound.size(),
                       _limits.max_inbound_bytes);
            close(sdk::status(sdk::errc::resource_exhausted, "frame too large"), false);
            break;
        }
    }
    _reading = false;
    if (_moving) {
        hand_off_if_stopped();
    }
}

void connection_impl::write(sdk::buffer_chain data) noexcept
{
    if (_finished || data.empty()) {
        return;
    }
    _queued_bytes += data.size();
    ++_writes;
    _outq.push_back(std::move(data));
    if (above_high_watermark()) {
        _writable_owed = true; // the session may stop producing now: tell it when to resume
    }
    if (!_writing && !_in_transit) {
        start_writing(); // in transit the queue waits for arrive()
    }
}

void connection_impl::start_writing()
{
    _writing = true;
    asio::co_spawn(
      _socket.get_executor(), [self = shared_from_this()] { return self->write_loop(); }, asio::detached);
}

asio::awaitable<void> connection_impl::write_loop()
{
    std::vector<asio::const_buffer> gather;
    while (!_outq.empty() && !_finished) {
        gather.clear();
        std::size_t chains = 0;
        std::size_t bytes = 0;
        for (auto it = _outq.begin(); it != _outq.end() && chains < 64; ++it, ++chains) {
            it->for_each_fragment([&](const sdk::bytes& b) { gather.emplace_back(b.data(), b.size()); });
            bytes += it->size();
        }
        auto [ec, n] = co_await asio::async_write(_socket, gather, nothrow_awaitable);
        if (ec) {
            _writing = false;
            _outq.clear();
            _queued_bytes = 0;
            finish(sdk::status(sdk::errc::io_error, ec.message()));
            co_return;
        }
        for (std::size_t i = 0; i < chains; ++i) {
            _outq.pop_front();
        }
        _queued_bytes -= bytes;
        // Owed since the queue last rose above the high watermark, however many writes it
        // took to fall below the low one (a write that ends between them must not lose it).
        if (_writable_owed && _queued_bytes <= _limits.low_watermark && _session && !_closing) {
            _writable_owed = false;
            _session->on_writable();
        }
    }
    _writing = false;
    if (_closing) {
        finish(_close_reason);
    } else if (_moving) {
        hand_off_if_stopped();
    }
}

void connection_impl::close(const sdk::status& why, bool flush) noexcept
{
    if (_closing) {
        if (!flush) {
            finish(why);
        }
        return;
    }
    _closing = true;
    _close_reason = why;
    if (!flush || !_writing) {
        finish(why);
    }
    // Otherwise write_loop() finishes once the queued bytes are out.
}

void connection_impl::finish(const sdk::status& why)
{
    if (_finished) {
        return;
    }
    _finished = true;
    _closing = true;
    boost::system::error_code ignored;
    _socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    _socket.close(ignored);
    if (_session) {
        _session->on_close(why);
        _session.reset();
    }
    if (_on_gone) {
        _on_gone(this);
    }
}

} // namespace plexus::kernel
