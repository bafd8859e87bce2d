// What a connection is about to send: frames accumulate here during one event-loop turn and
// leave in one connection::write, so a batch of deliveries is one gathered write.
//
// Small frames are built in one growing buffer; message bodies larger than
// `inline_body_bytes` are appended as the shared slices they arrived in (never copied), each
// body frame's header and end octet around them.
//
// Threading: owned by one session, on its shard.
#pragma once

#include "frame.h"
#include "methods.h"
#include "properties.h"
#include "plexus/sdk/buffer_chain.h"

#include <cstdint>
#include <string>

namespace plexus::protocol::amqp091 {

class outbound
{
  public:
    /// Bodies up to this size are copied into the frame buffer: one fragment is cheaper to
    /// write than three small ones.
    static constexpr std::size_t inline_body_bytes = 512;

    outbound();

    void set_frame_max(std::uint32_t frame_max) noexcept { _frame_max = frame_max; }

    void method(std::uint16_t channel, const amqp091::method& m);
    /// A method with content: the method frame, the header frame, then the body split into
    /// frames of at most frame-max bytes.
    void content(std::uint16_t channel,
                 const amqp091::method& m,
                 const basic_properties& properties,
                 const sdk::buffer_chain& body);
    void heartbeat();
    /// Bytes written directly (the protocol header sent back to a wrong client).
    void raw(std::string_view bytes);

    bool empty() const noexcept { return _building.empty() && _chain.empty(); }
    /// Everything accumulated, as one chain; the writer is empty afterwards.
    sdk::buffer_chain take();

  private:
    void seal();

    std::uint32_t _frame_max = frame_min_size;
    std::string _building;
    sdk::buffer_chain _chain;
    sdk::bytes _end_octet; // shared by every body frame that ends on a shared slice
};

} // namespace plexus::protocol::amqp091
