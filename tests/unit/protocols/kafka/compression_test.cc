// Batches compressed by each codec's own library inflate to the original records; corrupt and
// truncated data and data inflating past the limit are refused.
#include "compression.h"
#include "crc32c.h"
#include "record_batch_v2.h"

#include <catch2/catch.hpp>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

using namespace plexus::protocol::kafka;
namespace sdk = plexus::sdk;

namespace {

std::string sample_text()
{
    std::string s;
    for (int i = 0; i < 2000; ++i) {
        s += "record number " + std::to_string(i) + ";";
    }
    return s;
}

std::string gzip(const std::string& in)
{
    z_stream z{};
    REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
    std::string out(deflateBound(&z, in.size()) + 32, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string snappy(const std::string& in)
{
    size_t n = snappy_max_compressed_length(in.size());
    std::string out(n, '\0');
    REQUIRE(snappy_compress(in.data(), in.size(), out.data(), &n) == SNAPPY_OK);
    out.resize(n);
    return out;
}

std::string xerial(const std::string& in)
{
    std::string block = snappy(in);
    std::string out("\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01", 16);
    auto n = static_cast<std::uint32_t>(block.size());
    out += static_cast<char>(n >> 24);
    out += static_cast<char>(n >> 16);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n);
    return out + block;
}

std::string lz4(const std::string& in)
{
    std::string out(LZ4F_compressFrameBound(in.size(), nullptr), '\0');
    auto n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
    REQUIRE_FALSE(LZ4F_isError(n));
    out.resize(n);
    return out;
}

std::string zstd(const std::string& in)
{
    std::string out(ZSTD_compressBound(in.size()), '\0');
    auto n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
    REQUIRE_FALSE(ZSTD_isError(n));
    out.resize(n);
    return out;
}

} // namespace

TEST_CASE("each codec inflates what its library compressed", "[kafka][compression]")
{
    auto text = sample_text();
    CHECK(decompress(compression_codec::gzip, gzip(text), 1 << 20).value() == text);
    CHECK(decompress(compression_codec::snappy, snappy(text), 1 << 20).value() == text);
    CHECK(decompress(compression_codec::snappy, xerial(text), 1 << 20).value() == text);
    CHECK(decompress(compression_codec::lz4, lz4(text), 1 << 20).value() == text);
    CHECK(decompress(compression_codec::zstd, zstd(text), 1 << 20).value() == text);
}

TEST_CASE("corrupt, truncated and oversized data are refused", "[kafka][compression]")
{
    auto text = sample_text();
    struct codec_case
    {
        compression_codec codec;
        std::string data;
    };
    for (auto& c : { codec_case{ compression_codec::gzip, gzip(text) },
                     codec_case{ compression_codec::snappy, xerial(text) },
                     codec_case{ compression_codec::lz4, lz4(text) },
                     codec_case{ compression_codec::zstd, zstd(text) } }) {
        INFO("codec " << int(c.codec));
        auto cut = decompress(c.codec, c.data.substr(0, c.data.size() / 2), 1 << 20);
        REQUIRE_FALSE(cut.ok());
        CHECK(cut.error().code() == sdk::errc::corruption);
        auto small = decompress(c.codec, c.data, 1000);
        REQUIRE_FALSE(small.ok());
        CHECK(small.error().code() == sdk::errc::resource_exhausted);
        CHECK_FALSE(decompress(c.codec, "this is not compressed at all", 1 << 20).ok());
    }
    auto unknown = decompress(static_cast<compression_codec>(6), "x", 1 << 20);
    REQUIRE_FALSE(unknown.ok());
    CHECK(unknown.error().code() == sdk::errc::not_supported);
}

TEST_CASE("a compressed batch decodes to its records", "[kafka][compression]")
{
    sdk::record_batch b;
    for (int i = 0; i < 3; ++i) {
        auto m = std::make_shared<sdk::message>();
        m->key = "k" + std::to_string(i);
        m->body = sdk::buffer_chain::copy_of("v" + std::to_string(i));
        m->timestamp = sdk::timestamp_ms(1000 + i);
        b.records.push_back(std::move(m));
    }
    auto plain = encode_record_batch(b);
    // The same batch with its records section zstd-compressed: attributes codec 4, then the
    // new length and CRC32C, as a producer writes them.
    std::string header = plain.substr(0, 61);
    std::string compressed = header + zstd(plain.substr(61));
    compressed[22] = static_cast<char>(compressed[22] | 4);
    auto length = static_cast<std::uint32_t>(compressed.size() - 12);
    for (int i = 0; i < 4; ++i) {
        compressed[8 + i] = static_cast<char>(length >> (8 * (3 - i)));
    }
    auto stale_crc = decode_record_batches(compressed, sdk::timestamp_ms(1), "t");
    CHECK(stale_crc.error == error_code::corrupt_message);
    std::string_view covered = std::string_view(compressed).substr(21);
    auto crc = plexus::storage::crc32c(std::as_bytes(std::span<const char>(covered.data(), covered.size())));
    for (int i = 0; i < 4; ++i) {
        compressed[17 + i] = static_cast<char>(crc >> (8 * (3 - i)));
    }
    auto d = decode_record_batches(compressed, sdk::timestamp_ms(1), "t");
    REQUIRE(d.error == error_code::none);
    REQUIRE(d.records.size() == 3);
    CHECK(d.records[2]->key == "k2");
    CHECK(d.records[2]->body.to_string() == "v2");
    CHECK(d.records[2]->timestamp() == 1002);
    // Produce stores it as it came: compressed, byte for byte (ADR 0019).
    auto staged = stage_record_batches(compressed, sdk::timestamp_ms(1));
    REQUIRE(staged.error == error_code::none);
    CHECK(staged.encoded.count == 3);
    CHECK(staged.encoded.bytes.to_string() == compressed);
    CHECK(staged.encoded.bytes.size() < plain.size() + 64);
}
