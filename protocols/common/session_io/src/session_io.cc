#include "session_io.h"

#include <exception>
#include <utility>

namespace plexus::protocol {

session_io::session_io(sdk::connection& conn, std::shared_ptr<bool> alive, hooks h, input_hold_limit limit)
  : _conn(conn)
  , _alive(std::move(alive))
  , _hooks(std::move(h))
  , _limit(std::move(limit))
{
}

sdk::status session_io::on_data(sdk::buffer_chain& in, std::string_view who) noexcept
{
    try {
        _in_pass = true;
        sdk::status st;
        if (_hold || !_held.empty()) {
            // Behind held input, new bytes wait their turn.
            _held.append(in);
            in.trim_front(in.size());
            if (_held.size() > _limit.max_bytes) {
                st = sdk::status(sdk::errc::resource_exhausted, _limit.refusal);
            } else if (!_hold) {
                st = _hooks.process(_held);
            }
        } else {
            st = _hooks.process(in);
        }
        return end_pass(std::move(st));
    } catch (const std::exception& e) {
        _in_pass = false;
        return sdk::status(sdk::errc::internal, std::string(who) + ": " + e.what());
    }
}

bool session_io::run_pass(const std::function<sdk::status()>& work)
{
    if (_in_pass) {
        return false;
    }
    _in_pass = true;
    auto st = end_pass(work());
    if (!st.ok()) {
        close_transport(std::move(st));
    }
    return true;
}

sdk::status session_io::end_pass(sdk::status st)
{
    _hooks.flush();
    _in_pass = false;
    if (st.ok() && _close_after_pass) {
        st = *std::exchange(_close_after_pass, std::nullopt);
    }
    return st;
}

void session_io::hold(bool on)
{
    _hold = on;
    if (!on && !_held.empty()) {
        run_pass([this] { return _hooks.process(_held); });
    }
}

void session_io::keep_if_holding(sdk::buffer_chain& in)
{
    if (_hold && &in != &_held) {
        _held.append(in);
        in.trim_front(in.size());
    }
}

void session_io::schedule_flush()
{
    if (_flush_posted || _in_pass) {
        return; // the pass flushes before it ends
    }
    _flush_posted = true;
    _conn.exec().post([this, alive = _alive] {
        if (*alive) {
            _flush_posted = false;
            _hooks.flush();
        }
    });
}

void session_io::close_transport(sdk::status why, bool flush_first)
{
    if (_in_pass) {
        if (!_close_after_pass) {
            _close_after_pass = std::move(why);
        }
        return;
    }
    _hooks.flush();
    _conn.exec().post([this, alive = _alive, why = std::move(why), flush_first] {
        if (*alive) {
            _conn.close(why, flush_first);
        }
    });
}

} // namespace plexus::protocol
