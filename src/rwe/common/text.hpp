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

// Length of the UTF-8 sequence at text[i] (1 to 4) and its code point in `code`; 0 when the
// bytes are not UTF-8 (overlong, surrogate, beyond U+10FFFF); -1 when the sequence is cut
// short by the end of `text`.
long utf8_at(std::string_view text, std::size_t i, char32_t& code);

// C1 controls and invisible format characters (soft hyphen, zero-width and direction marks,
// byte-order mark): shown as escapes wherever rwe prints text.
bool invisible_character(char32_t code);

// Appends `text` to `out` with control characters, bytes that are not UTF-8 and invisible
// characters escaped (see terminal_text): C0 controls and non-UTF-8 bytes as \xHH; invisible
// characters as \u{HHHH} (braces) or \uHHHH (json, a valid JSON escape of the same
// character, which is also how DEL is shown in that style; braces shows DEL as \x7F).
// Returns the bytes consumed: fewer than text.size() only when a UTF-8 sequence is cut by
// the end of `text` and `final` is false.
enum class EscapeStyle { braces, json };
std::size_t escape_for_terminal(std::string_view text, EscapeStyle style, bool final, std::string& out);

// `text` made safe to print on a terminal and readable when it holds invisible characters:
// control characters other than line break and tab (ESC would let a value retitle or clear
// the terminal), bytes that are not UTF-8, C1 controls and invisible format characters
// (byte-order mark, zero-width and direction marks) are shown as \xHH or \u{HHHH}. Every
// message rwe prints passes through it (cli/main.cpp and the commands' warnings).
std::string terminal_text(std::string_view text);

// A text cell of a CSV file a spreadsheet may open (the ADaM datasets, the report's
// tables), neutralised against formula injection: a cell that starts with = + - @, tab or
// carriage return and is not a number gets a leading apostrophe, so that `=HYPERLINK(...)`
// from a registry value is shown as text, never run. Numbers (-1.5, +2) are left as they are.
std::string spreadsheet_text(std::string_view text);

}  // namespace rwe
