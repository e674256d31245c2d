#include "rwe/stats/cox_risk_sets.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <span>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::stats::detail {

CoxPrepared cox_prepare(const CoxData& data, bool time_fix, const std::vector<double>& means) {
    const std::size_t rows = data.stop.size();
    const std::size_t p = data.names.size();
    if (data.event.size() != rows || data.x.size() != rows * p ||
        (!data.start.empty() && data.start.size() != rows) ||
        (!data.weight.empty() && data.weight.size() != rows) ||
        (!data.stratum.empty() && data.stratum.size() != rows) ||
        (!data.cluster.empty() && data.cluster.size() != rows)) {
        throw Error(ErrorKind::internal, "cox: columns of different lengths");
    }
    CoxPrepared out;
    out.p = p;
    out.counting = !data.start.empty();

    // Complete cases, in input order.
    std::vector<std::size_t> used;
    used.reserve(rows);
    for (std::size_t row = 0; row < rows; ++row) {
        bool ok = !std::isnan(data.stop[row]) && !std::isnan(data.event[row]);
        if (out.counting) ok = ok && !std::isnan(data.start[row]);
        if (!data.weight.empty()) ok = ok && !std::isnan(data.weight[row]);
        if (!data.stratum.empty()) ok = ok && data.stratum[row] >= 0;
        if (!data.cluster.empty()) ok = ok && data.cluster[row] >= 0;
        for (std::size_t k = 0; ok && k < p; ++k) ok = !std::isnan(data.x[row * p + k]);
        if (ok) {
            used.push_back(row);
        } else {
            ++out.dropped;
        }
    }
    const std::size_t n = used.size();
    out.n = n;

    std::vector<double> start(out.counting ? n : 0), stop(n);
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t row = used[i];
        stop[i] = data.stop[row];
        if (out.counting) start[i] = data.start[row];
        const double e = data.event[row];
        if (e != 0 && e != 1) {
            throw InputError("event indicator must be 0 or 1 (row " + std::to_string(row + 1) +
                             ": " + std::to_string(e) + ")");
        }
        if (!std::isfinite(stop[i])) {
            throw InputError("time must be finite (row " + std::to_string(row + 1) + ")");
        }
        if (!data.weight.empty() && !(data.weight[row] > 0 && std::isfinite(data.weight[row]))) {
            throw InputError("weights must be > 0 (row " + std::to_string(row + 1) + ": " +
                             std::to_string(data.weight[row]) + ")");
        }
        if (out.counting && !(start[i] < stop[i])) {
            throw InputError("stop time must be > start time (row " + std::to_string(row + 1) + ")");
        }
    }
    if (time_fix) {
        std::vector<std::span<double>> columns{std::span<double>(stop)};
        if (out.counting) columns.emplace_back(start);
        out.times_merged = merge_near_equal_times(columns);
        if (out.counting) {
            for (std::size_t i = 0; i < n; ++i) {
                if (!(start[i] < stop[i])) {
                    throw InputError("stop time must be > start time after merging near-equal times (row " +
                                     std::to_string(used[i] + 1) + ")");
                }
            }
        }
    }

    // Sort: stratum ascending, stop descending; at one time, censored rows before events
    // (order within a time does not change any sum; it fixes a reproducible layout).
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    auto stratum_of = [&](std::size_t i) { return data.stratum.empty() ? 0 : data.stratum[used[i]]; };
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto sa = stratum_of(a), sb = stratum_of(b);
        if (sa != sb) return sa < sb;
        if (stop[a] != stop[b]) return stop[a] > stop[b];
        const double ea = data.event[used[a]], eb = data.event[used[b]];
        if (ea != eb) return ea < eb;
        return a < b;
    });

    // Weighted means over the used rows (R centres at these; results do not depend on it).
    out.means = means;
    if (out.means.empty()) {
        out.means.assign(p, 0.0);
        double total = 0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t row = used[i];
            const double w = data.weight.empty() ? 1.0 : data.weight[row];
            total += w;
            for (std::size_t k = 0; k < p; ++k) out.means[k] += w * data.x[row * p + k];
        }
        if (total > 0) {
            for (auto& m : out.means) m /= total;
        }
    }

    out.stop.resize(n);
    if (out.counting) out.start.resize(n);
    out.event.resize(n);
    out.weight.resize(n);
    out.stratum.resize(n);
    if (!data.cluster.empty()) out.cluster.resize(n);
    out.x.resize(n * p);
    out.used_index = order;
    out.used_rows = used;
    for (std::size_t pos = 0; pos < n; ++pos) {
        const std::size_t i = order[pos];
        const std::size_t row = used[i];
        out.stop[pos] = stop[i];
        if (out.counting) out.start[pos] = start[i];
        out.event[pos] = data.event[row] != 0 ? 1 : 0;
        out.events += out.event[pos];
        out.weight[pos] = data.weight.empty() ? 1.0 : data.weight[row];
        out.stratum[pos] = stratum_of(i);
        if (!data.cluster.empty()) out.cluster[pos] = data.cluster[row];
        for (std::size_t k = 0; k < p; ++k) out.x[pos * p + k] = data.x[row * p + k] - out.means[k];
    }
    out.stratum_begin.push_back(0);
    for (std::size_t pos = 1; pos < n; ++pos) {
        if (out.stratum[pos] != out.stratum[pos - 1]) out.stratum_begin.push_back(pos);
    }
    out.stratum_begin.push_back(n);
    if (n == 0) out.stratum_begin = {0, 0};

    if (out.counting) {
        out.by_start.resize(n);
        std::iota(out.by_start.begin(), out.by_start.end(), 0);
        for (std::size_t s = 0; s + 1 < out.stratum_begin.size(); ++s) {
            auto first = out.by_start.begin() + static_cast<std::ptrdiff_t>(out.stratum_begin[s]);
            auto last = out.by_start.begin() + static_cast<std::ptrdiff_t>(out.stratum_begin[s + 1]);
            std::stable_sort(first, last, [&](std::size_t a, std::size_t b) {
                return out.start[a] > out.start[b];
            });
        }
    }
    return out;
}

