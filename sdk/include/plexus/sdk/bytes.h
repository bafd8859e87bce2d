// bytes: an immutable, ref-counted slice of a shared slab. Copying a `bytes` shares the slab
// (one atomic increment), so one payload serves the network, storage and every subscriber
// without a copy. Slices may move between shards: the count is atomic.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace plexus::sdk {

class bytes
{
  public:
    bytes() noexcept = default;

    /// A slab of `size` bytes whose contents the caller fills through `writable()` before it
    /// shares the result. Contents are not zeroed.
    static bytes allocate(std::size_t size)
    {
        bytes b;
        b._slab = std::shared_ptr<std::byte[]>(new std::byte[size]);
        b._data = b._slab.get();
        b._size = size;
        return b;
    }
    static bytes copy_of(std::span<const std::byte> src)
    {
        bytes b = allocate(src.size());
        if (!src.empty()) {
            std::memcpy(b.writable().data(), src.data(), src.size());
        }
        return b;
    }
    static bytes copy_of(std::string_view s)
    {
        return copy_of(std::as_bytes(std::span<const char>(s.data(), s.size())));
    }

    std::span<const std::byte> view() const noexcept { return { _data, _size }; }
    std::string_view as_string_view() const noexcept { return { reinterpret_cast<const char*>(_data), _size }; }
    const std::byte* data() const noexcept { return _data; }
    std::size_t size() const noexcept { return _size; }
    bool empty() const noexcept { return _size == 0; }

    /// Bytes [pos, pos+len) of this slice, sharing the slab. Clamped to the slice.
    bytes share(std::size_t pos, std::size_t len) const noexcept
    {
        bytes b;
        if (pos > _size) {
            pos = _size;
        }
        b._slab = _slab;
        b._data = _data + pos;
        b._size = len < _size - pos ? len : _size - pos;
        return b;
    }

    /// Only for the producer of a fresh slab, before it is shared (e.g. a socket read).
    std::span<std::byte> writable() noexcept { return { const_cast<std::byte*>(_data), _size }; }

    /// True when no other slice refers to the slab (the producer may then reuse it).
    bool unique() const noexcept { return _slab.use_count() == 1; }

  private:
    std::shared_ptr<std::byte[]> _slab;
    const std::byte* _data = nullptr;
    std::size_t _size = 0;
};

} // namespace plexus::sdk
