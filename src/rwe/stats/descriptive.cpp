#include "rwe/stats/descriptive.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace rwe::stats {

NumericSummary describe_numeric(std::span<const double> values,
                                const NumericSummaryOptions& options) {
    constexpr double not_available = std::numeric_limits<double>::quiet_NaN();
    NumericSummary summary;
    summary.quantile_type = options.quantile_type;
    std::vector<double> sorted;
    sorted.reserve(values.size());
    for (double value : values) {
        if (std::isnan(value)) {
            ++summary.missing;
        } else {
            sorted.push_back(value);
        }
    }
    summary.n = sorted.size();
    if (sorted.empty()) {
        summary.mean = summary.sd = summary.median = summary.q1 = summary.q3 = summary.iqr =
            summary.min = summary.max = not_available;
        summary.messages.push_back("no non-missing values");
        return summary;
    }
    std::sort(sorted.begin(), sorted.end());
    const double n = static_cast<double>(sorted.size());
    // Two-pass mean and sum of squares, with R's mean() refinement step: the mean of the
    // residuals is added back, which removes most of the rounding of the first pass.
    long double sum = 0;
    for (double value : sorted) sum += value;
    long double mean = sum / n;
    if (std::isfinite(static_cast<double>(mean))) {
        long double correction = 0;
        for (double value : sorted) correction += value - mean;
        mean += correction / n;
    }
    summary.mean = static_cast<double>(mean);
    if (sorted.size() >= 2) {
        long double squares = 0;
        for (double value : sorted) squares += (value - mean) * (value - mean);
        summary.sd = static_cast<double>(std::sqrt(squares / (n - 1)));
    } else {
        summary.sd = not_available;
        summary.messages.push_back("one value: the standard deviation is undefined");
    }
    summary.median = quantile_sorted(sorted, 0.5, options.quantile_type);
    summary.q1 = quantile_sorted(sorted, 0.25, options.quantile_type);
    summary.q3 = quantile_sorted(sorted, 0.75, options.quantile_type);
    summary.iqr = summary.q3 - summary.q1;
    summary.min = sorted.front();
    summary.max = sorted.back();
    return summary;
}

}  // namespace rwe::stats
