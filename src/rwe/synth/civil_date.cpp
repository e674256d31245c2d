#include "rwe/synth/civil_date.hpp"

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "rwe/common/error.hpp"

namespace rwe::synth {

int day_number(CivilDate date) {
    // Years start on 1 March so that the leap day is the last day of a year; an era is
    // 400 years = 146097 days.
    const int y = date.year - (date.month <= 2 ? 1 : 0);
    const int era = (y >= 0 ? y : y - 399) / 400;
    const int year_of_era = y - era * 400;
    const int month_from_march = date.month > 2 ? date.month - 3 : date.month + 9;
    const int day_of_year = (153 * month_from_march + 2) / 5 + date.day - 1;
    const int day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;
}

CivilDate civil_date(int day) {
    const int z = day + 719468;
    const int era = (z >= 0 ? z : z - 146096) / 146097;
    const int day_of_era = z - era * 146097;
    const int year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const int day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const int month_from_march = (5 * day_of_year + 2) / 153;
    const int d = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    const int m = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    const int y = year_of_era + era * 400 + (m <= 2 ? 1 : 0);
    return {y, m, d};
}

namespace {

struct DateTable {
    int first = day_number({1900, 1, 1});
    int last = day_number({2099, 12, 31});
    std::vector<char> text;
    DateTable() : text(static_cast<std::size_t>(last - first + 1) * 10) {
        char buffer[16];
        for (int day = first; day <= last; ++day) {
            const CivilDate date = civil_date(day);
            std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", date.year, date.month, date.day);
            std::copy(buffer, buffer + 10, text.begin() + static_cast<std::ptrdiff_t>(day - first) * 10);
        }
    }
};

}  // namespace

std::string_view iso_date(int day) {
    static const DateTable table;
    if (day < table.first || day > table.last) {
        throw Error(ErrorKind::internal, "synthetic date out of range 1900-2099 (day " +
                                             std::to_string(day) + ")");
    }
    return {table.text.data() + static_cast<std::size_t>(day - table.first) * 10, 10};
}

}  // namespace rwe::synth
