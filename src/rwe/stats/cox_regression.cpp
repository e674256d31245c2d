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
        const double risk = std::exp(std::clamp(eta - times.shift, -700.0, 700.0));
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


// Which of R's fitting routines coxph uses for these data: each has its own scaling of the
// covariates, step halving and stopping rules (§4.3), followed here so that a fit at the
// edge of convergence (or of rank) takes the same path as R's.
enum class RFitter {
    coxfit6,   // right-censored, Efron or Breslow (coxph.fit)
    agfit4,    // (start, stop], Efron or Breslow (agreg.fit)
    coxexact,  // right-censored, exact (coxexact.fit)
    agexact,   // (start, stop], exact (agexact.fit)
};

// How R transforms covariate k before Newton–Raphson: x' = (x - centre) * scale, or
// (x - centre) / scale when `divide` (coxexact.fit's scale()). Coefficients on the original
// scale are beta' * scale (beta' / scale when dividing).
struct RScaling {
    std::vector<double> centre, scale;
    bool divide = false;
    double to_original(double b, std::size_t k) const { return divide ? b / scale[k] : b * scale[k]; }
};

// agfit4's row orders over the rows it uses (those whose (start, stop] holds an event time of
// their stratum): by stratum, then descending stop (`by_stop`) or descending start
// (`by_start`), rows of equal time in input order (R's order()). Empty for other fitters.
struct AgOrder {
    std::vector<bool> used;
    std::vector<std::size_t> by_stop, by_start;
};

AgOrder ag_order(const detail::CoxPrepared& data) {
    const std::size_t n = data.n;
    AgOrder order;
    order.used.assign(n, false);
    for (std::size_t s = 0; s + 1 < data.stratum_begin.size(); ++s) {
        const std::size_t first = data.stratum_begin[s], last = data.stratum_begin[s + 1];
        std::vector<double> event_times;
        for (std::size_t i = first; i < last; ++i) {
            if (data.event[i] != 0) event_times.push_back(data.stop[i]);
        }
        std::sort(event_times.begin(), event_times.end());
        for (std::size_t i = first; i < last; ++i) {
            // an event time t with start < t <= stop
            auto it = std::upper_bound(event_times.begin(), event_times.end(), data.start[i]);
            order.used[i] = it != event_times.end() && *it <= data.stop[i];
        }
    }
    auto input_row = [&data](std::size_t i) { return data.used_rows.empty() ? i : data.used_rows[i]; };
    for (std::size_t i = 0; i < n; ++i) {
        if (order.used[i]) order.by_stop.push_back(i);
    }
    order.by_start = order.by_stop;
    // prepared rows are grouped by stratum in ascending order, as R's strata codes
    std::stable_sort(order.by_stop.begin(), order.by_stop.end(), [&](std::size_t a, std::size_t b) {
        if (data.stratum[a] != data.stratum[b]) return data.stratum[a] < data.stratum[b];
        if (data.stop[a] != data.stop[b]) return data.stop[a] > data.stop[b];
        return input_row(a) < input_row(b);
    });
    std::stable_sort(order.by_start.begin(), order.by_start.end(), [&](std::size_t a, std::size_t b) {
        if (data.stratum[a] != data.stratum[b]) return data.stratum[a] < data.stratum[b];
        if (data.start[a] != data.start[b]) return data.start[a] > data.start[b];
        return input_row(a) < input_row(b);
    });
    return order;
}

