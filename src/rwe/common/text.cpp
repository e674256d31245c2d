#include "rwe/common/text.hpp"

#include <cstdio>

#include "rwe/common/csv_reader.hpp"

namespace rwe {

long utf8_at(std::string_view text, std::size_t i, char32_t& code) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const std::size_t length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (length == 0) return 0;
    code = length == 1 ? lead : length == 2 ? (lead & 0x1F) : length == 3 ? (lead & 0x0F) : (lead & 0x07);
    for (std::size_t k = 1; k < length; ++k) {
        if (i + k >= text.size()) return -1;
        const auto next = static_cast<unsigned char>(text[i + k]);
        if ((next & 0xC0) != 0x80) return 0;
        code = (code << 6) | (next & 0x3F);
    }
    static constexpr char32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < smallest[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
    return static_cast<long>(length);
}

bool invisible_character(char32_t code) {
    return (code >= 0x80 && code <= 0x9F) || code == 0xAD || (code >= 0x200B && code <= 0x200F) ||
           (code >= 0x2028 && code <= 0x202E) || (code >= 0x2060 && code <= 0x206F) || code == 0xFEFF;
}

std::size_t escape_for_terminal(std::string_view text, EscapeStyle style, bool final, std::string& out) {
    char escape[16];
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (byte == '\n' || byte == '\t' || (byte >= 0x20 && byte < 0x7F)) {
            out += static_cast<char>(byte);
            ++i;
            continue;
        }
        char32_t code = 0;
        const long length = byte < 0x20 || (byte == 0x7F && style == EscapeStyle::braces) ? 0 : utf8_at(text, i, code);
        if (length < 0 && !final) return i;  // the rest of the character may follow
        if (length <= 0) {
            std::snprintf(escape, sizeof escape, "\\x%02X", byte);
            out += escape;
            ++i;
        } else if (code == 0x7F || invisible_character(code)) {
            std::snprintf(escape, sizeof escape, style == EscapeStyle::json ? "\\u%04X" : "\\u{%04X}",
                          static_cast<unsigned>(code));
            out += escape;
            i += static_cast<std::size_t>(length);
        } else {
            out.append(text.substr(i, static_cast<std::size_t>(length)));
            i += static_cast<std::size_t>(length);
        }
    }
    return i;
}

std::string terminal_text(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    escape_for_terminal(text, EscapeStyle::braces, true, out);
    return out;
}

std::string spreadsheet_text(std::string_view text) {
    if (text.empty() || std::string_view("=+-@\t\r").find(text.front()) == std::string_view::npos) return std::string(text);
    double number = 0;
    if (parse_double(text, number)) return std::string(text);
    return "'" + std::string(text);
}

}  // namespace rwe
