#include "rwe/cli/terminal_stream.hpp"

#include <cstdio>

namespace rwe::cli {

namespace {

// Length of the UTF-8 sequence at text[i] and its code point: 0 when the bytes are not
// UTF-8; -1 when the sequence is cut short by the end of `text` (it may continue later).
long utf8_at(const std::string& text, std::size_t i, char32_t& code) {
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

bool shown_as_escape(char32_t code) {
    return code == 0x7F || (code >= 0x80 && code <= 0x9F) || code == 0xAD || (code >= 0x200B && code <= 0x200F) ||
           (code >= 0x2028 && code <= 0x202E) || (code >= 0x2060 && code <= 0x206F) || code == 0xFEFF;
}

// Escapes text[0, end) into `out`; returns how many bytes were consumed (fewer than `end`
// only when a UTF-8 sequence is cut at the end and `final` is false).
std::size_t escape_into(const std::string& text, bool final, std::string& out) {
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
        const long length = byte < 0x20 ? 0 : utf8_at(text, i, code);
        if (length < 0 && !final) return i;
        if (length <= 0) {
            std::snprintf(escape, sizeof escape, "\\x%02X", byte);
            out += escape;
            ++i;
        } else if (shown_as_escape(code)) {
            std::snprintf(escape, sizeof escape, "\\u%04X", static_cast<unsigned>(code));
            out += escape;
            i += static_cast<std::size_t>(length);
        } else {
            out.append(text, i, static_cast<std::size_t>(length));
            i += static_cast<std::size_t>(length);
        }
    }
    return i;
}

}  // namespace

void TerminalStream::flush_pending(bool final) {
    if (pending_.empty()) return;
    std::string out;
    out.reserve(pending_.size() + 16);
    const std::size_t used = escape_into(pending_, final, out);
    pending_.erase(0, used);
    target_->sputn(out.data(), static_cast<std::streamsize>(out.size()));
}

TerminalStream::int_type TerminalStream::overflow(int_type c) {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    pending_ += traits_type::to_char_type(c);
    if (c == '\n' && pending_.size() >= 4096) flush_pending(false);
    return c;
}

std::streamsize TerminalStream::xsputn(const char* data, std::streamsize size) {
    pending_.append(data, static_cast<std::size_t>(size));
    if (pending_.size() >= 4096) flush_pending(false);
    return size;
}

int TerminalStream::sync() {
    flush_pending(false);
    return target_->pubsync();
}

std::string terminal_stream_text(const std::string& text) {
    std::string out;
    escape_into(text, true, out);
    return out;
}

}  // namespace rwe::cli