// One pass of (start, stop] Efron or Breslow data in the order of R's agfit4 and with its
// arithmetic: rows join the running sums in descending stop order and leave in descending
// start order (the sums restart from zero when the risk set empties); at each event time
// the dying rows' sums are kept apart and added in (all at once for Breslow, in d equal
// parts for Efron), the information term is (C - a a'/D) / D with a = A / D, and the linear
// predictor is taken relative to a centre that moves when the mean linear predictor of the
// risk set drifts by more than 200. On a monotone likelihood the Newton steps that follow
// the log-likelihood's last settling are made of the rounding of these sums (a removed row
// with a large risk leaves rounding of its size in the sum of much smaller ones), so the
// iteration count equals R's only when the sums are formed as R forms them.
detail::CoxPass ag_pass_r_order(const detail::CoxPrepared& data, const AgOrder& order,
                                const std::vector<double>& beta, CoxTies ties) {
    const std::size_t p = data.p, used = order.by_stop.size();
    const bool efron = ties == CoxTies::efron;
    detail::CoxPass out;
    out.u.assign(p, 0.0);
    std::vector<double> imat(p * p, 0.0);  // upper triangle (k <= l) at k * p + l
    std::vector<double> eta(data.n, 0.0);
    for (std::size_t i : order.by_stop) {
        double e = 0;
        for (std::size_t k = 0; k < p; ++k) e += beta[k] * data.x[i * p + k];
        eta[i] = e;
    }
    std::vector<double> a(p, 0.0), a2(p, 0.0), cmat(p * p, 0.0), cmat2(p * p, 0.0);  // lower: k >= l
    auto clear_sums = [&](double& denom, double& etasum) {
        denom = 0;
        etasum = 0;
        std::fill(a.begin(), a.end(), 0.0);
        std::fill(cmat.begin(), cmat.end(), 0.0);
    };
    double loglik = 0, centre = 0, denom = 0, etasum = 0;
    long nrisk = 0;
    std::size_t person = 0, leaving = 0;
    std::int32_t stratum = used > 0 ? data.stratum[order.by_stop[0]] : 0;
    bool overflow = false;
    while (person < used) {
        // the next event time, resetting the sums at a new stratum
        std::size_t k = person;
        double dtime = 0;
        for (; k < used; ++k) {
            const std::size_t r = order.by_stop[k];
            if (data.stratum[r] != stratum) {
                stratum = data.stratum[r];
                clear_sums(denom, etasum);
                nrisk = 0;
                person = k;
                leaving = k;
            }
            if (data.event[r] != 0) {
                dtime = data.stop[r];
                break;
            }
        }
        if (k == used) break;
        // rows starting at or after the event time leave
        for (; leaving < used; ++leaving) {
            const std::size_t r = order.by_start[leaving];
            if (data.start[r] < dtime || data.stratum[r] != stratum) break;
            if (--nrisk == 0) {
                clear_sums(denom, etasum);
            } else {
                etasum -= eta[r];
                const double risk = std::exp(eta[r] - centre) * data.weight[r];
                denom -= risk;
                for (std::size_t c = 0; c < p; ++c) {
                    a[c] -= risk * data.x[r * p + c];
                    for (std::size_t l = 0; l <= c; ++l) cmat[c * p + l] -= risk * data.x[r * p + c] * data.x[r * p + l];
                }
            }
        }
        // rows whose stop is the event time join; the dying ones into their own sums
        double denom2 = 0, death_weight = 0;
        int deaths = 0;
        std::fill(a2.begin(), a2.end(), 0.0);
        std::fill(cmat2.begin(), cmat2.end(), 0.0);
        for (; person < used; ++person) {
            const std::size_t r = order.by_stop[person];
            if (data.stratum[r] != stratum || data.stop[r] < dtime) break;
            ++nrisk;
            etasum += eta[r];
            const double mean_eta = etasum / static_cast<double>(nrisk);
            if (std::fabs(mean_eta - centre) > 200) {
                const double move = mean_eta - centre;
                centre = mean_eta;
                if (denom > 0) {
                    if (std::fabs(move) > 709) overflow = true;
                    const double factor = std::exp(-move);
                    denom *= factor;
                    for (std::size_t c = 0; c < p; ++c) {
                        a[c] *= factor;
                        for (std::size_t l = 0; l < p; ++l) cmat[c * p + l] *= factor;
                    }
                }
            }
            const double risk = std::exp(eta[r] - centre) * data.weight[r];
            const double* xr = data.x.data() + r * p;
            if (data.event[r] != 0) {
                ++deaths;
                denom2 += risk;
                death_weight += data.weight[r];
                loglik += data.weight[r] * (eta[r] - centre);
                for (std::size_t c = 0; c < p; ++c) {
                    out.u[c] += data.weight[r] * xr[c];
                    a2[c] += risk * xr[c];
                    for (std::size_t l = 0; l <= c; ++l) cmat2[c * p + l] += risk * xr[c] * xr[l];
                }
            } else {
                denom += risk;
                for (std::size_t c = 0; c < p; ++c) {
                    a[c] += risk * xr[c];
                    for (std::size_t l = 0; l <= c; ++l) cmat[c * p + l] += risk * xr[c] * xr[l];
                }
            }
        }
        if (!efron || deaths == 1) {
            denom += denom2;
            loglik -= death_weight * std::log(denom);
            for (std::size_t c = 0; c < p; ++c) {
                a[c] += a2[c];
                const double mean = a[c] / denom;
                out.u[c] -= death_weight * mean;
                for (std::size_t l = 0; l <= c; ++l) {
                    cmat[c * p + l] += cmat2[c * p + l];
                    imat[l * p + c] += death_weight * ((cmat[c * p + l] - mean * a[l]) / denom);
                }
            }
        } else {
            const double m = death_weight / deaths;
            for (int step = 0; step < deaths; ++step) {
                denom += denom2 / deaths;
                loglik -= m * std::log(denom);
                for (std::size_t c = 0; c < p; ++c) {
                    a[c] += a2[c] / deaths;
                    const double mean = a[c] / denom;
                    out.u[c] -= m * mean;
                    for (std::size_t l = 0; l <= c; ++l) {
                        cmat[c * p + l] += cmat2[c * p + l] / deaths;
                        imat[l * p + c] += m * ((cmat[c * p + l] - mean * a[l]) / denom);
                    }
                }
            }
        }
    }
    out.imat = std::move(imat);
    for (std::size_t k = 0; k < p; ++k) {
        for (std::size_t l = 0; l < k; ++l) out.imat[k * p + l] = out.imat[l * p + k];
    }
    out.loglik = overflow ? nan : loglik;
    out.finite = std::isfinite(out.loglik);
    for (double v : out.u) out.finite = out.finite && std::isfinite(v);
    for (double v : out.imat) out.finite = out.finite && std::isfinite(v);
    return out;
}

