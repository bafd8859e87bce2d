// The AMQP 0-9-1 methods of the classes the gateway speaks (connection, channel, exchange,
// queue, basic, confirm, tx), one struct each, in both directions: the session decodes what
// clients send and encodes what it answers; the unit tests do the reverse with the same code.
//
// Each struct lists its arguments in wire order in io(); the codec in methods.cc walks that
// list to read or write them, so a field cannot be forgotten on one side only.
#pragma once

#include "amqp_error.h"
#include "field_table.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace plexus::protocol::amqp091 {

struct method_id
{
    std::uint16_t class_id = 0;
    std::uint16_t method = 0;
    constexpr bool operator==(const method_id&) const = default;
};

namespace class_ids {
inline constexpr std::uint16_t connection = 10;
inline constexpr std::uint16_t channel = 20;
inline constexpr std::uint16_t exchange = 40;
inline constexpr std::uint16_t queue = 50;
inline constexpr std::uint16_t basic = 60;
inline constexpr std::uint16_t confirm = 85;
inline constexpr std::uint16_t tx = 90;
} // namespace class_ids

#define PLEXUS_AMQP_METHOD(CLASS, METHOD, NAME)                                                                        \
    static constexpr ::plexus::protocol::amqp091::method_id id{ CLASS, METHOD };                                       \
    static constexpr std::string_view name = NAME

// ---- connection (10) -------------------------------------------------------------------

struct connection_start
{
    PLEXUS_AMQP_METHOD(10, 10, "connection.start");
    std::uint8_t version_major = 0;
    std::uint8_t version_minor = 9;
    field_table server_properties;
    std::string mechanisms = "PLAIN AMQPLAIN";
    std::string locales = "en_US";
    template<class Io>
    void io(Io& x)
    {
        x.u8(version_major);
        x.u8(version_minor);
        x.table(server_properties);
        x.longstr(mechanisms);
        x.longstr(locales);
    }
};

struct connection_start_ok
{
    PLEXUS_AMQP_METHOD(10, 11, "connection.start-ok");
    field_table client_properties;
    std::string mechanism;
    std::string response;
    std::string locale;
    template<class Io>
    void io(Io& x)
    {
        x.table(client_properties);
        x.shortstr(mechanism);
        x.longstr(response);
        x.shortstr(locale);
    }
};

struct connection_secure
{
    PLEXUS_AMQP_METHOD(10, 20, "connection.secure");
    std::string challenge;
    template<class Io>
    void io(Io& x)
    {
        x.longstr(challenge);
    }
};

struct connection_secure_ok
{
    PLEXUS_AMQP_METHOD(10, 21, "connection.secure-ok");
    std::string response;
    template<class Io>
    void io(Io& x)
    {
        x.longstr(response);
    }
};

struct connection_tune
{
    PLEXUS_AMQP_METHOD(10, 30, "connection.tune");
    std::uint16_t channel_max = 0;
    std::uint32_t frame_max = 0;
    std::uint16_t heartbeat = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u16(channel_max);
        x.u32(frame_max);
        x.u16(heartbeat);
    }
};

struct connection_tune_ok
{
    PLEXUS_AMQP_METHOD(10, 31, "connection.tune-ok");
    std::uint16_t channel_max = 0;
    std::uint32_t frame_max = 0;
    std::uint16_t heartbeat = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u16(channel_max);
        x.u32(frame_max);
        x.u16(heartbeat);
    }
};

struct connection_open
{
    PLEXUS_AMQP_METHOD(10, 40, "connection.open");
    std::string virtual_host = "/";
    std::string reserved_1;  // capabilities (deprecated)
    bool reserved_2 = false; // insist (deprecated)
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(virtual_host);
        x.shortstr(reserved_1);
        x.bit(reserved_2);
    }
};

struct connection_open_ok
{
    PLEXUS_AMQP_METHOD(10, 41, "connection.open-ok");
    std::string reserved_1; // known-hosts (deprecated)
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(reserved_1);
    }
};

