// Each codec is the Debian library's own encoder and decoder: zlib (gzip), snappy (raw blocks, or the
// xerial framing Kafka's Java client writes), liblz4's frame API (the LZ4 frame format Kafka
// uses from RecordBatch v2 on) and libzstd's streaming API (frames need not state their size).
#include "compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <memory>

namespace plexus::protocol::kafka {
namespace {

constexpr std::size_t chunk = 64 * 1024;

sdk::status too_large(std::string_view codec)
{
    return sdk::status(sdk::errc::resource_exhausted, std::string(codec) + " data inflates past the limit");
}

sdk::status corrupt(std::string_view codec)
{
    return sdk::status(sdk::errc::corruption, std::string(codec) + " data is corrupt");
}

sdk::result<std::string> gunzip(std::string_view in, std::size_t max_bytes)
{
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) { // 15 + 32: a gzip or zlib header, detected
        return sdk::status(sdk::errc::internal, "zlib could not start");
    }
    std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    std::string out;
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        if (out.size() >= max_bytes) {
            return too_large("gzip");
        }
        std::size_t at = out.size();
        out.resize(at + chunk);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + at);
        z.avail_out = static_cast<uInt>(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        out.resize(at + chunk - z.avail_out);
        if (out.size() > max_bytes) {
            return too_large("gzip");
        }
        if (rc != Z_OK && rc != Z_STREAM_END) {
            return corrupt("gzip");
        }
        if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            return corrupt("gzip"); // input ended inside the stream
        }
    }
    return out;
}

sdk::result<std::string> snappy_block(std::string_view in, std::size_t max_bytes, std::string& out)
{
    size_t length = 0;
    if (snappy_uncompressed_length(in.data(), in.size(), &length) != SNAPPY_OK) {
        return corrupt("snappy");
    }
    if (out.size() + length > max_bytes) {
        return too_large("snappy");
    }
    std::size_t at = out.size();
    out.resize(at + length);
    if (snappy_uncompress(in.data(), in.size(), out.data() + at, &length) != SNAPPY_OK) {
        return corrupt("snappy");
    }
    return std::string();
}

sdk::result<std::string> unsnappy(std::string_view in, std::size_t max_bytes)
{
    static constexpr std::string_view xerial_magic("\x82SNAPPY\x00", 8);
    std::string out;
    if (in.substr(0, xerial_magic.size()) != xerial_magic) {
        if (auto r = snappy_block(in, max_bytes, out); !r) {
            return r.error();
        }
        return out;
    }
    // xerial framing: magic, int32 version, int32 compatible version, then blocks of an int32
    // big-endian length and a raw snappy block.
    std::size_t pos = xerial_magic.size() + 8;
    if (in.size() < pos) {
        return corrupt("snappy");
    }
    while (pos < in.size()) {
        if (in.size() - pos < 4) {
            return corrupt("snappy");
        }
        auto b = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(in[pos + i])); };
        std::uint32_t length = (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
        pos += 4;
        if (in.size() - pos < length) {
            return corrupt("snappy");
        }
        if (auto r = snappy_block(in.substr(pos, length), max_bytes, out); !r) {
            return r.error();
        }
        pos += length;
    }
    return out;
}

sdk::result<std::string> unlz4(std::string_view in, std::size_t max_bytes)
{
    LZ4F_dctx* ctx = nullptr;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
        return sdk::status(sdk::errc::internal, "lz4 could not start");
    }
    std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(ctx, LZ4F_freeDecompressionContext);
    std::string out;
    std::size_t pos = 0;
    std::size_t hint = 1;
    while (hint != 0) {
        if (out.size() >= max_bytes) {
            return too_large("lz4");
        }
        std::size_t at = out.size();
        out.resize(at + chunk);
        std::size_t produced = chunk;
        std::size_t consumed = in.size() - pos;
        hint = LZ4F_decompress(ctx, out.data() + at, &produced, in.data() + pos, &consumed, nullptr);
        out.resize(at + produced);
        pos += consumed;
        if (out.size() > max_bytes) {
            return too_large("lz4");
        }
        if (LZ4F_isError(hint)) {
            return corrupt("lz4");
        }
        if (hint != 0 && pos == in.size() && produced == 0) {
            return corrupt("lz4"); // the frame is cut short
        }
    }
    return out;
}

