#include "rwe/stats/cox_zph.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <cmath>
#include <numeric>

#include "rwe/stats/cox_risk_sets.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// u' A^-1 u over rows/cols `index` of `full`, A solved by Gaussian elimination with partial
// pivoting, as R's cox.zph (solve(), LAPACK dgesv): a time transform whose centred values are
// tiny (log of times near 1e6) gives a tiny but regular block that a Cholesky tolerance
// relative to the largest pivot would drop. Where R's solve() stops (an exactly singular A,
// or a reciprocal condition number in the 1-norm below the machine epsilon) this gives NaN.
double score_statistic(const std::vector<double>& full, std::size_t dim, const std::vector<double>& u,
                       const std::vector<std::size_t>& index) {
    const std::size_t q = index.size();
    std::vector<double> a(q * q), b(q);
    for (std::size_t i = 0; i < q; ++i) {
        b[i] = u[index[i]];
        for (std::size_t j = 0; j < q; ++j) a[i * q + j] = full[index[i] * dim + index[j]];
    }
    double norm = 0;  // 1-norm: largest column sum
    for (std::size_t j = 0; j < q; ++j) {
        double column = 0;
        for (std::size_t i = 0; i < q; ++i) column += std::fabs(a[i * q + j]);
        norm = std::max(norm, column);
    }
    // LU with partial pivoting, row permutation in perm.
    std::vector<std::size_t> perm(q);
    std::iota(perm.begin(), perm.end(), 0);
    for (std::size_t col = 0; col < q; ++col) {
        std::size_t pivot = col;
        for (std::size_t row = col + 1; row < q; ++row) {
            if (std::fabs(a[row * q + col]) > std::fabs(a[pivot * q + col])) pivot = row;
        }
        if (a[pivot * q + col] == 0 || !std::isfinite(a[pivot * q + col])) return nan;
        if (pivot != col) {
            for (std::size_t j = 0; j < q; ++j) std::swap(a[pivot * q + j], a[col * q + j]);
            std::swap(perm[pivot], perm[col]);
        }
        for (std::size_t row = col + 1; row < q; ++row) {
            a[row * q + col] /= a[col * q + col];
            const double factor = a[row * q + col];
            for (std::size_t j = col + 1; j < q; ++j) a[row * q + j] -= factor * a[col * q + j];
        }
    }
    auto solve = [&](const std::vector<double>& rhs) {
        std::vector<double> y(q);
        for (std::size_t i = 0; i < q; ++i) {
            double t = rhs[perm[i]];
            for (std::size_t j = 0; j < i; ++j) t -= a[i * q + j] * y[j];
            y[i] = t;
        }
        for (std::size_t i = q; i-- > 0;) {
            double t = y[i];
            for (std::size_t j = i + 1; j < q; ++j) t -= a[i * q + j] * y[j];
            y[i] = t / a[i * q + i];
        }
        return y;
    };
    double inverse_norm = 0;
    std::vector<double> unit(q, 0.0);
    for (std::size_t j = 0; j < q; ++j) {
        unit[j] = 1;
        const std::vector<double> column = solve(unit);
        unit[j] = 0;
        double sum = 0;
        for (double v : column) sum += std::fabs(v);
        inverse_norm = std::max(inverse_norm, sum);
    }
    if (!(1 / (norm * inverse_norm) >= std::numeric_limits<double>::epsilon())) return nan;
    const std::vector<double> y = solve(b);
    double s = 0;
    for (std::size_t i = 0; i < q; ++i) s += b[i] * y[i];
    return s >= 0 ? s : nan;  // below 0: A is numerically singular after all
}

CoxZphTest make_test(std::string term, double chisq, int df) {
    CoxZphTest t{std::move(term), chisq, df, nan};
    if (df > 0 && std::isfinite(chisq) && chisq >= 0) {
        t.p = boost::math::cdf(
            boost::math::complement(boost::math::chi_squared_distribution<double>(df), chisq));
    }
    return t;
}

}  // namespace

