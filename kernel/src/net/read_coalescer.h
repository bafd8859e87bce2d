// When a connection's next read waits a little first. A client streaming small frames as fast
// as it can (an MQTT QoS 0 publisher, an AMQP publisher without confirms) is slower than the
// shard that drains its socket, so without a wait every frame costs the shard a wake-up, an
// epoll round and a recv, and the deliveries it causes go out one write each: on a loaded
// machine that is most of the broker's CPU per message. After `streak` small reads in a row
// that each found data within `delay` and were not answered (nothing was written to the
// connection in between), the next read waits `delay`: what arrives meanwhile comes in with
// one recv, and the frames are handled, routed and written out together.
//
// Nobody who waits for the broker is delayed: a client that waits for an answer (request /
// response, publisher confirms, Kafka produce, QoS 1 with a window of one) gets a write between
// its reads, which ends the streak; so does a read that waited longer than `delay` (1 000 msg/s
// is 1 ms apart, so the fixed-rate latency is untouched) or one that filled a good part of its
// buffer (data is piling up already, so waiting buys nothing). A delay of 0 turns it off.
#pragma once

#include <chrono>
#include <cstddef>

namespace plexus::kernel {

class read_coalescer
{
  public:
    using clock = std::chrono::steady_clock;
    /// A read of fewer bytes counts as small (a few frames).
    static constexpr std::size_t small_read_bytes = 4096;
    /// Small, prompt, unanswered reads in a row before reads wait.
    static constexpr unsigned streak = 4;

    explicit read_coalescer(std::chrono::microseconds delay) noexcept
      : _delay(delay)
    {
    }

    bool enabled() const noexcept { return _delay.count() > 0; }

    /// A read started at `started` and returned `n` bytes at `done`; `answered`: something was
    /// written to the connection since the read before it returned.
    void record(clock::time_point started, clock::time_point done, std::size_t n, bool answered) noexcept
    {
        const bool streaming = n < small_read_bytes && !answered && done - started < _delay;
        _streak = streaming ? _streak + (_streak < streak ? 1 : 0) : 0;
    }

    /// How long to wait before the next read: `delay` while streaming, unless something was
    /// written to the connection since the last read (the client may wait for it).
    std::chrono::microseconds wait(bool answered) const noexcept
    {
        return _streak >= streak && !answered ? _delay : std::chrono::microseconds::zero();
    }

  private:
    std::chrono::microseconds _delay;
    unsigned _streak = 0;
};

} // namespace plexus::kernel
