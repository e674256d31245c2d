#include "rwe/cli/terminal_stream.hpp"

#include <cstdio>

#include "rwe/common/text.hpp"

namespace rwe::cli {

namespace {

bool shown_as_escape(char32_t code) { return code == 0x7F || invisible_character(code); }

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