struct connection_close
{
    PLEXUS_AMQP_METHOD(10, 50, "connection.close");
    std::uint16_t reply_code = 200;
    std::string reply_text;
    std::uint16_t class_id = 0;
    std::uint16_t method_id = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reply_code);
        x.shortstr(reply_text);
        x.u16(class_id);
        x.u16(method_id);
    }
};

struct connection_close_ok
{
    PLEXUS_AMQP_METHOD(10, 51, "connection.close-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct connection_blocked
{
    PLEXUS_AMQP_METHOD(10, 60, "connection.blocked");
    std::string reason;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(reason);
    }
};

struct connection_unblocked
{
    PLEXUS_AMQP_METHOD(10, 61, "connection.unblocked");
    template<class Io>
    void io(Io&)
    {
    }
};

struct connection_update_secret
{
    PLEXUS_AMQP_METHOD(10, 70, "connection.update-secret");
    std::string new_secret;
    std::string reason;
    template<class Io>
    void io(Io& x)
    {
        x.longstr(new_secret);
        x.shortstr(reason);
    }
};

struct connection_update_secret_ok
{
    PLEXUS_AMQP_METHOD(10, 71, "connection.update-secret-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

// ---- channel (20) ----------------------------------------------------------------------

struct channel_open
{
    PLEXUS_AMQP_METHOD(20, 10, "channel.open");
    std::string reserved_1; // out-of-band (deprecated)
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(reserved_1);
    }
};

struct channel_open_ok
{
    PLEXUS_AMQP_METHOD(20, 11, "channel.open-ok");
    std::string reserved_1; // channel-id (deprecated), a long string
    template<class Io>
    void io(Io& x)
    {
        x.longstr(reserved_1);
    }
};

struct channel_flow
{
    PLEXUS_AMQP_METHOD(20, 20, "channel.flow");
    bool active = true;
    template<class Io>
    void io(Io& x)
    {
        x.bit(active);
    }
};

struct channel_flow_ok
{
    PLEXUS_AMQP_METHOD(20, 21, "channel.flow-ok");
    bool active = true;
    template<class Io>
    void io(Io& x)
    {
        x.bit(active);
    }
};

struct channel_close
{
    PLEXUS_AMQP_METHOD(20, 40, "channel.close");
    std::uint16_t reply_code = 200;
    std::string reply_text;
    std::uint16_t class_id = 0;
    std::uint16_t method_id = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reply_code);
        x.shortstr(reply_text);
        x.u16(class_id);
        x.u16(method_id);
    }
};

