#include "progress.h"

#include <unistd.h>

#include <cstdio>

namespace plexus::bench {

namespace {

/// 1234567 -> "1.23 M", 80123 -> "80.1 k".
void human(char* out, std::size_t n, double v)
{
    if (v >= 1e6) {
        std::snprintf(out, n, "%.2f M", v / 1e6);
    } else if (v >= 1e3) {
        std::snprintf(out, n, "%.1f k", v / 1e3);
    } else {
        std::snprintf(out, n, "%.0f", v);
    }
}

} // namespace

progress_line::progress_line(options::progress_mode mode)
  : _on(mode == options::progress_mode::always ||
        (mode == options::progress_mode::automatic && ::isatty(STDERR_FILENO) == 1))
{
}

void progress_line::update(double elapsed_s, std::uint64_t sent, std::uint64_t received, const options& o)
{
    if (!_on || elapsed_s - _last_draw_s < 0.25) {
        return;
    }
    double dt = elapsed_s - _last_s;
    if (dt > 0) {
        _send_rate = double(sent - _last_sent) / dt;
        _receive_rate = double(received - _last_received) / dt;
    }
    _last_s = elapsed_s;
    _last_sent = sent;
    _last_received = received;
    _last_draw_s = elapsed_s;

    double remaining = 0;
    if (o.duration_s > 0) {
        remaining = o.duration_s > elapsed_s ? o.duration_s - elapsed_s : 0;
    } else if (_send_rate > 0 && sent < o.count) {
        remaining = double(o.count - sent) / _send_rate;
    }
    char s[32], sr[32], rv[32], rr[32];
    human(s, sizeof s, double(sent));
    human(sr, sizeof sr, _send_rate);
    human(rv, sizeof rv, double(received));
    human(rr, sizeof rr, _receive_rate);
    std::fprintf(stderr,
                 "\r\033[K%6.1f s  sent %s (%s/s)  received %s (%s/s)  remaining %.1f s",
                 elapsed_s,
                 s,
                 sr,
                 rv,
                 rr,
                 remaining);
    std::fflush(stderr);
    _drawn = true;
}

void progress_line::finish()
{
    if (_drawn) {
        std::fputs("\n", stderr);
        _drawn = false;
    }
}

} // namespace plexus::bench
