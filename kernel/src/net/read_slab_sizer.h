// How big a connection's next read buffer is. An idle connection keeps one buffer waiting in
// its read for as long as it lives, so a small one is what 10 000 idle devices should cost;
// a busy connection wants a big one, so that one read takes in many frames. The buffer starts
// small, doubles whenever a read fills it, and halves after a long run of reads that used a
// small part of it.
#pragma once

#include <cstddef>

namespace plexus::kernel {

class read_slab_sizer
{
  public:
    static constexpr std::size_t smallest = 1u << 10;
    static constexpr std::size_t largest = 64u << 10;
    /// Reads that use at most 1/16 of the buffer, in a row, before it halves.
    static constexpr unsigned shrink_after = 256;

    std::size_t size() const noexcept { return _size; }

    /// A read took `n` bytes of a buffer of size(); returns true when the size changed.
    bool record(std::size_t n) noexcept
    {
        if (n >= _size && _size < largest) {
            _size *= 2;
            _small_reads = 0;
            return true;
        }
        if (n > _size / 16) {
            _small_reads = 0;
            return false;
        }
        if (++_small_reads < shrink_after || _size == smallest) {
            return false;
        }
        _size /= 2;
        _small_reads = 0;
        return true;
    }

  private:
    std::size_t _size = smallest;
    unsigned _small_reads = 0;
};

} // namespace plexus::kernel