struct channel_close_ok
{
    PLEXUS_AMQP_METHOD(20, 41, "channel.close-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

// ---- exchange (40) ---------------------------------------------------------------------

struct exchange_declare
{
    PLEXUS_AMQP_METHOD(40, 10, "exchange.declare");
    std::uint16_t reserved_1 = 0; // ticket
    std::string exchange;
    std::string type = "direct";
    bool passive = false;
    bool durable = false;
    bool auto_delete = false;
    bool internal = false;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(exchange);
        x.shortstr(type);
        x.bit(passive);
        x.bit(durable);
        x.bit(auto_delete);
        x.bit(internal);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct exchange_declare_ok
{
    PLEXUS_AMQP_METHOD(40, 11, "exchange.declare-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct exchange_delete
{
    PLEXUS_AMQP_METHOD(40, 20, "exchange.delete");
    std::uint16_t reserved_1 = 0;
    std::string exchange;
    bool if_unused = false;
    bool no_wait = false;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(exchange);
        x.bit(if_unused);
        x.bit(no_wait);
    }
};

struct exchange_delete_ok
{
    PLEXUS_AMQP_METHOD(40, 21, "exchange.delete-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct exchange_bind
{
    PLEXUS_AMQP_METHOD(40, 30, "exchange.bind");
    std::uint16_t reserved_1 = 0;
    std::string destination;
    std::string source;
    std::string routing_key;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(destination);
        x.shortstr(source);
        x.shortstr(routing_key);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct exchange_bind_ok
{
    PLEXUS_AMQP_METHOD(40, 31, "exchange.bind-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct exchange_unbind
{
    PLEXUS_AMQP_METHOD(40, 40, "exchange.unbind");
    std::uint16_t reserved_1 = 0;
    std::string destination;
    std::string source;
    std::string routing_key;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(destination);
        x.shortstr(source);
        x.shortstr(routing_key);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct exchange_unbind_ok
{
    PLEXUS_AMQP_METHOD(40, 51, "exchange.unbind-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

// ---- queue (50) ------------------------------------------------------------------------

struct queue_declare
{
    PLEXUS_AMQP_METHOD(50, 10, "queue.declare");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    bool passive = false;
    bool durable = false;
    bool exclusive = false;
    bool auto_delete = false;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.bit(passive);
        x.bit(durable);
        x.bit(exclusive);
        x.bit(auto_delete);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct queue_declare_ok
{
    PLEXUS_AMQP_METHOD(50, 11, "queue.declare-ok");
    std::string queue;
    std::uint32_t message_count = 0;
    std::uint32_t consumer_count = 0;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(queue);
        x.u32(message_count);
        x.u32(consumer_count);
    }
};

struct queue_bind
{
    PLEXUS_AMQP_METHOD(50, 20, "queue.bind");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    std::string exchange;
    std::string routing_key;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.shortstr(exchange);
        x.shortstr(routing_key);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct queue_bind_ok
{
    PLEXUS_AMQP_METHOD(50, 21, "queue.bind-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct queue_purge
{
    PLEXUS_AMQP_METHOD(50, 30, "queue.purge");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    bool no_wait = false;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.bit(no_wait);
    }
};

struct queue_purge_ok
{
    PLEXUS_AMQP_METHOD(50, 31, "queue.purge-ok");
    std::uint32_t message_count = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u32(message_count);
    }
};

struct queue_delete
{
    PLEXUS_AMQP_METHOD(50, 40, "queue.delete");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    bool if_unused = false;
    bool if_empty = false;
    bool no_wait = false;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.bit(if_unused);
        x.bit(if_empty);
        x.bit(no_wait);
    }
};

struct queue_delete_ok
{
    PLEXUS_AMQP_METHOD(50, 41, "queue.delete-ok");
    std::uint32_t message_count = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u32(message_count);
    }
};

struct queue_unbind
{
    PLEXUS_AMQP_METHOD(50, 50, "queue.unbind");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    std::string exchange;
    std::string routing_key;
    field_table arguments; // no no-wait bit in unbind
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.shortstr(exchange);
        x.shortstr(routing_key);
        x.table(arguments);
    }
};

struct queue_unbind_ok
{
    PLEXUS_AMQP_METHOD(50, 51, "queue.unbind-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

// ---- basic (60) ------------------------------------------------------------------------

struct basic_qos
{
    PLEXUS_AMQP_METHOD(60, 10, "basic.qos");
    std::uint32_t prefetch_size = 0;
    std::uint16_t prefetch_count = 0;
    bool global = false;
    template<class Io>
    void io(Io& x)
    {
        x.u32(prefetch_size);
        x.u16(prefetch_count);
        x.bit(global);
    }
};

struct basic_qos_ok
{
    PLEXUS_AMQP_METHOD(60, 11, "basic.qos-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct basic_consume
{
    PLEXUS_AMQP_METHOD(60, 20, "basic.consume");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    std::string consumer_tag;
    bool no_local = false;
    bool no_ack = false;
    bool exclusive = false;
    bool no_wait = false;
    field_table arguments;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.shortstr(consumer_tag);
        x.bit(no_local);
        x.bit(no_ack);
        x.bit(exclusive);
        x.bit(no_wait);
        x.table(arguments);
    }
};

struct basic_consume_ok
{
    PLEXUS_AMQP_METHOD(60, 21, "basic.consume-ok");
    std::string consumer_tag;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(consumer_tag);
    }
};

struct basic_cancel
{
    PLEXUS_AMQP_METHOD(60, 30, "basic.cancel");
    std::string consumer_tag;
    bool no_wait = false;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(consumer_tag);
        x.bit(no_wait);
    }
};

struct basic_cancel_ok
{
    PLEXUS_AMQP_METHOD(60, 31, "basic.cancel-ok");
    std::string consumer_tag;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(consumer_tag);
    }
};

struct basic_publish
{
    PLEXUS_AMQP_METHOD(60, 40, "basic.publish");
    std::uint16_t reserved_1 = 0;
    std::string exchange;
    std::string routing_key;
    bool mandatory = false;
    bool immediate = false;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(exchange);
        x.shortstr(routing_key);
        x.bit(mandatory);
        x.bit(immediate);
    }
};

struct basic_return
{
    PLEXUS_AMQP_METHOD(60, 50, "basic.return");
    std::uint16_t reply_code = 312;
    std::string reply_text;
    std::string exchange;
    std::string routing_key;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reply_code);
        x.shortstr(reply_text);
        x.shortstr(exchange);
        x.shortstr(routing_key);
    }
};

struct basic_deliver
{
    PLEXUS_AMQP_METHOD(60, 60, "basic.deliver");
    std::string consumer_tag;
    std::uint64_t delivery_tag = 0;
    bool redelivered = false;
    std::string exchange;
    std::string routing_key;
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(consumer_tag);
        x.u64(delivery_tag);
        x.bit(redelivered);
        x.shortstr(exchange);
        x.shortstr(routing_key);
    }
};

struct basic_get
{
    PLEXUS_AMQP_METHOD(60, 70, "basic.get");
    std::uint16_t reserved_1 = 0;
    std::string queue;
    bool no_ack = false;
    template<class Io>
    void io(Io& x)
    {
        x.u16(reserved_1);
        x.shortstr(queue);
        x.bit(no_ack);
    }
};

struct basic_get_ok
{
    PLEXUS_AMQP_METHOD(60, 71, "basic.get-ok");
    std::uint64_t delivery_tag = 0;
    bool redelivered = false;
    std::string exchange;
    std::string routing_key;
    std::uint32_t message_count = 0;
    template<class Io>
    void io(Io& x)
    {
        x.u64(delivery_tag);
        x.bit(redelivered);
        x.shortstr(exchange);
        x.shortstr(routing_key);
        x.u32(message_count);
    }
};

struct basic_get_empty
{
    PLEXUS_AMQP_METHOD(60, 72, "basic.get-empty");
    std::string reserved_1; // cluster-id (deprecated)
    template<class Io>
    void io(Io& x)
    {
        x.shortstr(reserved_1);
    }
};

struct basic_ack
{
    PLEXUS_AMQP_METHOD(60, 80, "basic.ack");
    std::uint64_t delivery_tag = 0;
    bool multiple = false;
    template<class Io>
    void io(Io& x)
    {
        x.u64(delivery_tag);
        x.bit(multiple);
    }
};

struct basic_reject
{
    PLEXUS_AMQP_METHOD(60, 90, "basic.reject");
    std::uint64_t delivery_tag = 0;
    bool requeue = true;
    template<class Io>
    void io(Io& x)
    {
        x.u64(delivery_tag);
        x.bit(requeue);
    }
};

struct basic_recover_async
{
    PLEXUS_AMQP_METHOD(60, 100, "basic.recover-async");
    bool requeue = false;
    template<class Io>
    void io(Io& x)
    {
        x.bit(requeue);
    }
};

struct basic_recover
{
    PLEXUS_AMQP_METHOD(60, 110, "basic.recover");
    bool requeue = false;
    template<class Io>
    void io(Io& x)
    {
        x.bit(requeue);
    }
};

struct basic_recover_ok
{
    PLEXUS_AMQP_METHOD(60, 111, "basic.recover-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

struct basic_nack
{
    PLEXUS_AMQP_METHOD(60, 120, "basic.nack");
    std::uint64_t delivery_tag = 0;
    bool multiple = false;
    bool requeue = true;
    template<class Io>
    void io(Io& x)
    {
        x.u64(delivery_tag);
        x.bit(multiple);
        x.bit(requeue);
    }
};

// ---- confirm (85), tx (90) -------------------------------------------------------------

struct confirm_select
{
    PLEXUS_AMQP_METHOD(85, 10, "confirm.select");
    bool no_wait = false;
    template<class Io>
    void io(Io& x)
    {
        x.bit(no_wait);
    }
};

struct confirm_select_ok
{
    PLEXUS_AMQP_METHOD(85, 11, "confirm.select-ok");
    template<class Io>
    void io(Io&)
    {
    }
};

#define PLEXUS_AMQP_EMPTY_METHOD(TYPE, CLASS, METHOD, NAME)                                                            \
    struct TYPE                                                                                                        \
    {                                                                                                                  \
        PLEXUS_AMQP_METHOD(CLASS, METHOD, NAME);                                                                       \
        template<class Io>                                                                                             \
        void io(Io&)                                                                                                   \
        {                                                                                                              \
        }                                                                                                              \
    }

PLEXUS_AMQP_EMPTY_METHOD(tx_select, 90, 10, "tx.select");
PLEXUS_AMQP_EMPTY_METHOD(tx_select_ok, 90, 11, "tx.select-ok");
PLEXUS_AMQP_EMPTY_METHOD(tx_commit, 90, 20, "tx.commit");
PLEXUS_AMQP_EMPTY_METHOD(tx_commit_ok, 90, 21, "tx.commit-ok");
PLEXUS_AMQP_EMPTY_METHOD(tx_rollback, 90, 30, "tx.rollback");
PLEXUS_AMQP_EMPTY_METHOD(tx_rollback_ok, 90, 31, "tx.rollback-ok");

#undef PLEXUS_AMQP_EMPTY_METHOD
#undef PLEXUS_AMQP_METHOD

using method = std::variant<connection_start,
                            connection_start_ok,
                            connection_secure,
                            connection_secure_ok,
                            connection_tune,
                            connection_tune_ok,
                            connection_open,
                            connection_open_ok,
                            connection_close,
                            connection_close_ok,
                            connection_blocked,
                            connection_unblocked,
                            connection_update_secret,
                            connection_update_secret_ok,
                            channel_open,
                            channel_open_ok,
                            channel_flow,
                            channel_flow_ok,
                            channel_close,
                            channel_close_ok,
                            exchange_declare,
                            exchange_declare_ok,
                            exchange_delete,
                            exchange_delete_ok,
                            exchange_bind,
                            exchange_bind_ok,
                            exchange_unbind,
                            exchange_unbind_ok,
                            queue_declare,
                            queue_declare_ok,
                            queue_bind,
                            queue_bind_ok,
                            queue_purge,
                            queue_purge_ok,
                            queue_delete,
                            queue_delete_ok,
                            queue_unbind,
                            queue_unbind_ok,
                            basic_qos,
                            basic_qos_ok,
                            basic_consume,
                            basic_consume_ok,
                            basic_cancel,
                            basic_cancel_ok,
                            basic_publish,
                            basic_return,
                            basic_deliver,
                            basic_get,
                            basic_get_ok,
                            basic_get_empty,
                            basic_ack,
                            basic_reject,
                            basic_recover_async,
                            basic_recover,
                            basic_recover_ok,
                            basic_nack,
                            confirm_select,
                            confirm_select_ok,
                            tx_select,
                            tx_select_ok,
                            tx_commit,
                            tx_commit_ok,
                            tx_rollback,
                            tx_rollback_ok>;

method_id id_of(const method& m) noexcept;
std::string_view name_of(const method& m) noexcept;
/// "queue.declare", or "class 50 method 99" for ids no struct has.
std::string describe(method_id id);

/// A method frame's payload: class id, method id, arguments. Unknown ids fail with
/// command-invalid (503), arguments that end early with frame-error (501), bad tables with
/// syntax-error (502); every error carries the ids it was decoding.
std::variant<method, amqp_error> decode_method(std::string_view payload);

/// Appends the payload (ids and arguments) of `m` to `out`.
void encode_method(std::string& out, const method& m);

/// Appends a whole method frame.
void append_method_frame(std::string& out, std::uint16_t channel, const method& m);

/// Whether the method carries content (header and body frames follow it).
bool has_content(method_id id) noexcept;

} // namespace plexus::protocol::amqp091
