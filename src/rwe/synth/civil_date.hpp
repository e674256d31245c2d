#pragma once
// Calendar dates as day numbers (days since 1970-01-01, proleptic Gregorian), and their
// ISO 8601 text. The synthetic registry does all date arithmetic in days.

#include <string_view>

namespace rwe::synth {

struct CivilDate {
    int year;
    int month;  // 1..12
    int day;    // 1..31
};

// Day number of a calendar date (the era-based conversion of Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", 2013, written out here).
int day_number(CivilDate date);
CivilDate civil_date(int day_number);

// "YYYY-MM-DD" for a day number; text of years 1900..2099 is precomputed once, so the
// generator formats a date with one table lookup.
std::string_view iso_date(int day_number);

}  // namespace rwe::synth
