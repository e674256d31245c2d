#pragma once
// Calendar dates as day numbers (days since 1970-01-01, proleptic Gregorian), so that
// intervals are integer subtraction. ISO 8601 `YYYY-MM-DD` in and out.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rwe::study {

using Day = std::int32_t;

// Days since 1970-01-01 of a valid civil date (H. Hinnant's days_from_civil algorithm).
Day days_from_civil(int year, unsigned month, unsigned day) noexcept;

// Parses `YYYY-MM-DD`; nullopt when malformed or not a real date (2019-02-30).
std::optional<Day> parse_iso_date(std::string_view text) noexcept;

std::string format_iso_date(Day day);

// Average month length used for all month conversions (days / 30.4375 = 365.25 / 12).
inline constexpr double days_per_month = 30.4375;

}  // namespace rwe::study