sdk::result<std::string> unzstd(std::string_view in, std::size_t max_bytes)
{
    std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(), ZSTD_freeDStream);
    if (!ds || ZSTD_isError(ZSTD_initDStream(ds.get()))) {
        return sdk::status(sdk::errc::internal, "zstd could not start");
    }
    ZSTD_inBuffer input{ in.data(), in.size(), 0 };
    std::string out;
    std::size_t last = 1;
    while (input.pos < input.size || last != 0) {
        if (out.size() >= max_bytes) {
            return too_large("zstd");
        }
        std::size_t at = out.size();
        out.resize(at + chunk);
        ZSTD_outBuffer output{ out.data() + at, chunk, 0 };
        last = ZSTD_decompressStream(ds.get(), &output, &input);
        out.resize(at + output.pos);
        if (out.size() > max_bytes) {
            return too_large("zstd");
        }
        if (ZSTD_isError(last)) {
            return corrupt("zstd");
        }
        if (last != 0 && input.pos == input.size && output.pos == 0) {
            return corrupt("zstd"); // the frame is cut short
        }
    }
    return out;
}

sdk::result<std::string> gzip(std::string_view in)
{
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return sdk::status(sdk::errc::internal, "gzip could not start");
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        return sdk::status(sdk::errc::internal, "gzip could not compress");
    }
    return out;
}

sdk::result<std::string> snappy(std::string_view in)
{
    // Raw snappy: every client's decoder takes it (the Java client's reads raw blocks too).
    std::size_t length = snappy_max_compressed_length(in.size());
    std::string out(length, '\0');
    if (snappy_compress(in.data(), in.size(), out.data(), &length) != SNAPPY_OK) {
        return sdk::status(sdk::errc::internal, "snappy could not compress");
    }
    out.resize(length);
    return out;
}

sdk::result<std::string> lz4(std::string_view in)
{
    std::string out(LZ4F_compressFrameBound(in.size(), nullptr), '\0');
    const std::size_t n = LZ4F_compressFrame(out.data(), out.size(), in.data(), in.size(), nullptr);
    if (LZ4F_isError(n)) {
        return sdk::status(sdk::errc::internal, "lz4 could not compress");
    }
    out.resize(n);
    return out;
}

sdk::result<std::string> zstd(std::string_view in)
{
    constexpr int level = 3; // libzstd's default
    std::string out(ZSTD_compressBound(in.size()), '\0');
    const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), level);
    if (ZSTD_isError(n)) {
        return sdk::status(sdk::errc::internal, "zstd could not compress");
    }
    out.resize(n);
    return out;
}

} // namespace

sdk::result<std::string> compress(compression_codec codec, std::string_view data) noexcept
try {
    switch (codec) {
        case compression_codec::gzip:
            return gzip(data);
        case compression_codec::snappy:
            return snappy(data);
        case compression_codec::lz4:
            return lz4(data);
        case compression_codec::zstd:
            return zstd(data);
        case compression_codec::none:
            return std::string(data);
    }
    return sdk::status(sdk::errc::not_supported, "unknown compression codec " + std::to_string(int(codec)));
} catch (const std::bad_alloc&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory compressing a record batch");
}

sdk::result<std::string> decompress(compression_codec codec, std::string_view data, std::size_t max_bytes) noexcept
try {
    switch (codec) {
        case compression_codec::gzip:
            return gunzip(data, max_bytes);
        case compression_codec::snappy:
            return unsnappy(data, max_bytes);
        case compression_codec::lz4:
            return unlz4(data, max_bytes);
        case compression_codec::zstd:
            return unzstd(data, max_bytes);
        case compression_codec::none:
            break;
    }
    return sdk::status(sdk::errc::not_supported, "unknown compression codec " + std::to_string(int(codec)));
} catch (const std::bad_alloc&) {
    return sdk::status(sdk::errc::resource_exhausted, "out of memory inflating a record batch");
}

} // namespace plexus::protocol::kafka