namespace {

// exp() of a linear predictor, kept finite for runaway coefficients (separation): the
// likelihood is flat there anyway and Newton–Raphson halves the step.
inline double safe_exp(double eta) { return std::exp(std::clamp(eta, -700.0, 700.0)); }

}  // namespace

CoxPass cox_pass(const CoxPrepared& data, const std::vector<double>& beta, CoxTies ties,
                 CoxEventTimes* record, CoxTimeWeighted* weighted) {
    const std::size_t n = data.n, p = data.p;
    CoxPass out;
    out.u.assign(p, 0.0);
    out.imat.assign(p * p, 0.0);
    const double* x = data.x.data();

    std::vector<double> eta(n), risk(n);
    for (std::size_t i = 0; i < n; ++i) {
        double e = 0;
        for (std::size_t k = 0; k < p; ++k) e += x[i * p + k] * beta[k];
        eta[i] = e;
        risk[i] = data.weight[i] * safe_exp(e);
    }

    std::vector<double> s1(p), s2(p * p), e1(p), e2(p * p), a(p), it(p * p), ut(p);
    if (record) {
        *record = CoxEventTimes{};
        record->p = p;
    }
    if (weighted) {
        weighted->u_g.assign(p, 0.0);
        weighted->i_bg.assign(p * p, 0.0);
        weighted->i_gg.assign(p * p, 0.0);
    }
    std::size_t event_time_index = 0;
    double loglik = 0;

    // Adds (sign +1) or removes (sign -1) a row's risk to the running sums S0, S1, S2
    // (upper triangle of S2 only).
    double s0 = 0;
    auto update = [&](std::size_t i, double sign) {
        const double r = sign * risk[i];
        const double* xi = x + i * p;
        s0 += r;
        for (std::size_t j = 0; j < p; ++j) {
            const double rx = r * xi[j];
            s1[j] += rx;
            double* row = s2.data() + j * p;
            for (std::size_t k = j; k < p; ++k) row[k] += rx * xi[k];
        }
    };

    for (std::size_t s = 0; s + 1 < data.stratum_begin.size(); ++s) {
        const std::size_t begin = data.stratum_begin[s], end = data.stratum_begin[s + 1];
        s0 = 0;
        std::fill(s1.begin(), s1.end(), 0.0);
        std::fill(s2.begin(), s2.end(), 0.0);
        std::size_t next_start = begin;  // into by_start
        std::size_t i = begin;
        while (i < end) {
            const double t = data.stop[i];
            double deaths = 0, death_weight = 0, e0 = 0;
            bool any_death = false;
            std::size_t j = i;
            for (; j < end && data.stop[j] == t; ++j) {
                update(j, 1.0);
                if (data.event[j]) {
                    if (!any_death) {
                        std::fill(e1.begin(), e1.end(), 0.0);
                        std::fill(e2.begin(), e2.end(), 0.0);
                        std::fill(ut.begin(), ut.end(), 0.0);
                        any_death = true;
                    }
                    const double w = data.weight[j], r = risk[j];
                    const double* xj = x + j * p;
                    deaths += 1;
                    death_weight += w;
                    e0 += r;
                    loglik += w * eta[j];
                    for (std::size_t k = 0; k < p; ++k) {
                        ut[k] += w * xj[k];
                        e1[k] += r * xj[k];
                        double* row = e2.data() + k * p;
                        for (std::size_t l = k; l < p; ++l) row[l] += r * xj[k] * xj[l];
                    }
                }
            }
            // (start, stop]: rows that start at or after t are not at risk at t.
            if (data.counting) {
                while (next_start < end && data.start[data.by_start[next_start]] >= t) {
                    update(data.by_start[next_start], -1.0);
                    ++next_start;
                }
            }
            if (any_death) {
                // Efron: the tied deaths leave the risk set in d equal steps (§4.2).
                const bool efron = ties == CoxTies::efron && deaths > 1;
                const int steps = efron ? static_cast<int>(deaths) : 1;
                const double m = efron ? death_weight / deaths : death_weight;
                double c1 = 0, c2 = 0, h = 0, h2 = 0;
                std::fill(it.begin(), it.end(), 0.0);
                if (record) {
                    record->stratum.push_back(data.stratum[i]);
                    record->time.push_back(t);
                    record->deaths.push_back(deaths);
                    record->hx.resize(record->hx.size() + p, 0.0);
                    record->hx2.resize(record->hx2.size() + p, 0.0);
                    record->amean.resize(record->amean.size() + p, 0.0);
                }
                for (int r = 0; r < steps; ++r) {
                    const double f = efron ? r / deaths : 0.0;
                    const double denom = s0 - f * e0;
                    loglik -= m * std::log(denom);
                    c1 += m / denom;
                    c2 += m * f / denom;
                    for (std::size_t k = 0; k < p; ++k) a[k] = (s1[k] - f * e1[k]) / denom;
                    for (std::size_t k = 0; k < p; ++k) {
                        ut[k] -= m * a[k];
                        double* row = it.data() + k * p;
                        for (std::size_t l = k; l < p; ++l) row[l] -= m * a[k] * a[l];
                    }
                    if (record) {
                        const double hr = m / denom;
                        h += hr;
                        h2 += hr * (1 - f);
                        double* hx = record->hx.data() + record->hx.size() - p;
                        double* hx2 = record->hx2.data() + record->hx2.size() - p;
                        double* am = record->amean.data() + record->amean.size() - p;
                        for (std::size_t k = 0; k < p; ++k) {
                            hx[k] += hr * a[k];
                            hx2[k] += hr * (1 - f) * a[k];
                            am[k] += a[k] / steps;
                        }
                    }
                }
                for (std::size_t k = 0; k < p; ++k) {
                    out.u[k] += ut[k];
                    for (std::size_t l = k; l < p; ++l) {
                        it[k * p + l] += c1 * s2[k * p + l] - c2 * e2[k * p + l];
                    }
                }
                for (std::size_t k = 0; k < p; ++k) {
                    for (std::size_t l = k; l < p; ++l) out.imat[k * p + l] += it[k * p + l];
                }
                if (record) {
                    record->h.push_back(h);
                    record->h2.push_back(h2);
                }
                if (weighted) {
                    const double g = weighted->g[event_time_index];
                    for (std::size_t k = 0; k < p; ++k) {
                        weighted->u_g[k] += g * ut[k];
                        for (std::size_t l = k; l < p; ++l) {
                            weighted->i_bg[k * p + l] += g * it[k * p + l];
                            weighted->i_gg[k * p + l] += g * g * it[k * p + l];
                        }
                    }
                }
                ++event_time_index;
            }
            i = j;
        }
    }
    auto symmetrise = [p](std::vector<double>& m) {
        for (std::size_t k = 0; k < p; ++k) {
            for (std::size_t l = 0; l < k; ++l) m[k * p + l] = m[l * p + k];
        }
    };
    symmetrise(out.imat);
    if (weighted) {
        symmetrise(weighted->i_bg);
        symmetrise(weighted->i_gg);
    }
    out.loglik = loglik;
    out.finite = std::isfinite(loglik);
    for (double v : out.u) out.finite = out.finite && std::isfinite(v);
    for (double v : out.imat) out.finite = out.finite && std::isfinite(v);
    return out;
}

