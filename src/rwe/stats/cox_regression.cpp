#include "rwe/stats/cox_regression.hpp"

#include <algorithm>
#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <cmath>
#include <fmt/format.h>
#include <unordered_map>

#include "rwe/common/error.hpp"
#include "rwe/common/parallel.hpp"
#include "rwe/stats/cox_concordance.hpp"
#include "rwe/stats/cox_risk_sets.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

CoxTest chisq_test(double chisq, int df) {
    // As R's pchisq(chisq, df, lower.tail = FALSE): p = 1 on 0 degrees of freedom and for a
    // statistic at or below 0 (an LR test that rounds to -1e-15).
    CoxTest test{chisq, df, nan};
    if (std::isnan(chisq)) return test;
    if (df <= 0 || chisq <= 0) {
        test.p = 1;
    } else if (std::isfinite(chisq)) {
        test.p = boost::math::cdf(
            boost::math::complement(boost::math::chi_squared_distribution<double>(df), chisq));
    } else {
        test.p = 0;
    }
    return test;
}

// b' M^- b, M^- from the generalised Cholesky, as R's coxph.wtest; like it, a single
// coefficient is b^2 / m with no tolerance (0 / 0 is NaN). `keep` selects the coefficients
// tested (R drops the NA ones first); empty: all.
double quadratic_form_inverse(const std::vector<double>& full, const std::vector<double>& b_full, std::size_t p,
                              double toler, const std::vector<bool>& drop = {}) {
    std::vector<std::size_t> index;
    for (std::size_t k = 0; k < p; ++k) {
        if (drop.empty() || !drop[k]) index.push_back(k);
    }
    const std::size_t q = index.size();
    if (q == 0) return 0;
    std::vector<double> m(q * q), b(q);
    for (std::size_t i = 0; i < q; ++i) {
        b[i] = b_full[index[i]];
        for (std::size_t j = 0; j < q; ++j) m[i * q + j] = full[index[i] * p + index[j]];
    }
    if (q == 1) return b[0] * b[0] / m[0];
    detail::cholesky_ldl(m, q, toler);
    std::vector<double> y(b);
    detail::cholesky_solve(m, q, y);
    double result = 0;
    for (std::size_t k = 0; k < q; ++k) result += b[k] * y[k];
    return result;
}

// Score residuals (§4.4) of every sorted row, p per row:
//   L_i = delta_i (x_i - abar(t_i)) - sum_{event times t in risk interval} exp(eta_i) sum_r h_r c_ir (x_i - a_r),
// with c_ir = 1 - r/d for a death at t (Efron), 1 otherwise.
std::vector<double> score_residuals(const detail::CoxPrepared& data, const std::vector<double>& beta,
                                    const detail::CoxEventTimes& times) {
    const std::size_t n = data.n, p = data.p;
    std::vector<double> resid(n * p, 0.0);
    const std::size_t m = times.time.size();
    // Cumulative sums in ascending time within each stratum; records are in pass order
    // (stratum ascending, time descending), so walk each stratum's block backwards.
    std::vector<double> cum_h(m), cum_hx(m * p);
    std::size_t block_begin = 0;
    std::unordered_map<std::int32_t, std::pair<std::size_t, std::size_t>> block;
    while (block_begin < m) {
        std::size_t block_end = block_begin;
        while (block_end < m && times.stratum[block_end] == times.stratum[block_begin]) ++block_end;
        block[times.stratum[block_begin]] = {block_begin, block_end};
        double h = 0;
        std::vector<double> hx(p, 0.0);
        for (std::size_t k = block_end; k-- > block_begin;) {
            h += times.h[k];
            cum_h[k] = h;
            for (std::size_t c = 0; c < p; ++c) {
                hx[c] += times.hx[k * p + c];
                cum_hx[k * p + c] = hx[c];
            }
        }
        block_begin = block_end;
    }
    // Index of the latest event time <= t in a block (times descending): first k with time <= t.
    auto first_at_or_before = [&](std::size_t b, std::size_t e, double t) {
        auto it = std::lower_bound(times.time.begin() + static_cast<std::ptrdiff_t>(b),
                                   times.time.begin() + static_cast<std::ptrdiff_t>(e), t,
                                   [](double a, double value) { return a > value; });
        return static_cast<std::size_t>(it - times.time.begin());
    };
    for (std::size_t i = 0; i < n; ++i) {
        auto found = block.find(data.stratum[i]);
        if (found == block.end()) continue;  // no events in the stratum
        const auto [b, e] = found->second;
        const double* xi = data.x.data() + i * p;
        double eta = 0;
        for (std::size_t c = 0; c < p; ++c) eta += xi[c] * beta[c];
        const double risk = std::exp(std::clamp(eta, -700.0, 700.0));
        double* r = resid.data() + i * p;
        // event times strictly before stop, and (counting) strictly after start
        std::size_t k = first_at_or_before(b, e, data.stop[i]);
        const bool at_stop = k < e && times.time[k] == data.stop[i];
        std::size_t before = at_stop ? k + 1 : k;
        double h = before < e ? cum_h[before] : 0.0;
        std::vector<double> hx(p, 0.0);
        if (before < e) {
            for (std::size_t c = 0; c < p; ++c) hx[c] = cum_hx[before * p + c];
        }
        if (data.counting) {
            const std::size_t s = first_at_or_before(b, e, data.start[i]);
            if (s < e) {
                h -= cum_h[s];
                for (std::size_t c = 0; c < p; ++c) hx[c] -= cum_hx[s * p + c];
            }
        }
        for (std::size_t c = 0; c < p; ++c) r[c] = -risk * (xi[c] * h - hx[c]);
        if (at_stop) {
            if (data.event[i]) {
                for (std::size_t c = 0; c < p; ++c) {
                    r[c] += xi[c] - times.amean[k * p + c] -
                            risk * (xi[c] * times.h2[k] - times.hx2[k * p + c]);
                }
            } else {
                for (std::size_t c = 0; c < p; ++c) {
                    r[c] -= risk * (xi[c] * times.h[k] - times.hx[k * p + c]);
                }
            }
        }
    }
    return resid;
}

}  // namespace

