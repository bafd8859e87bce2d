// buffer_chain: a fragmented payload made of shared `bytes` slices. Encoders prepend frame
// headers and append shared bodies; the connection gather-writes the fragments. A chain of
// one fragment (the common case) does not allocate.
#pragma once

#include "plexus/sdk/bytes.h"

#include <algorithm>
#include <string>
#include <vector>

namespace plexus::sdk {

class buffer_chain
{
  public:
    buffer_chain() noexcept = default;
    explicit buffer_chain(bytes b) { append(std::move(b)); }

    static buffer_chain copy_of(std::string_view s) { return buffer_chain(bytes::copy_of(s)); }

    std::size_t size() const noexcept { return _size; }
    bool empty() const noexcept { return _size == 0; }
    std::size_t fragment_count() const noexcept { return _frags.size(); }

    void append(bytes b)
    {
        if (b.empty()) {
            return;
        }
        _size += b.size();
        _frags.push_back(std::move(b));
    }
    void append(const buffer_chain& other)
    {
        for (const auto& f : other._frags) {
            append(f);
        }
    }
    void prepend(bytes b)
    {
        if (b.empty()) {
            return;
        }
        _size += b.size();
        _frags.insert(_frags.begin(), std::move(b));
    }

    /// Bytes [pos, pos+len) as a new chain sharing the same slabs (zero copy).
    buffer_chain share(std::size_t pos, std::size_t len) const
    {
        buffer_chain out;
        for (const auto& f : _frags) {
            if (len == 0) {
                break;
            }
            if (pos >= f.size()) {
                pos -= f.size();
                continue;
            }
            std::size_t take = std::min(len, f.size() - pos);
            out.append(f.share(pos, take));
            len -= take;
            pos = 0;
        }
        return out;
    }

    /// Drops the first `n` bytes (consumed input).
    void trim_front(std::size_t n)
    {
        n = std::min(n, _size);
        _size -= n;
        auto it = _frags.begin();
        while (n > 0 && it != _frags.end()) {
            if (n >= it->size()) {
                n -= it->size();
                ++it;
            } else {
                *it = it->share(n, it->size() - n);
                n = 0;
            }
        }
        _frags.erase(_frags.begin(), it);
    }

    /// Copies up to out.size() bytes starting at `pos` into `out`; returns how many were copied.
    /// Decoders use it for headers that straddle fragments.
    std::size_t copy_out(std::size_t pos, std::span<std::byte> out) const noexcept
    {
        std::size_t copied = 0;
        for (const auto& f : _frags) {
            if (copied == out.size()) {
                break;
            }
            if (pos >= f.size()) {
                pos -= f.size();
                continue;
            }
            std::size_t take = std::min(out.size() - copied, f.size() - pos);
            std::memcpy(out.data() + copied, f.data() + pos, take);
            copied += take;
            pos = 0;
        }
        return copied;
    }

    /// The whole chain as one string (a copy): for control-plane code and tests.
    std::string to_string() const
    {
        std::string s;
        s.reserve(_size);
        for (const auto& f : _frags) {
            s.append(f.as_string_view());
        }
        return s;
    }

    template<class F>
    void for_each_fragment(F&& f) const
    {
        for (const auto& b : _frags) {
            f(b);
        }
    }

  private:
    std::vector<bytes> _frags;
    std::size_t _size = 0;
};

} // namespace plexus::sdk
