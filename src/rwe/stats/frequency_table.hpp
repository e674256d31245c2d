#pragma once
// n (%) of each level of a categorical variable for a baseline table (docs/methods.md §3.5).
// Missing values are a row of their own; percentages are over the non-missing values by
// default (as R's prop.table(table(x)) and SPSS's "Valid Percent"), over all values as an
// option (SPSS's "Percent").

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rwe::stats {

struct FrequencyTableOptions {
    bool percent_of_all = false;  // denominator includes the missing values
};

struct FrequencyRow {
    std::string level;
    std::size_t n = 0;
    double percent = 0;  // NaN when the denominator is 0
};

struct FrequencyTable {
    std::vector<FrequencyRow> levels;  // in the order of the level labels given
    FrequencyRow missing;              // level "missing"; percent of all values when
                                       // percent_of_all, else NaN (not part of the 100%)
    std::size_t total = 0;             // all values, missing included
    std::size_t denominator = 0;
    std::vector<std::string> messages;
};

// codes: index into `levels`, −1 = missing.
FrequencyTable frequency_table(std::span<const std::int32_t> codes,
                               const std::vector<std::string>& levels,
                               const FrequencyTableOptions& options = {});

}  // namespace rwe::stats