CoxRegression cox_regression(const CoxData& data, const CoxOptions& options) {
    CoxRegression fit;
    fit.ties = options.ties;
    fit.names = data.names;
    fit.terms = data.terms.empty() ? data.names : data.terms;
    detail::CoxPrepared prepared = detail::cox_prepare(data, options.time_fix, {}, false);
    const std::size_t p = prepared.p, n = prepared.n;
    if (options.ties == CoxTies::exact) {
        // As R's coxexact.fit / agexact.fit: no case weights, and no dfbeta residuals for a
        // robust variance.
        for (std::size_t i = 0; i < n; ++i) {
            if (prepared.weight[i] != 1) throw InputError("exact ties: case weights are not supported (use efron or breslow)");
        }
        if (options.variance == CoxVariance::robust || !data.cluster.empty()) {
            throw UsageError("exact ties: a robust or cluster variance is not available (use efron or breslow)");
        }
    }
    // A covariate constant within every stratum adds nothing to the partial likelihood: its
    // information is zero. Centred by the overall mean it is not constant, and rounding leaves
    // an information of ~1e-17 that the Cholesky tolerance (relative to the largest diagonal)
    // can miss; zeroing the column makes it exactly singular, R's NA.
    for (std::size_t k = 0; k < p; ++k) {
        bool constant = true;
        for (std::size_t i = 1; i < n && constant; ++i) {
            constant = prepared.stratum[i] != prepared.stratum[i - 1] || prepared.x[i * p + k] == prepared.x[(i - 1) * p + k];
        }
        if (constant) {
            for (std::size_t i = 0; i < n; ++i) prepared.x[i * p + k] = 0;
        }
    }
    fit.n = n;
    fit.events = prepared.events;
    fit.dropped = prepared.dropped;
    fit.times_merged = prepared.times_merged;
    fit.means = prepared.means;
    fit.used_rows = prepared.used_rows;
    if (prepared.dropped > 0) {
        fit.diagnostics.push_back({CoxDiagnostic::Kind::dropped_rows, -1,
                                   fmt::format("{} row(s) dropped for missing values", prepared.dropped)});
    }
    if (prepared.times_merged > 0) {
        fit.diagnostics.push_back({CoxDiagnostic::Kind::time_fix, -1,
                                   fmt::format("{} time value(s) merged with a near-equal time",
                                               prepared.times_merged)});
    }
    fit.coef.assign(p, nan);
    fit.singular.assign(p, false);
    fit.var.assign(p * p, 0.0);

    // Newton–Raphson as R's coxfit6 (§4.3): iteration 0 at beta = 0 gives the null loglik and
    // the score test; a step that lowers the loglik is halved; stop at
    // |1 - loglik_old / loglik_new| <= eps.
    std::vector<double> beta(p, 0.0), new_beta(p, 0.0);
    detail::CoxPass pass = detail::cox_pass(prepared, beta, options.ties);
    // Zero information that rounding leaves at ~1e-20 (e.g. every event alone in its risk
    // set): the information of a covariate is measured against its variance, a scale the
    // Cholesky tolerance (relative to the largest diagonal) lacks when every diagonal is
    // tiny. Such a column is zeroed, so that it is singular exactly (R: NA).
    if (n > 0 && prepared.events > 0) {
        bool zeroed = false;
        double total_weight = 0;
        for (std::size_t i = 0; i < n; ++i) total_weight += prepared.weight[i];
        for (std::size_t k = 0; k < p; ++k) {
            double variance = 0;  // x is centred
            for (std::size_t i = 0; i < n; ++i) variance += prepared.weight[i] * prepared.x[i * p + k] * prepared.x[i * p + k];
            variance /= total_weight;
            if (variance > 0 && pass.imat[k * p + k] < options.toler_chol * variance) {
                for (std::size_t i = 0; i < n; ++i) prepared.x[i * p + k] = 0;
                zeroed = true;
            }
        }
        if (zeroed) pass = detail::cox_pass(prepared, beta, options.ties);
    }
    fit.loglik_null = pass.loglik;
    double loglik_old = pass.loglik;
    std::vector<double> factor = pass.imat;
    int rank = detail::cholesky_ldl(factor, p, options.toler_chol);
    {
        std::vector<double> step = pass.u;
        detail::cholesky_solve(factor, p, step);
        double sctest = 0;
        for (std::size_t k = 0; k < p; ++k) sctest += step[k] * pass.u[k];
        fit.score = chisq_test(sctest, rank);
        for (std::size_t k = 0; k < p; ++k) new_beta[k] = beta[k] + step[k];
    }
    if (prepared.events == 0) {
        fit.diagnostics.push_back({CoxDiagnostic::Kind::no_events, -1, "no events: nothing to fit"});
    }
    // Right-censored data follow R's coxfit6: a step that lowers the loglik is halved towards
    // the last good beta. Counting-process data follow R's agfit4: a step also fails when the
    // information is not finite or its rank differs from that at beta = 0, failed steps are
    // shrunk progressively, beta = (halving * good + trial) / (halving + 1), and when the
    // iterations run out R counts iter_max and returns to the last good beta if the last trial
    // was worse.
    const bool counting = prepared.counting;
    const int rank_null = rank;
    int halving = 0;
    int iter = 0;
    if (p == 0 || prepared.events == 0) {
        fit.converged = prepared.events > 0;
        fit.loglik_final = pass.loglik;
        new_beta = beta;
    } else {
        for (iter = 1; iter <= options.iter_max; ++iter) {
            pass = detail::cox_pass(prepared, new_beta, options.ties);
            factor = pass.imat;
            rank = detail::cholesky_ldl(factor, p, options.toler_chol);
            const bool fail = !pass.finite || (counting && rank != rank_null);
            if (!fail && halving == 0 && std::fabs(1 - loglik_old / pass.loglik) <= options.eps) {
                fit.converged = true;
                break;
            }
            if (iter == options.iter_max) {
                if (counting && options.iter_max > 1 && (pass.loglik - loglik_old) / loglik_old < -options.eps) {
                    new_beta = beta;
                    pass = detail::cox_pass(prepared, new_beta, options.ties);
                    factor = pass.imat;
                    rank = detail::cholesky_ldl(factor, p, options.toler_chol);
                }
                break;
            }
            if (fail || pass.loglik < loglik_old) {
                ++halving;
                const double h = counting ? halving : 1.0;
                for (std::size_t k = 0; k < p; ++k) new_beta[k] = (h * beta[k] + new_beta[k]) / (h + 1);
            } else {
                halving = 0;
                loglik_old = pass.loglik;
                std::vector<double> step = pass.u;
                detail::cholesky_solve(factor, p, step);
                for (std::size_t k = 0; k < p; ++k) {
                    beta[k] = new_beta[k];
                    new_beta[k] = new_beta[k] + step[k];
                }
            }
        }
        // R's count when the loop ran out without converging: iter_max + 1 (coxfit6),
        // iter_max (agfit4, and coxexact / agexact for exact ties).
        const bool counts_iter_max = counting || options.ties == CoxTies::exact;
        fit.iterations = fit.converged ? iter : options.iter_max + (counts_iter_max ? 0 : 1);
        fit.loglik_final = pass.loglik;
    }
    if (!pass.finite && p > 0 && prepared.events > 0) {
        // the last trial step overflowed: report the last good coefficients
        new_beta = beta;
        pass = detail::cox_pass(prepared, new_beta, options.ties);
        factor = pass.imat;
        rank = detail::cholesky_ldl(factor, p, options.toler_chol);
        fit.loglik_final = pass.loglik;
    }
    fit.var = detail::cholesky_inverse(factor, p);
    for (std::size_t k = 0; k < p; ++k) {
        fit.singular[k] = fit.var[k * p + k] == 0;
        fit.coef[k] = fit.singular[k] ? nan : new_beta[k];
    }
    const int df = rank;

    // Diagnostics as R: a column dropped by the Cholesky, and a coefficient whose one-step
    // Newton change u' V is still large at convergence (monotone likelihood).
    for (std::size_t k = 0; k < p && prepared.events > 0; ++k) {
        if (fit.singular[k]) {
            fit.diagnostics.push_back(
                {CoxDiagnostic::Kind::singular, static_cast<int>(k),
                 fmt::format("covariate '{}' dropped: no variation or collinear with the others (coefficient NA)",
                             fit.names[k])});
        }
    }
    // Linear predictor (x - means) beta of each sorted row, on two threads for many rows
    // (into `out` when given); returns the largest.
    auto sorted_linear_predictor = [&](const std::vector<double>& b, double* out) {
        double largest[2] = {-std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()};
        for_halves(n, 200'000, [&](std::size_t from, std::size_t to) {
            double top = -std::numeric_limits<double>::infinity();
            for (std::size_t i = from; i < to; ++i) {
                double eta = 0;
                for (std::size_t k = 0; k < p; ++k) eta += prepared.x[i * p + k] * b[k];
                if (out != nullptr) out[i] = eta;
                top = std::max(top, eta);
            }
            largest[from == 0 ? 0 : 1] = top;
        });
        return std::max(largest[0], largest[1]);
    };
    Buffer<double> lp_sorted;  // linear predictor in sorted order, once computed
    if (p > 0 && prepared.events > 0) {
        std::vector<double> infs(p, 0.0);
        for (std::size_t k = 0; k < p; ++k) {
            for (std::size_t l = 0; l < p; ++l) infs[k] += pass.u[l] * fit.var[l * p + k];
            infs[k] = std::fabs(infs[k]);
        }
        bool any_singular = false;
        for (std::size_t k = 0; k < p; ++k) any_singular = any_singular || fit.singular[k];
        // without a dropped covariate, the same as the linear predictor below: computed once
        if (!any_singular && options.concordance) lp_sorted.resize(n);
        const double max_lp = sorted_linear_predictor(new_beta, lp_sorted.empty() ? nullptr : lp_sorted.data());
        if (!fit.converged && df == 0) {
            // Nothing was estimable (the notes above say why); "did not converge" would mislead.
            if (n == 1) {
                fit.diagnostics.push_back({CoxDiagnostic::Kind::not_converged, -1,
                                           "a single row: a Cox model needs at least two rows"});
            }
        } else if (!fit.converged) {
            fit.diagnostics.push_back({CoxDiagnostic::Kind::not_converged, -1,
                                       fmt::format("did not converge in {} iterations", options.iter_max)});
        }
        for (std::size_t k = 0; k < p; ++k) {
            if (fit.singular[k]) continue;
            // R's rule; without convergence R only checks max_lp > 500, but a Newton step
            // that is still large is worth the same note.
            const bool still_moving =
                !std::isfinite(pass.u[k]) || !std::isfinite(infs[k]) ||
                (infs[k] > options.eps && infs[k] > options.toler_inf * std::fabs(new_beta[k]));
            const bool infinite = still_moving || (!fit.converged && max_lp > 500);
            if (infinite) {
                fit.diagnostics.push_back(
                    {CoxDiagnostic::Kind::infinite, static_cast<int>(k),
                     fmt::format("coefficient of '{}' may be infinite: the log-likelihood converged "
                                 "before it did (monotone likelihood, e.g. a group with no events)",
                                 fit.names[k])});
            }
        }
    }

    // Per-coefficient summaries.
    const double zq = boost::math::quantile(boost::math::normal_distribution<double>(),
                                            1 - (1 - options.conf_level) / 2);
    auto two_sided = [](double z) {
        return std::isfinite(z) ? 2 * boost::math::cdf(boost::math::complement(
                                          boost::math::normal_distribution<double>(), std::fabs(z)))
                                : nan;
    };
    fit.exp_coef.assign(p, nan);
    fit.se.assign(p, nan);
    fit.z.assign(p, nan);
    fit.p.assign(p, nan);
    fit.lower.assign(p, nan);
    fit.upper.assign(p, nan);
    fit.robust_se.assign(p, nan);
    fit.robust_z.assign(p, nan);
    fit.robust_p.assign(p, nan);
    for (std::size_t k = 0; k < p; ++k) {
        if (fit.singular[k]) continue;
        fit.exp_coef[k] = std::exp(fit.coef[k]);
        fit.se[k] = std::sqrt(fit.var[k * p + k]);
        fit.z[k] = fit.coef[k] / fit.se[k];
        fit.p[k] = two_sided(fit.z[k]);
    }
    std::vector<double> beta_used(p);
    for (std::size_t k = 0; k < p; ++k) beta_used[k] = fit.singular[k] ? 0.0 : new_beta[k];

    // R's summary tests all use df = the number of coefficients that are not NA, the score
    // test too (its rank at beta = 0 can be larger).
    fit.score = chisq_test(fit.score.chisq, df);
    if (p > 0 && prepared.events > 0) {
        fit.wald = chisq_test(quadratic_form_inverse(fit.var, beta_used, p, options.toler_chol, fit.singular), df);
        fit.lr = chisq_test(2 * (fit.loglik_final - fit.loglik_null), df);
    } else {
        fit.wald = chisq_test(0, 0);
        fit.lr = chisq_test(0, 0);
    }

    // Whether the sandwich variance is the fit's variance: R's coxph(robust =), whose default
    // is TRUE with clusters or with a case weight that is not a whole number.
    bool robust = options.variance == CoxVariance::robust;
    if (options.variance == CoxVariance::automatic) {
        robust = !prepared.cluster.empty();
        for (std::size_t i = 0; i < n && !robust; ++i) robust = prepared.weight[i] != std::floor(prepared.weight[i]);
    }
    fit.robust_score = {nan, 0, nan};
    if (robust && p > 0 && prepared.events > 0) {
        // Per-cluster sums of weighted rows (each row its own cluster without clusters).
        std::vector<std::size_t> cluster_of(n);
        std::size_t clusters = n;
        if (!prepared.cluster.empty()) {
            std::unordered_map<std::int32_t, std::size_t> index;
            for (std::size_t i = 0; i < n; ++i) {
                cluster_of[i] = index.try_emplace(prepared.cluster[i], index.size()).first->second;
            }
            clusters = index.size();
        } else {
            for (std::size_t i = 0; i < n; ++i) cluster_of[i] = i;
        }
        auto cluster_sums = [&](const std::vector<double>& per_row) {
            std::vector<double> summed(clusters * p, 0.0);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t k = 0; k < p; ++k) summed[cluster_of[i] * p + k] += per_row[i * p + k];
            }
            return summed;
        };
        auto cross_product = [&](const std::vector<double>& d) {
            std::vector<double> m(p * p, 0.0);
            for (std::size_t i = 0; i < clusters; ++i) {
                for (std::size_t k = 0; k < p; ++k) {
                    for (std::size_t l = k; l < p; ++l) m[k * p + l] += d[i * p + k] * d[i * p + l];
                }
            }
            for (std::size_t k = 0; k < p; ++k) {
                for (std::size_t l = 0; l < k; ++l) m[k * p + l] = m[l * p + k];
            }
            return m;
        };
        if (clusters < 2) {
            // The dfbeta residuals sum to zero over the data, so one cluster's D'D is rounding
            // noise (R reports SEs of about 1e-11): no robust variance.
            fit.diagnostics.push_back(
                {CoxDiagnostic::Kind::single_cluster, -1,
                 "a single cluster: the robust variance needs at least two clusters (robust SE, z, p "
                 "and Wald test are NA)"});
        } else {
            fit.robust = true;
            // Robust variance D'D, D = weighted dfbeta w_i L_i V summed by cluster (§4.4).
            detail::CoxEventTimes times;
            detail::cox_pass(prepared, beta_used, options.ties, &times);
            const std::vector<double> resid = score_residuals(prepared, beta_used, times);
            std::vector<double> dfbeta(n * p, 0.0);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t k = 0; k < p; ++k) {
                    double s = 0;
                    for (std::size_t l = 0; l < p; ++l) s += resid[i * p + l] * fit.var[l * p + k];
                    dfbeta[i * p + k] = prepared.weight[i] * s;
                }
            }
            fit.robust_var = cross_product(cluster_sums(dfbeta));
            // Robust score test (R's rscore): U(0)' (S'S)^- U(0), S = weighted score residuals at
            // beta = 0 summed by cluster, U(0) their total.
            const std::vector<double> zero(p, 0.0);
            detail::CoxEventTimes times0;
            detail::cox_pass(prepared, zero, options.ties, &times0);
            std::vector<double> resid0 = score_residuals(prepared, zero, times0);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t k = 0; k < p; ++k) resid0[i * p + k] *= prepared.weight[i];
            }
            const std::vector<double> summed0 = cluster_sums(resid0);
            std::vector<double> u0(p, 0.0);
            for (std::size_t i = 0; i < clusters; ++i) {
                for (std::size_t k = 0; k < p; ++k) u0[k] += summed0[i * p + k];
            }
            fit.robust_score =
                chisq_test(quadratic_form_inverse(cross_product(summed0), u0, p, options.toler_chol), df);
            for (std::size_t k = 0; k < p; ++k) {
                if (fit.singular[k]) continue;
                fit.robust_se[k] = std::sqrt(fit.robust_var[k * p + k]);
                fit.robust_z[k] = fit.coef[k] / fit.robust_se[k];
                fit.robust_p[k] = two_sided(fit.robust_z[k]);
                fit.z[k] = fit.robust_z[k];
                fit.p[k] = fit.robust_p[k];
            }
            fit.robust_wald =
                chisq_test(quadratic_form_inverse(fit.robust_var, beta_used, p, options.toler_chol, fit.singular), df);
            fit.wald = fit.robust_wald;
        }
        if (!fit.robust) {
            for (std::size_t k = 0; k < p; ++k) fit.z[k] = fit.p[k] = nan;
            fit.wald = {nan, 0, nan};
            fit.robust_wald = fit.wald;
        }
    }
    // Every coefficient NA although there are events: R's wald.test is empty (summary: NA),
    // while the LR test is 0 on 0 df with p = 1. (Without events R reports 0, p = 1.)
    if (df == 0 && prepared.events > 0) fit.wald = {nan, 0, nan};
    if (df == 0 && prepared.events > 0 && fit.robust) fit.robust_wald = fit.wald;
    // The HR interval from the variance the fit reports (R's summary.coxph).
    for (std::size_t k = 0; k < p; ++k) {
        if (fit.singular[k] || (robust && !fit.robust)) continue;  // no robust variance: NA
        const double se = fit.robust ? fit.robust_se[k] : fit.se[k];
        fit.lower[k] = std::exp(fit.coef[k] - zq * se);
        fit.upper[k] = std::exp(fit.coef[k] + zq * se);
    }

    // The linear predictor of the sorted rows, for the concordance. (R also keeps it per row
    // as fit$linear.predictors: (x - means) beta, which a caller can form from `means` and
    // `coef`; the fit does not store a copy of it.)
    if (options.concordance && lp_sorted.size() != n) {
        lp_sorted.resize(n);
        sorted_linear_predictor(beta_used, lp_sorted.data());
    }
    if (options.concordance && prepared.events > 0) {
        const CoxConcordance c = cox_concordance(prepared, lp_sorted);
        fit.concordance = c.concordance;
        fit.concordance_se = c.se;
        // Without a comparable pair the jackknife terms are 0/0. R's concordancefit replaces
        // NaN cluster sums by 0, and a robust coxph always passes clusters (each row its own
        // without --cluster): R's std is then 0, NaN otherwise.
        if (fit.robust && std::isnan(c.concordance)) fit.concordance_se = 0;
        fit.concordant = c.concordant;
        fit.discordant = c.discordant;
        fit.tied_risk = c.tied_risk;
    }
    return fit;
}

}  // namespace rwe::stats
