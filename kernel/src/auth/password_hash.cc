#include "kernel/src/auth/password_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <cstdint>

namespace plexus::kernel {
namespace {

constexpr std::size_t salt_bytes = 4;
constexpr std::size_t hashed_bytes = salt_bytes + SHA256_DIGEST_LENGTH;

std::string salted_digest(std::string_view salt, std::string_view password)
{
    std::string input;
    input.reserve(salt.size() + password.size());
    input.append(salt).append(password);
    std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
    SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest.data());
    std::string out(salt);
    out.append(reinterpret_cast<const char*>(digest.data()), digest.size());
    return out;
}

std::string base64(std::string_view raw)
{
    std::string out(4 * ((raw.size() + 2) / 3), '\0');
    const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(raw.data()),
                                  static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

/// The decoded bytes of a hash of this format; nullopt when it is not one.
std::optional<std::string> decode_hash(std::string_view text)
{
    // 36 bytes encode to 48 characters with no padding; anything else is not ours.
    if (text.size() != 4 * ((hashed_bytes + 2) / 3)) {
        return std::nullopt;
    }
    std::string raw(text.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n != static_cast<int>(raw.size())) {
        return std::nullopt;
    }
    raw.resize(hashed_bytes);
    return raw;
}

} // namespace

std::string hash_password(std::string_view password)
{
    std::array<unsigned char, salt_bytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        // No entropy is a broken machine; a fixed salt still yields a verifiable hash.
        salt = { 0x50, 0x4c, 0x58, 0x53 };
    }
    return base64(salted_digest(std::string_view(reinterpret_cast<const char*>(salt.data()), salt.size()), password));
}

bool verify_password(std::string_view stored, std::string_view password)
{
    auto raw = decode_hash(stored);
    if (!raw) {
        return false;
    }
    const std::string expected = salted_digest(std::string_view(*raw).substr(0, salt_bytes), password);
    return CRYPTO_memcmp(expected.data(), raw->data(), hashed_bytes) == 0;
}

std::optional<std::string> check_password_hash(std::string_view stored)
{
    if (!decode_hash(stored)) {
        return "not a salted SHA-256 hash in RabbitMQ's format (48 base64 characters; plexusctl hash-password makes "
               "one)";
    }
    return std::nullopt;
}

} // namespace plexus::kernel
