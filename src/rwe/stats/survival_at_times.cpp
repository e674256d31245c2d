#include "rwe/stats/survival_at_times.hpp"

#include <algorithm>

namespace rwe::stats {

SurvivalAtTimes survival_at_times(const KaplanMeierCurve& curve, std::span<const double> times) {
    std::vector<double> sorted(times.begin(), times.end());
    // Ascending; a time asked twice gives two rows, the second counting no events or
    // censorings (nothing happens between t and t), as R's summary(fit, times =).
    std::sort(sorted.begin(), sorted.end());

    SurvivalAtTimes out;
    const std::size_t n = curve.rows();
    const double last = n ? curve.time.back() : 0.0;
    std::size_t next = 0;  // first table row not yet counted into an interval
    for (double t : sorted) {
        if (n == 0 || t > last) {
            out.beyond_follow_up.push_back(t);
            continue;
        }
        SurvivalAtTime row;
        row.time = t;
        // rows with time <= t: [0, upto)
        const auto upto = static_cast<std::size_t>(
            std::upper_bound(curve.time.begin(), curve.time.end(), t) - curve.time.begin());
        for (; next < upto; ++next) {
            row.n_event += curve.n_event[next];
            row.n_censor += curve.n_censor[next];
        }
        // at risk at t = n_risk of the first row with time >= t
        const auto from = static_cast<std::size_t>(
            std::lower_bound(curve.time.begin(), curve.time.end(), t) - curve.time.begin());
        row.n_risk = from < n ? curve.n_risk[from] : 0.0;
        if (upto > 0) {
            const std::size_t k = upto - 1;
            row.surv = curve.surv[k];
            row.std_err = curve.std_err[k];
            row.std_err_surv = curve.std_err_surv[k];
            row.cumhaz = curve.cumhaz[k];
            row.lower = curve.lower[k];
            row.upper = curve.upper[k];
        }
        out.rows.push_back(row);
    }
    return out;
}

double survival_value_at(const KaplanMeierCurve& curve, double t) {
    double s = 1;
    for (std::size_t k = 0; k < curve.rows() && curve.time[k] <= t; ++k) s = curve.surv[k];
    return s;
}

}  // namespace rwe::stats
