#include "rwe/stats/restricted_mean.hpp"

#include <cmath>
#include <limits>
#include <vector>

namespace rwe::stats {

RestrictedMean restricted_mean(const KaplanMeierCurve& curve, double tau) {
    RestrictedMean out;
    out.tau = tau;
    const std::size_t n = curve.rows();
    if (n == 0) {  // no data: nothing to integrate
        out.rmean = out.se = std::numeric_limits<double>::quiet_NaN();
        return out;
    }
    std::size_t kept = 0;  // rows with time <= tau
    while (kept < n && curve.time[kept] <= tau) ++kept;

    // Rectangles under S: [0, t_1) at height 1, then [t_k, t_{k+1}) at S(t_k), the last up to tau.
    std::vector<double> rectangle(kept + 1);
    double previous_time = 0, height = 1;
    for (std::size_t k = 0; k < kept; ++k) {
        rectangle[k] = (curve.time[k] - previous_time) * height;
        previous_time = curve.time[k];
        height = curve.surv[k];
    }
    rectangle[kept] = (tau - previous_time) * height;
    double mean = 0;
    for (double r : rectangle) mean += r;
    out.rmean = mean;

    // A_k accumulated from tau backwards, as R sums it.
    double area = 0, variance = 0;
    for (std::size_t k = kept; k-- > 0;) {
        area += rectangle[k + 1];
        const double n_risk = curve.n_risk[k];
        const double d = curve.n_event[k];
        const double h = (n_risk - d == 0) ? 0.0 : d / (n_risk * (n_risk - d));
        variance += area * area * h;
    }
    out.se = std::sqrt(variance);
    return out;
}

}  // namespace rwe::stats
