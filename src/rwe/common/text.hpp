#pragma once
// Case of codes. Registry codes and protocol keywords are ASCII and compared without case
// (registry-format.md), so case mapping needs no locale.

#include <string>
#include <string_view>

namespace rwe {

inline std::string ascii_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

inline std::string ascii_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

}  // namespace rwe
