// The value stored under each `logs` key: one stored batch, a run of consecutive records of one
// log (an appended batch of messages or a part of a large one, or one encoded batch whole). The
// key is (log id, first offset). Its first byte is the storage format that introduced its kind
// (key_codec.h): 2 for messages (ADR 0009), 3 for encoded records (ADR 0019).
//
//   u8  format           2: messages                     3: encoded records
//   u32 count            records in the batch, >= 1
//   i64 max_timestamp    the largest record timestamp: a timestamp search skips the batch
//                        without reading its records when this is below what it looks for
//   u64 begin_bytes      the log's cumulative size_bytes() before the batch's first record
//   u64 size_bytes       2: the records' total size_bytes()   3: the length of the bytes
//   u32 table_bytes      2: length of the size table     3: length of the format name
//   2: size table        `count` varints: each record's size_bytes(), in offset order
//      records           each as the shared record codec (record_codec.h) encodes it, length
//                        prefix included, so a run of them is what decode_records() reads
//   3: format name       encoded_records::format, e.g. "kafka.v2"
//      bytes             encoded_records::bytes as appended, offset slots set to their offsets
//
// The byte counts give size_bytes() of any offset range without decoding a record: reopen and
// truncate_prefix read one header and at most one size table, and a read applies its byte
// budget before it copies or decodes anything. An encoded batch has no per-record sizes (the
// engine does not look inside it) and is stored and read whole, so it counts whole while any
// of its records is live. Fixed-width little-endian: the header is parsed, never compared.
#pragma once

#include "plexus/sdk/message.h"

#include <rocksdb/slice.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace plexus::storage::rocks {

constexpr std::size_t batch_header_size = 33;

struct batch_header
{
    bool encoded = false; ///< format 3: encoded records, not messages
    std::uint32_t count = 0;
    sdk::timestamp_ms max_timestamp{ 0 };
    std::uint64_t begin_bytes = 0;
    std::uint64_t size_bytes = 0;
    std::uint32_t table_bytes = 0; ///< the size table's length; an encoded batch's format name's

    std::uint64_t end_bytes() const noexcept { return begin_bytes + size_bytes; }
};

/// Builds stored batches. Reused by one log (its buffers keep their capacity).
class batch_encoder
{
  public:
    /// Starts an empty batch of messages whose first record is `begin_bytes` into its log.
    void start(std::uint64_t begin_bytes);
    void add(const sdk::message& m);
    /// Makes the batch the encoded batch `e` (which passed check_encoded()), stored at offset
    /// `base`, `begin_bytes` into its log: its bytes with the offset slots set. No add() after.
    void start_encoded(const sdk::encoded_records& e, sdk::offset base, std::uint64_t begin_bytes);
    std::uint32_t count() const noexcept { return _count; }
    /// Encoded bytes of the records added so far (what bounds a stored batch's size).
    std::size_t record_bytes() const noexcept { return _records.size(); }
    /// The records' total size_bytes() (of an encoded batch: its bytes' length).
    std::uint64_t size_bytes() const noexcept { return _size_bytes; }
    std::uint64_t end_bytes() const noexcept { return _begin_bytes + _size_bytes; }
    sdk::timestamp_ms max_timestamp() const noexcept { return _max_timestamp; }
    /// The value's three parts (header, size table or format name, records or bytes), valid
    /// until the next start().
    std::span<const rocksdb::Slice, 3> parts();

  private:
    bool _encoded = false;
    std::uint64_t _begin_bytes = 0;
    std::uint64_t _size_bytes = 0;
    std::uint32_t _count = 0;
    sdk::timestamp_ms _max_timestamp{ 0 };
    char _header[batch_header_size] = {};
    std::string _table;   ///< the size table, or an encoded batch's format name
    std::string _records; ///< the encoded messages, or an encoded batch's bytes
    rocksdb::Slice _parts[3];
};

/// A stored batch read back: its header, checked against the value's length.
class batch_view
{
  public:
    /// nullopt when `value` is too short, inconsistent or of a format this engine does not know.
    static std::optional<batch_view> parse(const rocksdb::Slice& value) noexcept;

    const batch_header& header() const noexcept { return _header; }
    bool encoded() const noexcept { return _header.encoded; }
    /// A batch of messages: the encoded records, back to back. An encoded batch: its bytes.
    std::string_view records() const noexcept { return _records; }
    /// An encoded batch's format name (empty for messages).
    std::string_view format_name() const noexcept { return _format_name; }

    /// Reads the size table in order.
    class sizes
    {
      public:
        explicit sizes(std::string_view table) noexcept
          : _table(table)
        {
        }
        /// The next record's size_bytes(); nullopt past the end or on a damaged table.
        std::optional<std::uint64_t> next() noexcept;

      private:
        std::string_view _table;
        std::size_t _pos = 0;
    };
    sizes record_sizes() const noexcept { return sizes(_table); }

    /// size_bytes() of the batch's first `n` records; nullopt on a damaged table. An encoded
    /// batch counts whole while any of its records is live: 0 for every n below its count.
    std::optional<std::uint64_t> bytes_before(std::uint32_t n) const noexcept;

  private:
    batch_header _header;
    std::string_view _table;
    std::string_view _format_name;
    std::string_view _records;
};

} // namespace plexus::storage::rocks
