// The AMQP 0-9-1 gateway from C++ with rabbitmq-c (librabbitmq, Debian's librabbitmq-dev), the
// client C and C++ services use: login, declare, confirmed publish with properties and
// headers, consume and ack, and the errors a C client has to handle (a 404 channel close, a
// 403 refused login).
#include "support/broker_process.h"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <catch2/catch.hpp>

#include <string>

using plexus::tests::broker_process;

namespace {

/// One rabbitmq-c connection, closed and freed on scope exit.
struct client
{
    amqp_connection_state_t conn = amqp_new_connection();
    bool open = false;

    ~client()
    {
        if (open) {
            amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
        }
        amqp_destroy_connection(conn);
    }
    amqp_rpc_reply_t connect(std::uint16_t port, const char* user, const char* password)
    {
        amqp_socket_t* socket = amqp_tcp_socket_new(conn);
        REQUIRE(socket != nullptr);
        REQUIRE(amqp_socket_open(socket, "127.0.0.1", port) == AMQP_STATUS_OK);
        auto r = amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, user, password);
        open = r.reply_type == AMQP_RESPONSE_NORMAL;
        return r;
    }
};

std::string text(amqp_bytes_t b)
{
    return std::string(static_cast<const char*>(b.bytes), b.len);
}

} // namespace

TEST_CASE("rabbitmq-c: confirmed publish with properties, consume and ack, and the errors", "[integration][amqp091]")
{
    broker_process b("listeners: [{ name: amqp091, protocol: amqp091, port: 0 }]\n");
    INFO(b.log());
    REQUIRE(b.start());
    const auto port = b.port("amqp091");

    client c;
    REQUIRE(c.connect(port, "guest", "guest").reply_type == AMQP_RESPONSE_NORMAL);
    amqp_channel_open(c.conn, 1);
    REQUIRE(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);
    const auto queue = amqp_cstring_bytes("rabbitmq-c-q");
    amqp_queue_declare(c.conn, 1, queue, 0, 1, 0, 0, amqp_empty_table);
    REQUIRE(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);
    amqp_confirm_select(c.conn, 1);
    REQUIRE(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);

    amqp_table_entry_t header;
    header.key = amqp_cstring_bytes("tenant");
    header.value.kind = AMQP_FIELD_KIND_UTF8;
    header.value.value.bytes = amqp_cstring_bytes("acme");
    amqp_basic_properties_t props{};
    props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG | AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_CORRELATION_ID_FLAG |
                   AMQP_BASIC_HEADERS_FLAG;
    props.content_type = amqp_cstring_bytes("text/plain");
    props.delivery_mode = 2;
    props.correlation_id = amqp_cstring_bytes("req-7");
    props.headers.num_entries = 1;
    props.headers.entries = &header;
    REQUIRE(amqp_basic_publish(c.conn, 1, amqp_empty_bytes, queue, 1, 0, &props, amqp_cstring_bytes("hello from C")) ==
            AMQP_STATUS_OK);
    // The confirm: basic.ack for delivery tag 1.
    amqp_frame_t frame;
    timeval wait{ 5, 0 };
    REQUIRE(amqp_simple_wait_frame_noblock(c.conn, &frame, &wait) == AMQP_STATUS_OK);
    REQUIRE(frame.frame_type == AMQP_FRAME_METHOD);
    REQUIRE(frame.payload.method.id == AMQP_BASIC_ACK_METHOD);
    CHECK(static_cast<amqp_basic_ack_t*>(frame.payload.method.decoded)->delivery_tag == 1);

    amqp_basic_consume(c.conn, 1, queue, amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
    REQUIRE(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);
    amqp_envelope_t env;
    amqp_maybe_release_buffers(c.conn);
    timeval consume_wait{ 5, 0 };
    REQUIRE(amqp_consume_message(c.conn, &env, &consume_wait, 0).reply_type == AMQP_RESPONSE_NORMAL);
    CHECK(text(env.message.body) == "hello from C");
    CHECK(text(env.routing_key) == "rabbitmq-c-q");
    CHECK_FALSE(env.redelivered);
    CHECK(text(env.message.properties.content_type) == "text/plain");
    CHECK(text(env.message.properties.correlation_id) == "req-7");
    CHECK(env.message.properties.delivery_mode == 2);
    REQUIRE(env.message.properties.headers.num_entries == 1);
    CHECK(text(env.message.properties.headers.entries[0].key) == "tenant");
    CHECK(text(env.message.properties.headers.entries[0].value.value.bytes) == "acme");
    REQUIRE(amqp_basic_ack(c.conn, 1, env.delivery_tag, 0) == AMQP_STATUS_OK);
    amqp_destroy_envelope(&env);

    // A passive declare of a missing queue: the channel closes with 404, the connection stays.
    amqp_channel_open(c.conn, 2);
    REQUIRE(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);
    amqp_queue_declare(c.conn, 2, amqp_cstring_bytes("rabbitmq-c-missing"), 1, 0, 0, 0, amqp_empty_table);
    auto missing = amqp_get_rpc_reply(c.conn);
    REQUIRE(missing.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION);
    REQUIRE(missing.reply.id == AMQP_CHANNEL_CLOSE_METHOD);
    const auto* close = static_cast<amqp_channel_close_t*>(missing.reply.decoded);
    CHECK(close->reply_code == 404);
    CHECK(text(close->reply_text).find("rabbitmq-c-missing") != std::string::npos);
    amqp_channel_close_ok_t close_ok{};
    amqp_send_method(c.conn, 2, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
    amqp_queue_declare(c.conn, 1, queue, 1, 0, 0, 0, amqp_empty_table); // channel 1 still works
    CHECK(amqp_get_rpc_reply(c.conn).reply_type == AMQP_RESPONSE_NORMAL);

    // A wrong password: the login is refused with 403 (authentication_failure_close).
    client refused;
    auto r = refused.connect(port, "guest", "wrong");
    REQUIRE(r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION);
    REQUIRE(r.reply.id == AMQP_CONNECTION_CLOSE_METHOD);
    CHECK(static_cast<amqp_connection_close_t*>(r.reply.decoded)->reply_code == 403);
}
