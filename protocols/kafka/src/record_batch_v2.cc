#include "record_batch_v2.h"

#include "compression.h"
#include "crc32c.h"
#include "wire/wire_reader.h"
#include "wire/wire_writer.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <optional>
#include <utility>
#include <memory>
#include <span>

namespace plexus::protocol::kafka {
namespace {

// Byte positions in a batch (the protocol guide's RecordBatch layout).
constexpr std::size_t batch_length_end = 12; // baseOffset int64 + batchLength int32
constexpr std::size_t crc_at = 17;
constexpr std::size_t attributes_at = 21;
constexpr std::size_t max_timestamp_at = 35;
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

/// Reads `count` records from an (inflated) records section.
bool read_records(wire_reader& r,
                  std::int32_t count,
                  std::int64_t base_ts,
                  std::optional<sdk::timestamp_ms> batch_time,
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
        rec.varint(); // offset delta: checked dense when the batch was produced
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
        msg->timestamp = batch_time ? *batch_time : sdk::timestamp_ms(base_ts + ts_delta);
        msg->routing_key = std::string(routing_key);
        out.push_back(std::move(msg));
    }
    return true;
}

/// Checks that `count` records fill the (inflated) records section exactly, each with the
/// offset delta of its place, without decoding them.
bool records_are_dense(std::string_view records, std::int32_t count)
{
    wire_reader r(records);
    for (std::int32_t i = 0; i < count; ++i) {
        std::int32_t length = r.varint();
        if (!r.ok() || length < 0 || static_cast<std::size_t>(length) > r.remaining()) {
            return false;
        }
        wire_reader rec(r.raw(static_cast<std::size_t>(length)));
        rec.int8();
        rec.varlong();
        if (rec.varint() != i || !rec.ok()) {
            return false;
        }
    }
    return r.ok() && r.remaining() == 0;
}

/// One batch's header fields, read and checked by next_batch().
struct batch_view
{
    std::string_view whole; ///< the batch, from its baseOffset to its last record
    std::int16_t attributes = 0;
    std::int32_t last_offset_delta = 0;
    std::int64_t base_ts = 0;
    std::int64_t max_ts = 0;
    std::int64_t producer_id = -1;
    std::int16_t producer_epoch = -1;
    std::int32_t base_sequence = -1;
    std::int32_t count = 0;

    bool control() const noexcept { return (attributes & control_bit) != 0; }
    bool log_append_time() const noexcept { return (attributes & log_append_time_bit) != 0; }
    compression_codec codec() const noexcept { return static_cast<compression_codec>(attributes & codec_mask); }
};

struct batch_failure
{
    error_code error;
    std::string detail;
};

/// Takes the batch at the front of `bytes`: its length, magic, CRC and header checked.
std::optional<batch_failure> next_batch(std::string_view& bytes, batch_view& out)
{
    wire_reader head(bytes);
    head.int64(); // base offset: the client's is meaningless to the broker
    std::int32_t length = head.int32();
    if (!head.ok() || length < static_cast<std::int32_t>(header_bytes - batch_length_end) ||
        static_cast<std::size_t>(length) > bytes.size() - batch_length_end) {
        return batch_failure{ error_code::corrupt_message, "a record batch is truncated or has a bad length" };
    }
    out.whole = bytes.substr(0, batch_length_end + static_cast<std::size_t>(length));
    bytes.remove_prefix(out.whole.size());
    wire_reader r(out.whole.substr(batch_length_end));
    r.int32(); // partition leader epoch
    if (r.int8() != magic_v2) {
        return batch_failure{ error_code::unsupported_for_message_format, "only RecordBatch v2 (magic 2) is accepted" };
    }
    auto crc = static_cast<std::uint32_t>(r.int32());
    if (crc != crc_of(out.whole.substr(crc_covered_from))) {
        return batch_failure{ error_code::corrupt_message, "a record batch fails its CRC32C check" };
    }
    out.attributes = r.int16();
    out.last_offset_delta = r.int32();
    out.base_ts = r.int64();
    out.max_ts = r.int64();
    out.producer_id = r.int64();
    out.producer_epoch = r.int16();
    out.base_sequence = r.int32();
    out.count = r.int32();
    if (!r.ok() || out.count < 0) {
        return batch_failure{ error_code::corrupt_message, "a record batch header is malformed" };
    }
    return std::nullopt;
}

/// The records section of `b`, inflated into `inflated` when the batch is compressed.
std::optional<batch_failure> records_of(const batch_view& b, std::string& inflated, std::string_view& records)
{
    records = b.whole.substr(header_bytes);
    if (b.codec() == compression_codec::none) {
        return std::nullopt;
    }
    auto plain = decompress(b.codec(), records, std::max<std::size_t>(records.size() * max_inflation, 1u << 20));
    if (!plain) {
        return batch_failure{ plain.error().code() == sdk::errc::not_supported
                                ? error_code::unsupported_compression_type
                                : error_code::corrupt_message,
                              std::string(plain.error().message()) };
    }
    inflated = std::move(*plain);
    records = inflated;
    return std::nullopt;
}

template<class Out>
Out failed_with(batch_failure f)
{
    Out out;
    out.error = f.error;
    out.detail = std::move(f.detail);
    return out;
}

} // namespace

