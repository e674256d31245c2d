#pragma once
// Summary of a numeric variable for a baseline table (docs/methods.md §3.5): n, missing,
// mean, SD with divisor n − 1, median, quartiles and IQR (R's quantile type 7 by default),
// minimum and maximum. NaN values are missing; they are counted, never silently dropped.

#include <span>
#include <string>
#include <vector>

#include "rwe/stats/quantile.hpp"

namespace rwe::stats {

struct NumericSummaryOptions {
    QuantileType quantile_type = QuantileType::type7;  // R; type6 = SPSS, type2 = SAS
};

struct NumericSummary {
    std::size_t n = 0;        // non-missing values
    std::size_t missing = 0;  // NaN values
    double mean = 0;
    double sd = 0;  // NaN when n < 2
    double median = 0;
    double q1 = 0;
    double q3 = 0;
    double iqr = 0;  // q3 − q1
    double min = 0;
    double max = 0;
    QuantileType quantile_type = QuantileType::type7;
    std::vector<std::string> messages;
};

NumericSummary describe_numeric(std::span<const double> values,
                                const NumericSummaryOptions& options = {});

}  // namespace rwe::stats
