#include "rwe/registry/sha256.hpp"

#include <openssl/evp.h>

#include <cstdio>
#include <vector>

#include "rwe/common/error.hpp"

namespace rwe::registry {

struct Sha256::Context {
    EVP_MD_CTX* md = nullptr;
    ~Context() { EVP_MD_CTX_free(md); }
};

Sha256::Sha256() : context_(std::make_unique<Context>()) {
    context_->md = EVP_MD_CTX_new();
    if (context_->md == nullptr || EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1) {
        throw Error(ErrorKind::internal, "SHA-256: OpenSSL digest initialisation failed");
    }
}

Sha256::~Sha256() = default;

void Sha256::update(const void* data, std::size_t size) {
    if (size > 0 && EVP_DigestUpdate(context_->md, data, size) != 1) {
        throw Error(ErrorKind::internal, "SHA-256: OpenSSL digest update failed");
    }
}

std::string Sha256::hex_digest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_->md, digest, &length) != 1) {
        throw Error(ErrorKind::internal, "SHA-256: OpenSSL digest final failed");
    }
    std::string out;
    char hex[3];
    for (unsigned int i = 0; i < length; ++i) {
        std::snprintf(hex, sizeof hex, "%02x", digest[i]);
        out += hex;
    }
    return out;
}

std::string sha256_of_file(const std::filesystem::path& path) {
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    if (!file) throw IoError(path.string() + ": cannot open to compute its SHA-256");
    Sha256 hash;
    std::vector<char> buffer(1u << 20);
    for (;;) {
        const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
        hash.update(buffer.data(), got);
        if (got < buffer.size()) break;
    }
    if (std::ferror(file.get())) throw IoError(path.string() + ": read error while computing its SHA-256");
    return hash.hex_digest();
}

}  // namespace rwe::registry
