#include "methods.h"

#include "frame.h"

namespace plexus::protocol::amqp091 {
namespace {

// The two walkers over a method's io() list.
struct reading
{
    wire_reader& r;
    void u8(std::uint8_t& v) { v = r.u8(); }
    void u16(std::uint16_t& v) { v = r.u16(); }
    void u32(std::uint32_t& v) { v = r.u32(); }
    void u64(std::uint64_t& v) { v = r.u64(); }
    void bit(bool& v) { v = r.bit(); }
    void shortstr(std::string& v) { v = std::string(r.shortstr()); }
    void longstr(std::string& v) { v = std::string(r.longstr()); }
    void table(field_table& v) { v = read_table(r); }
};

struct writing
{
    wire_writer& w;
    void u8(const std::uint8_t& v) { w.u8(v); }
    void u16(const std::uint16_t& v) { w.u16(v); }
    void u32(const std::uint32_t& v) { w.u32(v); }
    void u64(const std::uint64_t& v) { w.u64(v); }
    void bit(const bool& v) { w.bit(v); }
    void shortstr(const std::string& v) { w.shortstr(v); }
    void longstr(const std::string& v) { w.longstr(v); }
    void table(const field_table& v) { write_table(w, v); }
};

template<std::size_t I = 0>
bool decode_as(method_id id, wire_reader& r, method& out)
{
    if constexpr (I < std::variant_size_v<method>) {
        using T = std::variant_alternative_t<I, method>;
        if (T::id == id) {
            T m;
            reading io{ r };
            m.io(io);
            out = std::move(m);
            return true;
        }
        return decode_as<I + 1>(id, r, out);
    } else {
        return false;
    }
}

template<std::size_t I = 0>
std::string_view name_for(method_id id)
{
    if constexpr (I < std::variant_size_v<method>) {
        using T = std::variant_alternative_t<I, method>;
        return T::id == id ? T::name : name_for<I + 1>(id);
    } else {
        return {};
    }
}

} // namespace

method_id id_of(const method& m) noexcept
{
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::id; }, m);
}

std::string_view name_of(const method& m) noexcept
{
    return std::visit([](const auto& x) { return std::decay_t<decltype(x)>::name; }, m);
}

std::string describe(method_id id)
{
    if (auto n = name_for(id); !n.empty()) {
        return std::string(n);
    }
    return "class " + std::to_string(id.class_id) + " method " + std::to_string(id.method);
}

std::variant<method, amqp_error> decode_method(std::string_view payload)
{
    wire_reader r(payload);
    method_id id{ r.u16(), r.u16() };
    if (!r.ok()) {
        return amqp_error{ reply_code::frame_error,
                           "method frame of " + std::to_string(payload.size()) + " byte(s) has no class and method id",
                           0,
                           0 };
    }
    method m;
    if (!decode_as(id, r, m)) {
        return amqp_error{ reply_code::command_invalid, "unknown method " + describe(id), id.class_id, id.method };
    }
    if (!r.ok()) {
        amqp_error e = *r.error();
        e.text = "cannot decode " + describe(id) + ": " + e.text;
        e.class_id = id.class_id;
        e.method_id = id.method;
        return e;
    }
    // Bytes after the last argument are ignored, as RabbitMQ does: a newer peer may append.
    return m;
}

void encode_method(std::string& out, const method& m)
{
    wire_writer w(out);
    std::visit(
      [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          w.u16(T::id.class_id);
          w.u16(T::id.method);
          writing io{ w };
          const_cast<T&>(x).io(io); // io() only reads the fields when writing
      },
      m);
}

void append_method_frame(std::string& out, std::uint16_t channel, const method& m)
{
    auto at = begin_frame(out, frame_type::method, channel);
    encode_method(out, m);
    end_frame(out, at);
}

bool has_content(method_id id) noexcept
{
    return id == basic_publish::id || id == basic_return::id || id == basic_deliver::id || id == basic_get_ok::id;
}

} // namespace plexus::protocol::amqp091