// R's coxph leaves a covariate whose values all lie in {-1, 0, 1} as it is (its default
// nocenter = c(-1, 0, 1)); every other covariate is centred, and scaled by coxph.fit,
// agreg.fit and coxexact.fit. The Newton path is the same on any scale in exact arithmetic,
// but the Cholesky tolerance is relative to the largest diagonal, so which column a nearly
// singular information drops depends on the scale (e.g. a diverging coefficient whose
// information fades below the tolerance); with R's scale the same column is dropped at the
// same iteration. `x` is raw (uncentred) on entry and transformed in place.
RScaling r_centre_and_scale(detail::CoxPrepared& data, RFitter fitter, const AgOrder& order) {
    const std::size_t n = data.n, p = data.p;
    RScaling sc;
    sc.centre.assign(p, 0.0);
    sc.scale.assign(p, 1.0);
    sc.divide = fitter == RFitter::coxexact;
    if (n == 0) return sc;
    for (std::size_t k = 0; k < p; ++k) {
        bool nocenter = true;
        for (std::size_t i = 0; i < n && nocenter; ++i) {
            const double v = data.x[i * p + k];
            nocenter = v == -1 || v == 0 || v == 1;
        }
        if (nocenter) continue;
        double centre = 0, scale = 1;
        switch (fitter) {
            case RFitter::coxfit6: {
                // weighted mean; scale = sum w / sum w |x - mean|
                double sw = 0, swx = 0;
                for (std::size_t i = 0; i < n; ++i) {
                    sw += data.weight[i];
                    swx += data.weight[i] * data.x[i * p + k];
                }
                centre = swx / sw;
                double sabs = 0;
                for (std::size_t i = 0; i < n; ++i) sabs += data.weight[i] * std::fabs(data.x[i * p + k] - centre);
                scale = sabs > 0 ? sw / sabs : 1.0;
                break;
            }
            case RFitter::agfit4: {
                // R's agfit4 subtracts the value of the first row it uses (largest stop time
                // of the first stratum), then scales over the used rows as coxfit6, the sums
                // taken in its row order (the scale's last bit starts the rounding of the path).
                // Rows it does not use take no part in the fit (nor in its centring and scaling).
                if (order.by_stop.empty()) break;
                const std::size_t first = order.by_stop[0];
                const double w0 = data.weight[first];
                centre = w0 * data.x[first * p + k] / w0;
                double sw = 0, sabs = 0;
                for (std::size_t i : order.by_stop) {
                    sabs += data.weight[i] * std::fabs(data.x[i * p + k] - centre);
                    sw += data.weight[i];
                }
                scale = sabs > 0 ? sw / sabs : 1.0;
                break;
            }
            case RFitter::coxexact: {
                // R's scale(): the mean and the standard deviation (n - 1), unweighted
                double sx = 0;
                for (std::size_t i = 0; i < n; ++i) sx += data.x[i * p + k];
                centre = sx / static_cast<double>(n);
                double ss = 0;
                for (std::size_t i = 0; i < n; ++i) ss += (data.x[i * p + k] - centre) * (data.x[i * p + k] - centre);
                const double sd = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
                scale = sd > 0 ? sd : 1.0;
                break;
            }
            case RFitter::agexact: {
                // centred at the unweighted mean, not scaled
                double sx = 0;
                for (std::size_t i = 0; i < n; ++i) sx += data.x[i * p + k];
                centre = sx / static_cast<double>(n);
                break;
            }
        }
        sc.centre[k] = centre;
        sc.scale[k] = scale;
        for (std::size_t i = 0; i < n; ++i) {
            double& v = data.x[i * p + k];
            v = sc.divide ? (v - centre) / scale : (v - centre) * scale;
        }
    }
    return sc;
}

}  // namespace

