// callback<R(A...)>: a move-only function with small-buffer storage. GCC 12 has no
// std::move_only_function; std::function would demand copyable lambdas and allocate. Lambdas
// that capture up to 48 bytes are stored inline: completions on the hot path do not allocate.
#pragma once

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace plexus::sdk {

template<class Signature>
class callback;

template<class R, class... Args>
class callback<R(Args...)>
{
    static constexpr std::size_t inline_size = 48;

    struct ops
    {
        R (*invoke)(void* self, Args&&... args);
        void (*move_to)(void* from, void* to) noexcept; // move-constructs at `to`, destroys `from`
        void (*destroy)(void* self) noexcept;
    };

    template<class F>
    static constexpr bool fits_inline =
      sizeof(F) <= inline_size && alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

    template<class F>
    static constexpr ops inline_ops{
        [](void* self, Args&&... args) -> R { return (*static_cast<F*>(self))(std::forward<Args>(args)...); },
        [](void* from, void* to) noexcept {
            ::new (to) F(std::move(*static_cast<F*>(from)));
            static_cast<F*>(from)->~F();
        },
        [](void* self) noexcept { static_cast<F*>(self)->~F(); },
    };

    template<class F>
    static constexpr ops heap_ops{
        [](void* self, Args&&... args) -> R { return (**static_cast<F**>(self))(std::forward<Args>(args)...); },
        [](void* from, void* to) noexcept {
            *static_cast<F**>(to) = *static_cast<F**>(from);
            *static_cast<F**>(from) = nullptr;
        },
        [](void* self) noexcept { delete *static_cast<F**>(self); },
    };

  public:
    callback() noexcept = default;
    callback(std::nullptr_t) noexcept {}

    template<class F,
             class D = std::decay_t<F>,
             class = std::enable_if_t<!std::is_same_v<D, callback> && std::is_invocable_r_v<R, D&, Args...>>>
    callback(F&& f)
    {
        if constexpr (fits_inline<D>) {
            ::new (static_cast<void*>(_storage)) D(std::forward<F>(f));
            _ops = &inline_ops<D>;
        } else {
            *reinterpret_cast<D**>(_storage) = new D(std::forward<F>(f));
            _ops = &heap_ops<D>;
        }
    }

    callback(callback&& o) noexcept
      : _ops(o._ops)
    {
        if (_ops) {
            _ops->move_to(o._storage, _storage);
            o._ops = nullptr;
        }
    }
    callback& operator=(callback&& o) noexcept
    {
        if (this != &o) {
            reset();
            if (o._ops) {
                o._ops->move_to(o._storage, _storage);
                _ops = o._ops;
                o._ops = nullptr;
            }
        }
        return *this;
    }
    callback(const callback&) = delete;
    callback& operator=(const callback&) = delete;
    ~callback() { reset(); }

    explicit operator bool() const noexcept { return _ops != nullptr; }

    /// Calls the target. Calling an empty callback is a programming error.
    R operator()(Args... args) { return _ops->invoke(_storage, std::forward<Args>(args)...); }

    void reset() noexcept
    {
        if (_ops) {
            _ops->destroy(_storage);
            _ops = nullptr;
        }
    }

  private:
    alignas(std::max_align_t) unsigned char _storage[inline_size];
    const ops* _ops = nullptr;
};

} // namespace plexus::sdk
