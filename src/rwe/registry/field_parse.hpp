#pragma once
// Parsing of single registry fields: strict ISO dates, integers, numbers, UTF-8 checks and
// case folding of codes. Each function returns false instead of throwing, so that the
// validator can report every bad field and go on.

#include <cstdint>
#include <string>
#include <string_view>

namespace rwe::registry {

// A calendar date as days since 1970-01-01 (proleptic Gregorian).
using Days = std::int32_t;
inline constexpr Days no_date = INT32_MIN;

// Parses exactly `YYYY-MM-DD` (four-digit year 0001-9999) naming a real calendar day:
// 2019-02-30 and 2019-13-01 are rejected, 2020-02-29 is accepted.
bool parse_iso_date(std::string_view text, Days& days);
// Formats days since 1970-01-01 as `YYYY-MM-DD`.
std::string format_iso_date(Days days);
Days days_from_civil(int year, unsigned month, unsigned day);

// Optional sign and decimal digits only, fitting in 64 bits.
bool parse_integer(std::string_view text, std::int64_t& value);
// A finite decimal number (`1`, `-2.5`, `3e2`); `nan`, `inf` and hexadecimal are rejected.
bool parse_number(std::string_view text, double& value);
// Shortest text that reads back as the same double.
std::string format_number(double value);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points
// above U+10FFFF) and has no NUL byte.
bool is_valid_utf8(std::string_view text);

// ASCII lower case (codes are ASCII; other bytes are left as they are).
void to_lower_ascii(std::string_view text, std::string& out);
bool equals_ignore_case(std::string_view a, std::string_view b);

// A value as it may appear inside a message: invalid UTF-8 and control characters as
// \xHH, at most `limit` bytes (then "...").
std::string printable_value(std::string_view text, std::size_t limit = 60);

}  // namespace rwe::registry