int cholesky_ldl(std::vector<double>& m, std::size_t p, double toler) {
    double eps = 0;
    for (std::size_t i = 0; i < p; ++i) eps = std::max(eps, std::fabs(m[i * p + i]));
    eps = eps > 0 ? eps * toler : toler;
    int rank = 0;
    // Lower triangle holds L (unit diagonal implied), the diagonal holds D.
    for (std::size_t i = 0; i < p; ++i) {
        const double pivot = m[i * p + i];
        if (!std::isfinite(pivot) || pivot < eps) {
            for (std::size_t j = i; j < p; ++j) m[j * p + i] = 0;
            continue;
        }
        ++rank;
        for (std::size_t j = i + 1; j < p; ++j) {
            const double temp = m[j * p + i] / pivot;
            m[j * p + i] = temp;
            m[j * p + j] -= temp * temp * pivot;
            for (std::size_t k = j + 1; k < p; ++k) m[k * p + j] -= temp * m[k * p + i];
        }
    }
    return rank;
}

void cholesky_solve(const std::vector<double>& f, std::size_t p, std::vector<double>& y) {
    for (std::size_t i = 0; i < p; ++i) {
        double temp = y[i];
        for (std::size_t j = 0; j < i; ++j) temp -= y[j] * f[i * p + j];
        y[i] = temp;
    }
    for (std::size_t ii = p; ii-- > 0;) {
        if (f[ii * p + ii] == 0) {
            y[ii] = 0;
            continue;
        }
        double temp = y[ii] / f[ii * p + ii];
        for (std::size_t j = ii + 1; j < p; ++j) temp -= y[j] * f[j * p + ii];
        y[ii] = temp;
    }
}

std::vector<double> cholesky_inverse(const std::vector<double>& f, std::size_t p) {
    std::vector<double> inverse(p * p, 0.0), column(p);
    for (std::size_t j = 0; j < p; ++j) {
        if (f[j * p + j] == 0) continue;
        std::fill(column.begin(), column.end(), 0.0);
        column[j] = 1;
        cholesky_solve(f, p, column);
        for (std::size_t i = 0; i < p; ++i) inverse[i * p + j] = column[i];
    }
    // exact symmetry
    for (std::size_t i = 0; i < p; ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            const double v = 0.5 * (inverse[i * p + j] + inverse[j * p + i]);
            inverse[i * p + j] = inverse[j * p + i] = v;
        }
    }
    return inverse;
}

}  // namespace rwe::stats::detail