CoxZph cox_zph(const CoxData& data, const CoxRegression& fit, const CoxZphOptions& options) {
    CoxZph out;
    out.transform = options.transform;
    detail::CoxPrepared all = detail::cox_prepare(data, options.time_fix, fit.means);
    const std::size_t p_all = all.p, n = all.n;

    // Dropped (NA) coefficients leave the model, as in R.
    std::vector<std::size_t> keep;
    for (std::size_t k = 0; k < p_all; ++k) {
        if (!fit.singular[k]) keep.push_back(k);
    }
    const std::size_t q = keep.size();
    detail::CoxPrepared prepared = all;
    prepared.p = q;
    prepared.x.assign(n * q, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t c = 0; c < q; ++c) prepared.x[i * q + c] = all.x[i * p_all + keep[c]];
    }
    std::vector<double> beta(q);
    for (std::size_t c = 0; c < q; ++c) beta[c] = fit.coef[keep[c]];
    for (std::size_t c = 0; c < q; ++c) out.columns.push_back(fit.names[keep[c]]);
    if (q == 0 || all.events == 0) return out;

    // g(t) for every row's stop time (R transforms all times, then centres by the mean over
    // the events).
    std::vector<double> ttime(n);
    if (options.transform == ZphTransform::km) {
        // Left-continuous KM of all rows together, unweighted: g = 1 - S(t-).
        std::vector<double> stops(all.stop.begin(), all.stop.end()), starts(all.start.begin(), all.start.end());
        std::sort(stops.begin(), stops.end());
        std::sort(starts.begin(), starts.end());
        std::vector<double> event_times;
        for (std::size_t i = 0; i < n; ++i) {
            if (all.event[i]) event_times.push_back(all.stop[i]);
        }
        std::sort(event_times.begin(), event_times.end());
        std::vector<double> distinct, surv_before;  // S just before each distinct event time
        double s = 1;
        for (std::size_t k = 0; k < event_times.size();) {
            const double t = event_times[k];
            std::size_t j = k;
            while (j < event_times.size() && event_times[j] == t) ++j;
            const double d = static_cast<double>(j - k);
            double at_risk = static_cast<double>(stops.end() - std::lower_bound(stops.begin(), stops.end(), t));
            if (all.counting) {
                at_risk -= static_cast<double>(starts.end() - std::lower_bound(starts.begin(), starts.end(), t));
            }
            distinct.push_back(t);
            surv_before.push_back(s);
            s *= 1 - d / at_risk;
            k = j;
        }
        for (std::size_t i = 0; i < n; ++i) {
            // S(t-) = S after the last event time < t
            const auto idx = static_cast<std::size_t>(
                std::lower_bound(distinct.begin(), distinct.end(), all.stop[i]) - distinct.begin());
            double s_before = 1;
            if (idx > 0) {
                const double d_prev = surv_before[idx - 1];
                // S after distinct[idx-1] = surv_before[idx] if it exists, else final s
                s_before = idx < surv_before.size() ? surv_before[idx] : s;
                (void)d_prev;
            }
            ttime[i] = 1 - s_before;
        }
    } else if (options.transform == ZphTransform::identity) {
        ttime.assign(all.stop.begin(), all.stop.end());
    } else if (options.transform == ZphTransform::log) {
        for (std::size_t i = 0; i < n; ++i) ttime[i] = std::log(all.stop[i]);
    } else {
        // average ranks of all times
        std::vector<std::size_t> order(n);
        std::iota(order.begin(), order.end(), 0);
        std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return all.stop[a] < all.stop[b]; });
        for (std::size_t k = 0; k < n;) {
            std::size_t j = k;
            while (j < n && all.stop[order[j]] == all.stop[order[k]]) ++j;
            const double r = (static_cast<double>(k + 1) + static_cast<double>(j)) / 2;
            for (std::size_t m = k; m < j; ++m) ttime[order[m]] = r;
            k = j;
        }
    }
    double mean_g = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (all.event[i]) mean_g += ttime[i];
    }
    mean_g /= static_cast<double>(all.events);

    // g per event time, in pass order (stratum ascending, time descending).
    detail::CoxEventTimes times;
    detail::cox_pass(prepared, beta, fit.ties, &times);
    detail::CoxTimeWeighted weighted;
    {
        std::size_t k = 0;
        for (std::size_t i = 0; i < n && k < times.time.size(); ++i) {
            if (all.event[i] && all.stratum[i] == times.stratum[k] && all.stop[i] == times.time[k]) {
                weighted.g.push_back(ttime[i] - mean_g);
                ++k;
            }
        }
    }
    const detail::CoxPass pass = detail::cox_pass(prepared, beta, fit.ties, nullptr, &weighted);

    // Augmented information [[I, I_bg], [I_bg, I_gg]] and score (0, u_g) (§4.6).
    const std::size_t dim = 2 * q;
    std::vector<double> imat(dim * dim), u(dim, 0.0);
    for (std::size_t a = 0; a < q; ++a) {
        u[q + a] = weighted.u_g[a];
        for (std::size_t b = 0; b < q; ++b) {
            imat[a * dim + b] = pass.imat[a * q + b];
            imat[a * dim + q + b] = weighted.i_bg[a * q + b];
            imat[(q + a) * dim + b] = weighted.i_bg[b * q + a];
            imat[(q + a) * dim + q + b] = weighted.i_gg[a * q + b];
        }
    }
    std::vector<std::string> term_names;
    std::vector<std::vector<std::size_t>> term_columns;
    for (std::size_t c = 0; c < q; ++c) {
        const std::string& term = fit.terms[keep[c]];
        auto it = std::find(term_names.begin(), term_names.end(), term);
        if (it == term_names.end()) {
            term_names.push_back(term);
            term_columns.push_back({c});
        } else {
            term_columns[static_cast<std::size_t>(it - term_names.begin())].push_back(c);
        }
    }
    for (std::size_t t = 0; t < term_names.size(); ++t) {
        std::vector<std::size_t> index(q);
        std::iota(index.begin(), index.end(), 0);
        for (std::size_t c : term_columns[t]) index.push_back(q + c);
        out.terms.push_back(make_test(term_names[t], score_statistic(imat, dim, u, index),
                                      static_cast<int>(term_columns[t].size())));
    }
    {
        std::vector<std::size_t> index(dim);
        std::iota(index.begin(), index.end(), 0);
        out.global = make_test("GLOBAL", score_statistic(imat, dim, u, index), static_cast<int>(q));
    }

    // Schoenfeld residuals x_i - abar(t_i), scaled: beta + d * V r. Rows in stratum, time
    // ascending order; the record blocks are time descending.
    std::vector<double> var(q * q);
    for (std::size_t a = 0; a < q; ++a) {
        for (std::size_t b = 0; b < q; ++b) var[a * q + b] = fit.var[keep[a] * p_all + keep[b]];
    }
    const double deaths = static_cast<double>(all.events);
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < n; ++i) {
        if (all.event[i]) rows.push_back(i);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) {
        if (all.stratum[a] != all.stratum[b]) return all.stratum[a] < all.stratum[b];
        if (all.stop[a] != all.stop[b]) return all.stop[a] < all.stop[b];
        return all.used_index[a] < all.used_index[b];
    });
    std::size_t record = times.time.size();
    std::vector<double> r(q);
    for (std::size_t i : rows) {
        // the record of (stratum, time): search
        std::size_t k = 0;
        {
            auto lo = std::lower_bound(times.stratum.begin(), times.stratum.end(), all.stratum[i]);
            auto hi = std::upper_bound(times.stratum.begin(), times.stratum.end(), all.stratum[i]);
            auto it = std::lower_bound(times.time.begin() + (lo - times.stratum.begin()),
                                       times.time.begin() + (hi - times.stratum.begin()), all.stop[i],
                                       [](double a, double value) { return a > value; });
            k = static_cast<std::size_t>(it - times.time.begin());
        }
        (void)record;
        for (std::size_t c = 0; c < q; ++c) r[c] = prepared.x[i * q + c] - times.amean[k * q + c];
        out.event_time.push_back(all.stop[i]);
        out.transformed_time.push_back(ttime[i]);
        for (std::size_t a = 0; a < q; ++a) {
            double s = 0;
            for (std::size_t b = 0; b < q; ++b) s += r[b] * var[b * q + a];
            out.scaled_residuals.push_back(beta[a] + deaths * s);
        }
    }
    return out;
}

}  // namespace rwe::stats