decoded_records decode_record_batches(std::string_view bytes, sdk::timestamp_ms now, std::string_view routing_key)
try {
    decoded_records out;
    while (!bytes.empty()) {
        batch_view b;
        if (auto f = next_batch(bytes, b)) {
            return failed_with<decoded_records>(std::move(*f));
        }
        if (out.records.empty() && out.producer_id < 0) {
            out.producer_id = b.producer_id;
            out.producer_epoch = b.producer_epoch;
            out.base_sequence = b.base_sequence;
        }
        if (b.control()) {
            continue; // transaction markers: transactions are not served, nothing to store
        }
        std::string inflated;
        std::string_view records;
        if (auto f = records_of(b, inflated, records)) {
            return failed_with<decoded_records>(std::move(*f));
        }
        // LogAppendTime: every record has the time the broker stored the batch at (its max
        // timestamp once stored); a batch without times gets `now`.
        std::optional<sdk::timestamp_ms> batch_time;
        if (b.base_ts < 0) {
            batch_time = now;
        } else if (b.log_append_time()) {
            batch_time = b.max_ts >= 0 ? sdk::timestamp_ms(b.max_ts) : now;
        }
        wire_reader rr(records);
        if (static_cast<std::size_t>(b.count) > records.size() ||
            !read_records(rr, b.count, b.base_ts, batch_time, routing_key, out.records) || rr.remaining() != 0) {
            return failed_with<decoded_records>({ error_code::corrupt_message, "a record in a batch is malformed" });
        }
    }
    return out;
} catch (const std::bad_alloc&) {
    return failed_with<decoded_records>({ error_code::kafka_storage_error, "out of memory decoding a record batch" });
}

