#include "capabilities.h"

namespace plexus::protocol::amqp091 {

field_table server_properties()
{
    field_table caps{
        { "publisher_confirms", field_value::boolean(true) },
        { "exchange_exchange_bindings", field_value::boolean(true) },
        { "basic.nack", field_value::boolean(true) },
        { "consumer_cancel_notify", field_value::boolean(true) },
        { "connection.blocked", field_value::boolean(true) },
        { "consumer_priorities", field_value::boolean(true) },
        { "authentication_failure_close", field_value::boolean(true) },
        { "per_consumer_qos", field_value::boolean(true) },
        { "direct_reply_to", field_value::boolean(false) },
    };
    return {
        { "product", field_value::string("Plexus") },
        { "version", field_value::string("0.1.0") },
        { "platform", field_value::string("C++20 (Boost.Asio)") },
        { "information", field_value::string("AMQP 0-9-1 gateway of the Plexus broker") },
        { "capabilities", field_value::table(std::move(caps)) },
    };
}

client_capabilities read_capabilities(const field_table& client_properties)
{
    client_capabilities c;
    const auto* caps = find_field(client_properties, "capabilities");
    const auto* table = caps != nullptr ? std::get_if<field_table>(&caps->value) : nullptr;
    if (table == nullptr) {
        return c;
    }
    auto flag = [&](std::string_view name) {
        const auto* v = find_field(*table, name);
        const auto* b = v != nullptr ? std::get_if<bool>(&v->value) : nullptr;
        return b != nullptr && *b;
    };
    c.consumer_cancel_notify = flag("consumer_cancel_notify");
    c.connection_blocked = flag("connection.blocked");
    c.authentication_failure_close = flag("authentication_failure_close");
    return c;
}

} // namespace plexus::protocol::amqp091
