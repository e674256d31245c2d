#pragma once
// SHA-256 (FIPS 180-4) of a byte stream, to record which source files a database was
// imported from. OpenSSL's EVP digest does the work (it uses the CPU's SHA extensions).

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace rwe::registry {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* data, std::size_t size);
    void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
    // Lower-case hexadecimal digest; the object must not be updated afterwards.
    std::string hex_digest();

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

// Digest of a file's bytes as stored (not decompressed); throws IoError when unreadable.
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace rwe::registry