namespace {

CoxRegression fit_cox(const CoxData& data, CoxData* release, const CoxOptions& options) {
    CoxRegression fit;
    fit.ties = options.ties;
    fit.names = data.names;
    fit.terms = data.terms.empty() ? data.names : data.terms;
    const bool clustered = !data.cluster.empty();
    // Raw covariates (centred at 0): R's centring and scaling follow below.
    // The fit reads only the prepared (sorted) copy: a released input is emptied by it.
    detail::CoxPrepared prepared =
        detail::cox_prepare(data, options.time_fix, std::vector<double>(data.names.size(), 0.0), false, release);
    const std::size_t p = prepared.p, n = prepared.n;
    if (options.ties == CoxTies::exact) {
        // As R's coxexact.fit / agexact.fit: no case weights, and no dfbeta residuals for a
        // robust variance.
        for (std::size_t i = 0; i < n; ++i) {
            if (prepared.weight[i] != 1) throw InputError("exact ties: case weights are not supported (use efron or breslow)");
        }
        if (options.variance == CoxVariance::robust || clustered) {
            throw UsageError("exact ties: a robust or cluster variance is not available (use efron or breslow)");
        }
    }
    // The weighted means of the covariates (R's fit$means for centred covariates): the centre
    // of the linear predictor and of cox.zph.
    fit.means.assign(p, 0.0);
    {
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            total += prepared.weight[i];
            for (std::size_t k = 0; k < p; ++k) fit.means[k] += prepared.weight[i] * prepared.x[i * p + k];
        }
        if (total > 0) {
            for (auto& m : fit.means) m /= total;
        }
    }
    const RFitter fitter = options.ties == CoxTies::exact ? (prepared.counting ? RFitter::agexact : RFitter::coxexact)
                                                          : (prepared.counting ? RFitter::agfit4 : RFitter::coxfit6);
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
    AgOrder ag = fitter == RFitter::agfit4 ? ag_order(prepared) : AgOrder{};  // released after the iterations
    const RScaling scaling = r_centre_and_scale(prepared, fitter, ag);
    // A pass at beta on R's scale: for (start, stop] Efron or Breslow data in agfit4's order
    // and arithmetic, so that a path made of rounding (a diverging coefficient) is R's.
    auto newton_pass = [&](const std::vector<double>& b) {
        return fitter == RFitter::agfit4 ? ag_pass_r_order(prepared, ag, b, options.ties)
                                         : detail::cox_pass(prepared, b, options.ties);
    };
    detail::set_x_abs_max(prepared);
    fit.n = n;
    fit.events = prepared.events;
    fit.dropped = prepared.dropped;
    fit.times_merged = prepared.times_merged;
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

