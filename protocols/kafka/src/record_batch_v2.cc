#include "record_batch_v2.h"

#include "compression.h"
#include "crc32c.h"
#include "wire/wire_reader.h"
#include "wire/wire_writer.h"

#include <algorithm>
#include <charconv>
#include <memory>
#include <span>

namespace plexus::protocol::kafka {
namespace {

// Byte positions in a batch (the protocol guide's RecordBatch layout).
constexpr std::size_t batch_length_end = 12; // baseOffset int64 + batchLength int32
constexpr std::size_t crc_at = 17;
constexpr std::size_t crc_covered_from = 21; // attributes .. end
constexpr std::size_t header_bytes = 61;
constexpr std::int8_t magic_v2 = 2;
constexpr std::int16_t codec_mask = 0x07;
constexpr std::int16_t log_append_time_bit = 0x08;
constexpr std::int16_t control_bit = 0x20;
// Inflated records of one batch may be at most this many times the compressed size, so a
// small "zip bomb" cannot take the shard's memory.
constexpr std::size_t max_inflation = 256;

std::uint32_t crc_of(std::string_view covered)
{
    return storage::crc32c(std::as_bytes(std::span<const char>(covered.data(), covered.size())));
}

decoded_records failed(error_code e, std::string detail)
{
    decoded_records d;
    d.error = e;
    d.detail = std::move(detail);
    return d;
}

/// Reads `count` records from an (inflated) records section.
bool read_records(wire_reader& r,
                  std::int32_t count,
                  std::int64_t base_ts,
                  bool broker_time,
                  sdk::timestamp_ms now,
                  std::string_view routing_key,
                  std::vector<sdk::message_ptr>& out)
{
    for (std::int32_t i = 0; i < count; ++i) {
        std::int32_t length = r.varint();
        if (!r.ok() || length < 0 || static_cast<std::size_t>(length) > r.remaining()) {
            return false;
        }
        wire_reader rec(r.raw(static_cast<std::size_t>(length)));
        rec.int8(); // record attributes: unused by the protocol
        std::int64_t ts_delta = rec.varlong();
        rec.varint(); // offset delta: the kernel assigns dense offsets itself
        auto msg = std::make_shared<sdk::message>();
        std::int32_t key_length = rec.varint();
        if (key_length > 0) {
            msg->key = std::string(rec.raw(static_cast<std::size_t>(key_length)));
        }
        std::int32_t value_length = rec.varint();
        if (value_length > 0) {
            msg->body = sdk::buffer_chain::copy_of(rec.raw(static_cast<std::size_t>(value_length)));
        }
        std::int32_t header_count = rec.varint();
        if (!rec.ok() || header_count < 0 || static_cast<std::size_t>(header_count) > rec.remaining()) {
            return false;
        }
        for (std::int32_t h = 0; h < header_count; ++h) {
            sdk::header hd;
            std::int32_t hk = rec.varint();
            if (hk < 0) {
                return false;
            }
            hd.key = std::string(rec.raw(static_cast<std::size_t>(hk)));
            std::int32_t hv = rec.varint();
            if (hv >= 0) {
                hd.value = std::string(rec.raw(static_cast<std::size_t>(hv)));
            }
            msg->headers_.push_back(std::move(hd));
        }
        if (!rec.ok() || rec.remaining() != 0) {
            return false;
        }
        msg->timestamp = broker_time || base_ts < 0 ? now : sdk::timestamp_ms(base_ts + ts_delta);
        msg->routing_key = std::string(routing_key);
        out.push_back(std::move(msg));
    }
    return true;
}

} // namespace

decoded_records decode_record_batches(std::string_view bytes, sdk::timestamp_ms now, std::string_view routing_key)
try {
    decoded_records out;
    while (!bytes.empty()) {
        wire_reader head(bytes);
        head.int64(); // base offset: the client's is meaningless to the broker
        std::int32_t length = head.int32();
        if (!head.ok() || length < static_cast<std::int32_t>(header_bytes - batch_length_end) ||
            static_cast<std::size_t>(length) > bytes.size() - batch_length_end) {
            return failed(error_code::corrupt_message, "a record batch is truncated or has a bad length");
        }
        std::string_view batch = bytes.substr(0, batch_length_end + static_cast<std::size_t>(length));
        bytes.remove_prefix(batch.size());
        wire_reader r(batch.substr(batch_length_end));
        r.int32(); // partition leader epoch
        if (r.int8() != magic_v2) {
            return failed(error_code::unsupported_for_message_format, "only RecordBatch v2 (magic 2) is accepted");
        }
        auto crc = static_cast<std::uint32_t>(r.int32());
        if (crc != crc_of(batch.substr(crc_covered_from))) {
            return failed(error_code::corrupt_message, "a record batch fails its CRC32C check");
        }
        std::int16_t attributes = r.int16();
        r.int32(); // last offset delta
        std::int64_t base_ts = r.int64();
        r.int64(); // max timestamp
        std::int64_t producer_id = r.int64();
        std::int16_t producer_epoch = r.int16();
        std::int32_t base_sequence = r.int32();
        std::int32_t count = r.int32();
        if (out.records.empty() && out.producer_id < 0) {
            out.producer_id = producer_id;
            out.producer_epoch = producer_epoch;
            out.base_sequence = base_sequence;
        }
        if (!r.ok() || count < 0) {
            return failed(error_code::corrupt_message, "a record batch header is malformed");
        }
        if (attributes & control_bit) {
            continue; // transaction markers: transactions are not served, nothing to store
        }
        auto codec = static_cast<compression_codec>(attributes & codec_mask);
        std::string inflated;
        std::string_view records = batch.substr(header_bytes);
        if (codec != compression_codec::none) {
            auto plain = decompress(codec, records, std::max<std::size_t>(records.size() * max_inflation, 1u << 20));
            if (!plain) {
                return failed(plain.error().code() == sdk::errc::not_supported
                                ? error_code::unsupported_compression_type
                                : error_code::corrupt_message,
                              std::string(plain.error().message()));
            }
            inflated = std::move(*plain);
            records = inflated;
        }
        wire_reader rr(records);
        if (static_cast<std::size_t>(count) > records.size() ||
            !read_records(rr, count, base_ts, attributes & log_append_time_bit, now, routing_key, out.records) ||
            rr.remaining() != 0) {
            return failed(error_code::corrupt_message, "a record in a batch is malformed");
        }
    }
    return out;
} catch (const std::bad_alloc&) {
    return failed(error_code::kafka_storage_error, "out of memory decoding a record batch");
}

namespace {

void write_header_value(wire_writer& w, const sdk::header_value& v)
{
    struct visitor
    {
        wire_writer& w;
        void text(std::string_view s)
        {
            w.varint(static_cast<std::int64_t>(s.size()));
            w.raw(s);
        }
        void operator()(std::monostate) { w.varint(-1); }
        void operator()(bool b) { text(b ? "true" : "false"); }
        void operator()(std::int64_t i)
        {
            char buf[24];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
            text(std::string_view(buf, static_cast<std::size_t>(end - buf)));
        }
        void operator()(double d)
        {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
            text(std::string_view(buf, static_cast<std::size_t>(end - buf)));
        }
        void operator()(const std::string& s) { text(s); }
    };
    std::visit(visitor{ w }, v);
}

} // namespace

std::string encode_record_batch(const sdk::record_batch& batch)
{
    if (batch.empty()) {
        return {};
    }
    std::int64_t base_ts = batch.records.front()->timestamp();
    std::int64_t max_ts = base_ts;
    for (const auto& m : batch.records) {
        max_ts = std::max(max_ts, m->timestamp());
    }
    wire_writer w;
    w.int64(batch.base_offset());
    w.int32(0); // batch length, patched below
    w.int32(0); // partition leader epoch: one broker, epoch 0
    w.int8(magic_v2);
    w.int32(0); // CRC32C, patched below
    w.int16(0); // attributes: uncompressed, CreateTime, not transactional
    w.int32(static_cast<std::int32_t>(batch.records.size() - 1));
    w.int64(base_ts);
    w.int64(max_ts);
    w.int64(-1); // no producer id
    w.int16(-1);
    w.int32(-1);
    w.int32(static_cast<std::int32_t>(batch.records.size()));
    wire_writer rec;
    std::int32_t delta = 0;
    for (const auto& m : batch.records) {
        rec.clear(); // one buffer for every record
        rec.int8(0);
        rec.varint(m->timestamp() - base_ts);
        rec.varint(delta++);
        if (m->key.empty()) {
            rec.varint(-1);
        } else {
            rec.varint(static_cast<std::int64_t>(m->key.size()));
            rec.raw(m->key);
        }
        rec.varint(static_cast<std::int64_t>(m->body.size()));
        m->body.for_each_fragment([&](const sdk::bytes& b) { rec.raw(b.as_string_view()); });
        rec.varint(static_cast<std::int64_t>(m->headers_.size()));
        for (const auto& h : m->headers_) {
            rec.varint(static_cast<std::int64_t>(h.key.size()));
            rec.raw(h.key);
            write_header_value(rec, h.value);
        }
        w.varint(static_cast<std::int64_t>(rec.size()));
        w.raw(rec.data());
    }
    w.patch_int32(8, static_cast<std::uint32_t>(w.size() - batch_length_end));
    w.patch_int32(crc_at, crc_of(std::string_view(w.data()).substr(crc_covered_from)));
    return w.take();
}

} // namespace plexus::protocol::kafka
