#include "rwe/stats/survival_data.hpp"

#include <cmath>

#include "rwe/common/error.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::stats {

namespace {

[[noreturn]] void broken(std::size_t row, const std::string& what) {
    throw Error(ErrorKind::input, "survival data, row " + std::to_string(row + 1) + ": " + what);
}

}  // namespace

void validate_survival_data(const SurvivalData& data) {
    const std::size_t n = data.time.size();
    if (data.event.size() != n)
        throw Error(ErrorKind::input, "survival data: time and event lengths differ");
    if (!data.weight.empty() && data.weight.size() != n) {
        throw Error(ErrorKind::input, "survival data: time and weight lengths differ");
    }
    if (!data.group.empty() && data.group.size() != n) {
        throw Error(ErrorKind::input, "survival data: time and group lengths differ");
    }
    if (!data.stratum.empty() && data.stratum.size() != n) {
        throw Error(ErrorKind::input, "survival data: time and stratum lengths differ");
    }
    if (!data.start.empty() && data.start.size() != n) {
        throw Error(ErrorKind::input, "survival data: time and start lengths differ");
    }
    if (!data.cluster.empty() && data.cluster.size() != n) {
        throw Error(ErrorKind::input, "survival data: time and cluster lengths differ");
    }
    const auto groups = static_cast<std::int32_t>(data.group_names.size());
    const auto strata = static_cast<std::int32_t>(data.stratum_names.size());
    for (std::size_t row = 0; row < n; ++row) {
        const double t = data.time[row];
        if (!std::isfinite(t) || t < 0) broken(row, "time must be finite and >= 0");
        if (data.event[row] > 1) broken(row, "event must be 0 or 1");
        if (!data.start.empty() && !(data.start[row] >= 0 && data.start[row] < t)) {
            broken(row, "start time must be >= 0 and below the stop time");
        }
        if (!data.weight.empty() && !(std::isfinite(data.weight[row]) && data.weight[row] >= 0)) {
            broken(row, "weight must be finite and >= 0");
        }
        if (!data.group.empty() && (data.group[row] < 0 || data.group[row] >= groups)) {
            broken(row, "group code out of range");
        }
        if (!data.stratum.empty() && (data.stratum[row] < 0 || data.stratum[row] >= strata)) {
            broken(row, "stratum code out of range");
        }
        if (!data.cluster.empty() && data.cluster[row] < 0) broken(row, "cluster code out of range");
    }
}

bool integer_times(const std::vector<double>& time, double* max_time) {
    double top = 0;
    for (double t : time) {
        // t in [0, 2^31) and integral; the comparison chain also rejects NaN.
        if (!(t >= 0 && t < 2147483648.0) || t != std::floor(t)) return false;
        if (t > top) top = t;
    }
    if (max_time) *max_time = top;
    return true;
}

std::size_t merge_survival_times(SurvivalData& data) {
    // Distinct integers differ by >= 1 > tol, and by >= 1/mean|t| > tol relative while
    // every |t| < 1/tol ~ 6.7e7, so timefix cannot change them.
    double max_time = 0;
    if (!data.start.empty()) {
        // Start and stop times on one scale, as R's aeqSurv on Surv(start, stop, event).
        if (integer_times(data.time, &max_time) && max_time < 67108864.0 && integer_times(data.start)) return 0;
        return merge_near_equal_times({std::span<double>(data.start), std::span<double>(data.time)});
    }
    if (integer_times(data.time, &max_time) && max_time < 67108864.0) return 0;
    return merge_near_equal_times(data.time);
}

}  // namespace rwe::stats
