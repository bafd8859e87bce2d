// The value stored under each `logs` key: one stored batch, a run of consecutive records of one
// log (an appended batch, or a part of a large one). The key is (log id, first offset).
//
//   u8  format (2, the database's storage format: database.h)
//   u32 count            records in the batch, >= 1
//   i64 max_timestamp    the largest record timestamp: a timestamp search skips the batch
//                        without decoding it when this is below what it looks for
//   u64 begin_bytes      the log's cumulative size_bytes() before the batch's first record
//   u64 size_bytes       the records' total size_bytes()
//   u32 table_bytes      length of the size table that follows the header
//   size table           `count` varints: each record's size_bytes(), in offset order
//   records              each as the shared record codec (record_codec.h) encodes it, length
//                        prefix included, so a run of them is what decode_records() reads
//
// The byte counts give size_bytes() of any offset range without decoding a record: reopen and
// truncate_prefix read one header and at most one size table, and a read applies its byte
// budget before it copies or decodes anything. Fixed-width little-endian: the header is
// parsed, never compared.
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
    std::uint32_t count = 0;
    sdk::timestamp_ms max_timestamp{ 0 };
    std::uint64_t begin_bytes = 0;
    std::uint64_t size_bytes = 0;
    std::uint32_t table_bytes = 0;

    std::uint64_t end_bytes() const noexcept { return begin_bytes + size_bytes; }
};

/// Builds stored batches. Reused by one log (its buffers keep their capacity).
class batch_encoder
{
  public:
    /// Starts an empty batch whose first record is `begin_bytes` into its log.
    void start(std::uint64_t begin_bytes);
    void add(const sdk::message& m);
    std::uint32_t count() const noexcept { return _count; }
    /// Encoded bytes of the records added so far (what bounds a stored batch's size).
    std::size_t record_bytes() const noexcept { return _records.size(); }
    /// The records' total size_bytes().
    std::uint64_t size_bytes() const noexcept { return _size_bytes; }
    std::uint64_t end_bytes() const noexcept { return _begin_bytes + _size_bytes; }
    sdk::timestamp_ms max_timestamp() const noexcept { return _max_timestamp; }
    /// The value's three parts (header, size table, records), valid until the next start().
    std::span<const rocksdb::Slice, 3> parts();

  private:
    std::uint64_t _begin_bytes = 0;
    std::uint64_t _size_bytes = 0;
    std::uint32_t _count = 0;
    sdk::timestamp_ms _max_timestamp{ 0 };
    char _header[batch_header_size] = {};
    std::string _table;
    std::string _records;
    rocksdb::Slice _parts[3];
};

/// A stored batch read back: its header, checked against the value's length.
class batch_view
{
  public:
    /// nullopt when `value` is too short, inconsistent or of another format.
    static std::optional<batch_view> parse(const rocksdb::Slice& value) noexcept;

    const batch_header& header() const noexcept { return _header; }
    /// The encoded records, back to back.
    std::string_view records() const noexcept { return _records; }

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

    /// size_bytes() of the batch's first `n` records; nullopt on a damaged table.
    std::optional<std::uint64_t> bytes_before(std::uint32_t n) const noexcept;

  private:
    batch_header _header;
    std::string_view _table;
    std::string_view _records;
};

} // namespace plexus::storage::rocks