staged_records stage_record_batches(std::string_view bytes, sdk::timestamp_ms now)
try {
    staged_records out;
    sdk::encoded_records& e = out.encoded;
    e.format = std::string(kafka_v2_format_name);
    e.max_timestamp = sdk::timestamp_ms(std::numeric_limits<std::int64_t>::min());
    // The kept batches go straight into the buffer the engine will share: one copy.
    auto slab = sdk::bytes::allocate(bytes.size());
    const std::span<char> kept(reinterpret_cast<char*>(slab.writable().data()), slab.size());
    std::size_t used = 0;
    bool first = true;
    while (!bytes.empty()) {
        batch_view b;
        if (auto f = next_batch(bytes, b)) {
            return failed_with<staged_records>(std::move(*f));
        }
        if (std::exchange(first, false)) {
            out.producer_id = b.producer_id;
            out.producer_epoch = b.producer_epoch;
            out.base_sequence = b.base_sequence;
        }
        if (b.control() || b.count == 0) {
            continue; // transaction markers: transactions are not served, nothing to store
        }
        if (b.last_offset_delta != b.count - 1) {
            return failed_with<staged_records>(
              { error_code::corrupt_message, "a record batch's last offset delta does not match its record count" });
        }
        std::string inflated;
        std::string_view records;
        if (auto f = records_of(b, inflated, records)) {
            return failed_with<staged_records>(std::move(*f));
        }
        if (static_cast<std::size_t>(b.count) > records.size() || !records_are_dense(records, b.count)) {
            return failed_with<staged_records>(
              { error_code::corrupt_message, "a record in a batch is malformed or out of offset order" });
        }
        const std::size_t at = used;
        std::copy(b.whole.begin(), b.whole.end(), kept.begin() + static_cast<std::ptrdiff_t>(at));
        used += b.whole.size();
        std::int64_t max_ts = b.max_ts;
        if (b.log_append_time() || b.base_ts < 0) {
            // The broker's time, as a Kafka broker writes it: into the max timestamp, under a
            // new CRC.
            max_ts = now();
            for (int i = 0; i < 8; ++i) {
                kept[at + max_timestamp_at + static_cast<std::size_t>(i)] =
                  static_cast<char>((static_cast<std::uint64_t>(max_ts) >> (56 - 8 * i)) & 0xff);
            }
            if (b.base_ts < 0) {
                kept[at + attributes_at + 1] = static_cast<char>(kept[at + attributes_at + 1] | log_append_time_bit);
            }
            const auto crc = crc_of(std::string_view(kept.data() + at, b.whole.size()).substr(crc_covered_from));
            for (int i = 0; i < 4; ++i) {
                kept[at + crc_at + static_cast<std::size_t>(i)] = static_cast<char>((crc >> (24 - 8 * i)) & 0xff);
            }
        }
        e.offset_slots.push_back({ static_cast<std::uint32_t>(at), e.count });
        e.count += static_cast<std::uint32_t>(b.count);
        e.max_timestamp = std::max(e.max_timestamp, sdk::timestamp_ms(max_ts));
    }
    if (used > 0) {
        e.bytes = sdk::buffer_chain(slab.share(0, used));
    }
    return out;
} catch (const std::bad_alloc&) {
    return failed_with<staged_records>({ error_code::kafka_storage_error, "out of memory reading a record batch" });
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

namespace {

/// One record of an (inflated) records section, as compaction needs it.
struct raw_record
{
    std::int64_t ts_delta = 0;
    std::string_view key;
    bool null_value = false;
    /// From the key's length on: what a rewritten record keeps as it is.
    std::string_view tail;
};

/// Calls `each` with every record of `records` (`count` of them); false when one is malformed.
template<class Each>
bool walk_records(std::string_view records, std::int32_t count, Each each)
{
    wire_reader r(records);
    for (std::int32_t i = 0; i < count; ++i) {
        std::int32_t length = r.varint();
        if (!r.ok() || length < 0 || static_cast<std::size_t>(length) > r.remaining()) {
            return false;
        }
        const std::string_view whole = r.raw(static_cast<std::size_t>(length));
        wire_reader rec(whole);
        raw_record out;
        rec.int8();
        out.ts_delta = rec.varlong();
        rec.varint();
        out.tail = whole.substr(whole.size() - rec.remaining());
        std::int32_t key_length = rec.varint();
        if (key_length > 0) {
            out.key = rec.raw(static_cast<std::size_t>(key_length));
        }
        out.null_value = rec.varint() < 0;
        if (!rec.ok()) {
            return false;
        }
        each(out);
    }
    return r.ok() && r.remaining() == 0;
}

/// Every stored batch of `bytes` with its records section; `each(batch, records)`.
template<class Out, class Each>
std::optional<Out> for_each_stored_batch(std::string_view bytes, Each each)
{
    while (!bytes.empty()) {
        batch_view b;
        if (auto f = next_batch(bytes, b)) {
            return failed_with<Out>(std::move(*f));
        }
        std::string inflated;
        std::string_view records;
        if (auto f = records_of(b, inflated, records)) {
            return failed_with<Out>(std::move(*f));
        }
        if (!each(b, records)) {
            return failed_with<Out>({ error_code::corrupt_message, "a record in a batch is malformed" });
        }
    }
    return std::nullopt;
}

/// A batch at `base_offset` of the records `kept` (each a record's tail and timestamp delta),
/// with `b`'s timestamps, so that the deltas hold as they are, compressed with `b`'s codec
/// unless that makes it no smaller.
std::string rebuilt_batch(const batch_view& b, std::int64_t base_offset, const std::vector<raw_record>& kept)
{
    wire_writer records;
    wire_writer rec;
    std::int32_t delta = 0;
    for (const auto& k : kept) {
        rec.clear();
        rec.int8(0);
        rec.varint(k.ts_delta);
        rec.varint(delta++);
        rec.raw(k.tail);
        records.varint(static_cast<std::int64_t>(rec.size()));
        records.raw(rec.data());
    }
    auto codec = b.codec();
    std::string section = records.take();
    if (codec != compression_codec::none) {
        auto packed = compress(codec, section);
        if (packed && packed->size() < section.size()) {
            section = std::move(*packed);
        } else {
            codec = compression_codec::none;
        }
    }
    wire_writer w;
    w.int64(base_offset);
    w.int32(0); // batch length, patched below
    w.int32(0); // partition leader epoch
    w.int8(magic_v2);
    w.int32(0); // CRC32C, patched below
    w.int16(static_cast<std::int16_t>((b.attributes & log_append_time_bit) | static_cast<std::int16_t>(codec)));
    w.int32(static_cast<std::int32_t>(kept.size() - 1));
    w.int64(b.base_ts);
    w.int64(b.max_ts);
    w.int64(-1); // no producer: the batch is the broker's now, as a compacted Kafka log's are
    w.int16(-1);
    w.int32(-1);
    w.int32(static_cast<std::int32_t>(kept.size()));
    w.raw(section);
    w.patch_int32(8, static_cast<std::uint32_t>(w.size() - batch_length_end));
    w.patch_int32(crc_at, crc_of(std::string_view(w.data()).substr(crc_covered_from)));
    return w.take();
}

/// A record's time: its own, or the batch's when the broker sets it (as decode_record_batches).
sdk::timestamp_ms time_of(const batch_view& b, const raw_record& r, sdk::timestamp_ms now)
{
    if (b.base_ts < 0) {
        return now;
    }
    return b.log_append_time() ? sdk::timestamp_ms(b.max_ts) : sdk::timestamp_ms(b.base_ts + r.ts_delta);
}

} // namespace

stored_batch_headers headers_of_record_batches(std::string_view bytes)
try {
    stored_batch_headers out;
    while (!bytes.empty()) {
        batch_view b;
        const std::string_view at = bytes;
        if (auto f = next_batch(bytes, b)) {
            return failed_with<stored_batch_headers>(std::move(*f));
        }
        wire_reader base(at);
        out.batches.push_back({ base.int64(), b.producer_id, b.producer_epoch, b.base_sequence, b.count });
    }
    return out;
} catch (const std::bad_alloc&) {
    return failed_with<stored_batch_headers>(
      { error_code::kafka_storage_error, "out of memory reading batch headers" });
}

record_keys keys_of_record_batches(std::string_view bytes, sdk::timestamp_ms now)
try {
    record_keys out;
    auto failed = for_each_stored_batch<record_keys>(bytes, [&](const batch_view& b, std::string_view records) {
        return walk_records(records, b.count, [&](const raw_record& r) {
            out.keys.push_back({ std::string(r.key), r.null_value, time_of(b, r, now) });
        });
    });
    return failed ? std::move(*failed) : std::move(out);
} catch (const std::bad_alloc&) {
    return failed_with<record_keys>({ error_code::kafka_storage_error, "out of memory reading record keys" });
}

retained_records retain_records(std::string_view bytes,
                                std::int64_t base,
                                const std::vector<bool>& keep,
                                sdk::timestamp_ms now)
try {
    retained_records out;
    std::size_t i = 0;
    auto failed = for_each_stored_batch<retained_records>(bytes, [&](const batch_view& b, std::string_view records) {
        std::vector<raw_record> run;
        retained_batch made;
        auto close_run = [&] {
            if (!run.empty()) {
                made.count = static_cast<std::uint32_t>(run.size());
                made.bytes = rebuilt_batch(b, made.first_offset, run);
                out.batches.push_back(std::move(made));
                made = {};
                run.clear();
            }
        };
        const bool ok = walk_records(records, b.count, [&](const raw_record& r) {
            const bool kept = i < keep.size() && keep[i];
            if (kept) {
                if (run.empty()) {
                    made.first_offset = base + static_cast<std::int64_t>(i);
                }
                made.max_timestamp = std::max(made.max_timestamp, time_of(b, r, now));
                run.push_back(r);
            } else {
                close_run();
            }
            ++i;
        });
        close_run();
        return ok;
    });
    if (failed) {
        return std::move(*failed);
    }
    if (i != keep.size()) {
        return failed_with<retained_records>(
          { error_code::corrupt_message, "the batch holds another number of records than asked about" });
    }
    return out;
} catch (const std::bad_alloc&) {
    return failed_with<retained_records>({ error_code::kafka_storage_error, "out of memory rewriting records" });
}

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