    // Newton–Raphson as R's routines (§4.3), on R's scale: iteration 0 at beta = 0 gives the null loglik and
    // the score test; a step that lowers the loglik is halved; stop at
    // |1 - loglik_old / loglik_new| <= eps.
    std::vector<double> beta(p, 0.0), new_beta(p, 0.0);
    detail::CoxPass pass = newton_pass(beta);
    // Zero information that rounding leaves at ~1e-20 (e.g. every event alone in its risk
    // set): the information of a covariate is measured against its variance, a scale the
    // Cholesky tolerance (relative to the largest diagonal) lacks when every diagonal is
    // tiny. Such a column is zeroed, so that it is singular exactly (R: NA).
    if (n > 0 && prepared.events > 0) {
        bool zeroed = false;
        double total_weight = 0;
        for (std::size_t i = 0; i < n; ++i) total_weight += prepared.weight[i];
        for (std::size_t k = 0; k < p; ++k) {
            double mean = 0, variance = 0;  // (a covariate in {-1, 0, 1} is not centred)
            for (std::size_t i = 0; i < n; ++i) mean += prepared.weight[i] * prepared.x[i * p + k];
            mean /= total_weight;
            for (std::size_t i = 0; i < n; ++i) {
                const double d = prepared.x[i * p + k] - mean;
                variance += prepared.weight[i] * d * d;
            }
            variance /= total_weight;
            if (variance > 0 && pass.imat[k * p + k] < options.toler_chol * variance) {
                for (std::size_t i = 0; i < n; ++i) prepared.x[i * p + k] = 0;
                zeroed = true;
            }
        }
        if (zeroed) pass = newton_pass(beta);
    }
    fit.loglik_null = pass.loglik;
    double loglik_old = pass.loglik;
    std::vector<double> factor = pass.imat;
    int rank = detail::cholesky_ldl(factor, p, options.toler_chol);
    std::vector<bool> singular_at_null(p);
    for (std::size_t k = 0; k < p; ++k) singular_at_null[k] = factor[k * p + k] == 0;
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
    // The loop of each of R's routines (§4.3). A trial step that lowers the loglik (or whose
    // loglik or information is not finite) is shrunk towards the last good beta:
    // progressively, beta = (halving * good + trial) / (halving + 1), in coxfit6 and agfit4;
    // by half each time in coxexact and agexact. agfit4 also fails a step whose information
    // changes rank. coxfit6 may stop in the midst of halving; the others only after a full
    // step. When the iterations run out, coxfit6 returns the last good beta and counts
    // iter_max + 1; coxexact returns the last good beta, agfit4 returns it only if the last
    // trial was worse by more than eps (relative), agexact returns the last trial; these
    // three count iter_max.
    const bool progressive = fitter == RFitter::coxfit6 || fitter == RFitter::agfit4;
    const int rank_null = rank;
    int halving = 0;
    int iter = 0;
    if (p == 0 || prepared.events == 0) {
        fit.converged = prepared.events > 0;
        fit.loglik_final = pass.loglik;
        new_beta = beta;
    } else {
        for (iter = 1; iter <= options.iter_max; ++iter) {
            pass = newton_pass(new_beta);
            factor = pass.imat;
            rank = detail::cholesky_ldl(factor, p, options.toler_chol);
            const bool fail = !pass.finite || (fitter == RFitter::agfit4 && rank != rank_null);
            if (!fail && (fitter == RFitter::coxfit6 || halving == 0) &&
                std::fabs(1 - loglik_old / pass.loglik) <= options.eps) {
                fit.converged = true;
                break;
            }
            if (iter == options.iter_max && fitter != RFitter::coxfit6) break;
            if (fail || pass.loglik < loglik_old) {
                ++halving;
                const double h = progressive ? halving : 1.0;
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
        if (!fit.converged) {
            bool back_to_good = false;
            switch (fitter) {
                case RFitter::coxfit6:
                case RFitter::coxexact: back_to_good = true; break;
                case RFitter::agfit4:
                    back_to_good = (pass.loglik - loglik_old) / std::fabs(loglik_old) < -options.eps;
                    break;
                case RFitter::agexact: break;
            }
            if (back_to_good && options.iter_max > 1) {
                new_beta = beta;
                pass = newton_pass(new_beta);
                factor = pass.imat;
                rank = detail::cholesky_ldl(factor, p, options.toler_chol);
            } else if (back_to_good) {
                // one iteration or none: R leaves the last information as it is
                new_beta = beta;
                pass.loglik = loglik_old;
            }
        }
        fit.iterations = fit.converged ? iter : options.iter_max + (fitter == RFitter::coxfit6 ? 1 : 0);
        fit.loglik_final = pass.loglik;
    }
    if (!pass.finite && p > 0 && prepared.events > 0) {
        // the last trial step overflowed: report the last good coefficients
        new_beta = beta;
        pass = newton_pass(new_beta);
        factor = pass.imat;
        rank = detail::cholesky_ldl(factor, p, options.toler_chol);
        fit.loglik_final = pass.loglik;
    }
    // Back to the covariates' own scale: beta = beta' f, V = f V' f, U = U' / f, with f the
    // multiplier R applied to the covariate (1 / sd for coxexact's scale()).
    std::vector<double> f(p);
    for (std::size_t k = 0; k < p; ++k) f[k] = scaling.divide ? 1 / scaling.scale[k] : scaling.scale[k];
    const std::vector<double> var_scaled = detail::cholesky_inverse(factor, p);
    fit.var = var_scaled;
    for (std::size_t k = 0; k < p; ++k) {
        for (std::size_t l = 0; l < p; ++l) fit.var[k * p + l] *= f[k] * f[l];
    }
    std::vector<double> u_original(p), beta_original(p);
    for (std::size_t k = 0; k < p; ++k) {
        u_original[k] = pass.u[k] / f[k];
        beta_original[k] = scaling.to_original(new_beta[k], k);
        fit.singular[k] = fit.var[k * p + k] == 0;
        fit.coef[k] = fit.singular[k] ? nan : beta_original[k];
    }
    const int df = rank;

    // Diagnostics as R: a column dropped by the Cholesky, and a coefficient whose one-step
    // Newton change u' V is still large at convergence (monotone likelihood).
    // A column whose information was of full rank at beta = 0 and vanished along the way (R's
    // agfit4 fails such a step; coxfit6 drops the column and may then stop) lost it because its
    // coefficient ran away: the likelihood is monotone, and the values reached depend on the
    // rounding of the last steps.
    for (std::size_t k = 0; k < p && prepared.events > 0; ++k) {
        if (!fit.singular[k]) continue;
        if (singular_at_null[k]) {
            fit.diagnostics.push_back(
                {CoxDiagnostic::Kind::singular, static_cast<int>(k),
                 fmt::format("covariate '{}' dropped: no variation or collinear with the others (coefficient NA)",
                             fit.names[k])});
        } else {
            fit.diagnostics.push_back(
                {CoxDiagnostic::Kind::infinite, static_cast<int>(k),
                 fmt::format("covariate '{}' dropped (coefficient NA): its information vanished as the "
                             "coefficient grew to {:.4g}; coefficients may be infinite (monotone likelihood)",
                             fit.names[k], beta_original[k])});
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
        // The one-step change |U V| on the scale R tests it: coxexact.fit its scaled one.
        const bool scaled_test = fitter == RFitter::coxexact;
        const std::vector<double>& u_test = scaled_test ? pass.u : u_original;
        const std::vector<double>& var_test = scaled_test ? var_scaled : fit.var;
        const std::vector<double>& beta_test = scaled_test ? new_beta : beta_original;
        std::vector<double> infs(p, 0.0);
        for (std::size_t k = 0; k < p; ++k) {
            for (std::size_t l = 0; l < p; ++l) infs[k] += u_test[l] * var_test[l * p + k];
            infs[k] = std::fabs(infs[k]);
        }
        // the same as the linear predictor of the concordance below: computed once
        if (options.concordance) lp_sorted.resize(n);
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
            // R's rule (agreg.fit's: |U V| > toler_inf (1 + |beta|)); without convergence R only
            // checks max_lp > 500, but a Newton step that is still large is worth the same note.
            const bool still_moving =
                !std::isfinite(u_test[k]) || !std::isfinite(infs[k]) ||
                (fitter == RFitter::agfit4
                     ? infs[k] > options.toler_inf * (1 + std::fabs(beta_test[k]))
                     : infs[k] > options.eps && infs[k] > options.toler_inf * std::fabs(beta_test[k]));
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
    // The linear predictor, residuals and concordance are those of the beta at which the
    // final loglik was computed (on R's scale, with the transformed x), as R's
    // fit$linear.predictors: a column that the last Cholesky dropped keeps the value it had
    // reached (0 for a column singular from the start, which never moves). The tests use the
    // coefficients with NA as 0.
    const std::vector<double>& beta_used = new_beta;
    std::vector<double> coef_used(p);
    for (std::size_t k = 0; k < p; ++k) coef_used[k] = fit.singular[k] ? 0.0 : beta_original[k];

    // R's summary tests all use df = the number of coefficients that are not NA, the score
    // test too (its rank at beta = 0 can be larger).
    fit.score = chisq_test(fit.score.chisq, df);
    if (p > 0 && prepared.events > 0) {
        fit.wald = chisq_test(quadratic_form_inverse(fit.var, coef_used, p, options.toler_chol, fit.singular), df);
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
    ag = AgOrder{};  // the Newton passes are done: two row orders fewer during the variance
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
            {
                detail::CoxEventTimes times;
                detail::cox_pass(prepared, beta_used, options.ties, &times);
                // The score residuals become the dfbeta residuals in place, a row at a time
                // (n x p values each: at tens of millions of rows, one array fewer), and are
                // released before the score test's.
                std::vector<double> dfbeta = score_residuals(prepared, beta_used, times);
                std::vector<double> resid(p);
                for (std::size_t i = 0; i < n; ++i) {
                    std::copy_n(dfbeta.begin() + static_cast<std::ptrdiff_t>(i * p), p, resid.begin());
                    for (std::size_t k = 0; k < p; ++k) {
                        double s = 0;
                        for (std::size_t l = 0; l < p; ++l) s += resid[l] / f[l] * fit.var[l * p + k];
                        dfbeta[i * p + k] = prepared.weight[i] * s;
                    }
                }
                fit.robust_var = cross_product(cluster_sums(dfbeta));
            }
            // Robust score test (R's rscore): U(0)' (S'S)^- U(0), S = weighted score residuals at
            // beta = 0 summed by cluster, U(0) their total.
            const std::vector<double> zero(p, 0.0);
            detail::CoxEventTimes times0;
            detail::cox_pass(prepared, zero, options.ties, &times0);
            std::vector<double> resid0 = score_residuals(prepared, zero, times0);
            for (std::size_t i = 0; i < n; ++i) {
                for (std::size_t k = 0; k < p; ++k) resid0[i * p + k] *= prepared.weight[i] / f[k];
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
                chisq_test(quadratic_form_inverse(fit.robust_var, coef_used, p, options.toler_chol, fit.singular), df);
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

}  // namespace

CoxRegression cox_regression(const CoxData& data, const CoxOptions& options) { return fit_cox(data, nullptr, options); }

CoxRegression cox_regression(CoxData&& data, const CoxOptions& options) { return fit_cox(data, &data, options); }

}  // namespace rwe::stats
