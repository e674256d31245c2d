#include "rwe/stats/survival_quantiles.hpp"

#include <cmath>
#include <limits>
#include <unordered_set>

namespace rwe::stats {

namespace {

constexpr double na = std::numeric_limits<double>::quiet_NaN();
constexpr double tolerance = 1.4901161193847656e-08;  // sqrt(DBL_EPSILON), as R

// R survmean's minmin(y, x): y a curve or band over the table times x; NaN never counts.
double minmin(const std::vector<double>& y, const std::vector<double>& x) {
    const std::size_t n = y.size();
    std::size_t first = n;
    for (std::size_t k = 0; k < n; ++k) {
        if (!std::isnan(y[k]) && y[k] < 0.5 + tolerance) {
            first = k;
            break;
        }
    }
    if (first == n) return na;
    if (std::fabs(y[first] - 0.5) < tolerance) {
        for (std::size_t k = first + 1; k < n; ++k) {
            if (!std::isnan(y[k]) && y[k] < y[first]) return (x[first] + x[k]) / 2;
        }
    }
    return x[first];
}

// R quantile.survfit's findq on the points (0, 0), (x_k, 1 - y_k): repeated values of 1 - y
// are kept once (the first; NA counts as a value), NA points are then left out, and for each p
// the point with the smallest value v among those with v + tol >= p, and likewise with
// v - tol >= p, give two times that are averaged (R's constant approx() with f = 1).
double find_quantile(const std::vector<double>& y, const std::vector<double>& x, double p) {
    std::vector<double> xs{0.0};
    std::vector<double> fs{0.0};
    std::unordered_set<double> seen{0.0};
    bool seen_na = false;
    bool last_is_na = false;
    double fmax = 0;
    for (std::size_t k = 0; k < y.size(); ++k) {
        if (std::isnan(y[k])) {
            if (!seen_na) last_is_na = true;
            seen_na = true;
            continue;
        }
        const double f = 1 - y[k];
        fmax = std::max(fmax, f);
        if (!seen.insert(f).second) continue;
        xs.push_back(x[k]);
        fs.push_back(f);
        last_is_na = false;
    }
    if (fmax < p) return na;
    if (p == 0) return xs.front();
    const double xmax = x.empty() ? 0.0 : x.back();
    auto smallest_at_least = [&](double shift) -> std::size_t {
        std::size_t best = fs.size();
        for (std::size_t j = 0; j < fs.size(); ++j) {
            if (fs[j] + shift >= p && (best == fs.size() || fs[j] < fs[best])) best = j;
        }
        return best;
    };
    const std::size_t i1 = smallest_at_least(tolerance);
    const std::size_t i2 = smallest_at_least(-tolerance);
    if (i1 == fs.size()) return na;
    if (!last_is_na && std::fabs(p - fs.back()) < tolerance) return (xs[i1] + xmax) / 2;
    if (i2 == fs.size()) return na;
    return (xs[i1] + xs[i2]) / 2;
}

}  // namespace

SurvivalQuantile median_survival(const KaplanMeierCurve& curve) {
    return {0.5, minmin(curve.surv, curve.time), minmin(curve.lower, curve.time),
            minmin(curve.upper, curve.time)};
}

std::vector<SurvivalQuantile> survival_quantiles(const KaplanMeierCurve& curve,
                                                 std::span<const double> probabilities) {
    std::vector<SurvivalQuantile> out;
    out.reserve(probabilities.size());
    for (double p : probabilities) {
        // The lower band crosses 1 - p first: it gives the lower time limit.
        out.push_back({p, find_quantile(curve.surv, curve.time, p),
                       find_quantile(curve.lower, curve.time, p),
                       find_quantile(curve.upper, curve.time, p)});
    }
    return out;
}

SpssMedian spss_median(const KaplanMeierCurve& curve, double z) {
    SpssMedian out{na, na, na, na};
    const std::size_t n = curve.rows();
    std::size_t at = n;
    for (std::size_t k = 0; k < n; ++k) {
        if (curve.n_event[k] > 0 && curve.surv[k] <= 0.5) {
            at = k;
            break;
        }
    }
    if (at == n) return out;
    out.estimate = curve.time[at];
    double u_time = 0, u_surv = 1;  // largest event time with S >= 0.55 (time 0, S = 1 if none)
    double l_time = na, l_surv = na;
    for (std::size_t k = 0; k < n; ++k) {
        if (curve.n_event[k] <= 0) continue;
        if (curve.surv[k] >= 0.55) {
            u_time = curve.time[k];
            u_surv = curve.surv[k];
        }
        if (std::isnan(l_time) && curve.surv[k] <= 0.45) {
            l_time = curve.time[k];
            l_surv = curve.surv[k];
        }
    }
    if (std::isnan(l_time) || !(l_time > u_time)) return out;
    const double density = (u_surv - l_surv) / (l_time - u_time);
    out.std_err = curve.std_err_surv[at] / density;
    out.lower = out.estimate - z * out.std_err;
    out.upper = out.estimate + z * out.std_err;
    return out;
}

}  // namespace rwe::stats
