#include "rwe/cli/terminal_stream.hpp"

#include <cstdio>

#include "rwe/common/text.hpp"

namespace rwe::cli {

void TerminalStream::flush_pending(bool final) {
    if (pending_.empty()) return;
    std::string out;
    out.reserve(pending_.size() + 16);
    const std::size_t used = escape_for_terminal(pending_, EscapeStyle::json, final, out);
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
    escape_for_terminal(text, EscapeStyle::json, true, out);
    return out;
}

}  // namespace rwe::cli
