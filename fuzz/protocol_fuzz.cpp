// libFuzzer target: any bytes given to the protocol parser as a protocol file end in a
// parsed, checked Protocol or an rwe::Error (a message naming the file, line and key),
// never a crash, hang, sanitizer report or another exception.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/study/protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        (void)rwe::study::parse_protocol_text(text, "fuzz.toml");
    } catch (const rwe::Error& error) {
        // An internal error is a bug; every other error says where (the file it was given).
        if (error.kind() == rwe::ErrorKind::internal) __builtin_trap();
        if (std::string(error.what()).find("fuzz.toml") == std::string::npos) __builtin_trap();
    }
    return 0;
}
