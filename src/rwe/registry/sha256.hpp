#pragma once
// SHA-256 (FIPS 180-4) of a byte stream, to record which source files a database was
// imported from.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace rwe::registry {

class Sha256 {
public:
    Sha256();
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    // Lower-case hexadecimal digest; the object must not be updated afterwards.
    std::string hex_digest();

private:
    void compress(const unsigned char* block);
    std::array<std::uint32_t, 8> state_;
    std::array<unsigned char, 64> block_{};
    std::size_t block_used_ = 0;
    std::uint64_t total_bytes_ = 0;
};

// Digest of a file's bytes as stored (not decompressed); throws IoError when unreadable.
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace rwe::registry
