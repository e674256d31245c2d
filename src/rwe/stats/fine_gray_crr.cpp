// Fine–Gray regression with cmprsk::crr's estimator and variance (docs/methods.md §7.4).
#include "rwe/stats/fine_gray_crr.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"
#include "rwe/stats/confidence_band.hpp"

namespace rwe::stats {

namespace {

using Eigen::MatrixXd;
using Eigen::VectorXd;

// Sorted, complete-case data: status 1 = the cause, 2 = another cause, 0 = censored.
struct Prepared {
    std::vector<double> time;
    std::vector<int> status;
    MatrixXd x;                    // n x p
    std::vector<double> g_before;  // G(T_i-), the censoring Kaplan–Meier just before T_i
    std::vector<std::size_t> block_end;  // per row: one past the last row with the same time
};

// Sums over the pseudo risk set at each distinct time of the cause (ascending):
// S0 = sum_{T_j >= t} e^{bx_j} + G(t-) sum_{competing, T_j < t} e^{bx_j} / G(T_j-), S1, S2 alike.
struct FailureTime {
    std::size_t first;  // first row of the time
    double d = 0;       // events of the cause
    double g = 1;       // G(t-)
    double s0 = 0;
    VectorXd s1;
    MatrixXd s2;
    VectorXd x_events;  // sum of x over its events
};

std::vector<FailureTime> failure_times(const Prepared& data, const VectorXd& beta, bool with_s2) {
    const std::size_t n = data.time.size();
    const Eigen::Index p = data.x.cols();
    const VectorXd risk = (data.x * beta).array().exp();
    // Suffix sums of the ordinary risk set (T_j >= t), prefix sums of the competing part.
    std::vector<FailureTime> out;
    double r0 = risk.sum();
    VectorXd r1 = data.x.transpose() * risk;
    MatrixXd r2 = with_s2 ? MatrixXd(data.x.transpose() * risk.asDiagonal() * data.x) : MatrixXd();
    double a0 = 0;
    VectorXd a1 = VectorXd::Zero(p);
    MatrixXd a2 = MatrixXd::Zero(p, p);
    for (std::size_t first = 0; first < n;) {
        const std::size_t end = data.block_end[first];
        FailureTime f;
        f.first = first;
        f.x_events = VectorXd::Zero(p);
        for (std::size_t row = first; row < end; ++row) {
            if (data.status[row] == 1) {
                f.d += 1;
                f.x_events += data.x.row(static_cast<Eigen::Index>(row)).transpose();
            }
        }
        if (f.d > 0) {
            f.g = data.g_before[first];
            f.s0 = r0 + f.g * a0;
            f.s1 = r1 + f.g * a1;
            if (with_s2) f.s2 = r2 + f.g * a2;
            out.push_back(std::move(f));
        }
        for (std::size_t row = first; row < end; ++row) {
            const auto i = static_cast<Eigen::Index>(row);
            const VectorXd xi = data.x.row(i).transpose();
            r0 -= risk(i);
            r1 -= risk(i) * xi;
            if (with_s2) r2 -= risk(i) * xi * xi.transpose();
            if (data.status[row] == 2) {
                const double w = risk(i) / data.g_before[row];
                a0 += w;
                a1 += w * xi;
                if (with_s2) a2 += w * xi * xi.transpose();
            }
        }
        first = end;
    }
    return out;
}

// Breslow log pseudo-likelihood, score and information.
double log_likelihood(const Prepared& data, const VectorXd& beta, VectorXd* score, MatrixXd* information) {
    const Eigen::Index p = data.x.cols();
    const auto times = failure_times(data, beta, information != nullptr);
    double loglik = 0;
    if (score) *score = VectorXd::Zero(p);
    if (information) *information = MatrixXd::Zero(p, p);
    for (const auto& f : times) {
        loglik += f.x_events.dot(beta) - f.d * std::log(f.s0);
        const VectorXd mean = f.s1 / f.s0;
        if (score) *score += f.x_events - f.d * mean;
        if (information) *information += f.d * (f.s2 / f.s0 - mean * mean.transpose());
    }
    return loglik;
}

}  // namespace

CrrRegression fine_gray_crr(const CompetingRisksData& data, const std::vector<double>& x, const std::vector<std::string>& names,
                            const CrrOptions& options) {
    const std::size_t p = names.size();
    validate_fine_gray_input(data, x, p, options.cause);
    CrrRegression result;
    result.cause = data.cause_names[options.cause - 1];
    result.names = names;

    std::vector<std::size_t> rows;
    for (std::size_t row = 0; row < data.size(); ++row) {
        bool complete = true;
        for (std::size_t k = 0; k < p; ++k) complete = complete && !std::isnan(x[row * p + k]);
        if (complete) rows.push_back(row);
    }
    result.dropped = data.size() - rows.size();
    std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return data.time[a] < data.time[b]; });
    const std::size_t n = rows.size();
    result.n = n;
    Prepared prepared;
    prepared.x.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(p));
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t row = rows[i];
        prepared.time.push_back(data.time[row]);
        const auto status = data.status[row];
        prepared.status.push_back(status == 0 ? 0 : status == static_cast<std::int32_t>(options.cause) ? 1 : 2);
        for (std::size_t k = 0; k < p; ++k) prepared.x(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = x[row * p + k];
        if (prepared.status.back() == 1) ++result.events;
    }
    // Blocks of equal times; G(t-) from the Kaplan–Meier of censoring in which a failure at t
    // is still at risk for a censoring at t: G(t) = prod_{c <= t} (1 - m_c / n_c).
    prepared.block_end.assign(n, n);
    prepared.g_before.assign(n, 1.0);
    std::vector<double> at_risk(n), censored_in_block(n, 0);
    double g = 1;
    for (std::size_t first = 0; first < n;) {
        std::size_t end = first;
        double censored = 0;
        while (end < n && prepared.time[end] == prepared.time[first]) censored += prepared.status[end++] == 0 ? 1 : 0;
        for (std::size_t row = first; row < end; ++row) {
            prepared.block_end[row] = end;
            prepared.g_before[row] = g;
            at_risk[row] = static_cast<double>(n - first);
        }
        censored_in_block[first] = censored;
        g *= 1 - censored / static_cast<double>(n - first);
        first = end;
    }
    if (result.events == 0) {
        result.messages.push_back("no event of cause " + result.cause + ": no fit");
        const double nan = std::numeric_limits<double>::quiet_NaN();
        result.coef.assign(p, nan);
        result.exp_coef = result.se = result.z = result.p = result.lower = result.upper = result.coef;
        return result;
    }

    // Newton–Raphson from 0, halving a step that lowers the log pseudo-likelihood.
    const auto pi = static_cast<Eigen::Index>(p);
    VectorXd beta = VectorXd::Zero(pi), score;
    MatrixXd information;
    double loglik = log_likelihood(prepared, beta, &score, &information);
    result.loglik_null = loglik;
    for (int iteration = 1; iteration <= options.iter_max; ++iteration) {
        const Eigen::LDLT<MatrixXd> solver(information);
        if (solver.info() != Eigen::Success) break;
        VectorXd step = solver.solve(score);
        VectorXd candidate = beta + step;
        double next = log_likelihood(prepared, candidate, nullptr, nullptr);
        for (int half = 0; half < 30 && !(next >= loglik - 1e-12 * std::abs(loglik)); ++half) {
            step /= 2;
            candidate = beta + step;
            next = log_likelihood(prepared, candidate, nullptr, nullptr);
        }
        beta = candidate;
        result.iterations = iteration;
        loglik = log_likelihood(prepared, beta, &score, &information);
        bool small = true;
        for (Eigen::Index k = 0; k < pi; ++k) small = small && std::abs(step(k)) <= options.eps * std::max(1.0, std::abs(beta(k)));
        if (small) {
            result.converged = true;
            break;
        }
    }
    result.loglik = loglik;
    if (!result.converged) result.messages.push_back("Newton–Raphson did not converge: the estimates may be infinite");

    // Fine & Gray's variance: I^-1 sum_i (eta_i + psi_i)(eta_i + psi_i)' I^-1 (docs/methods.md §7.4).
    const auto times = failure_times(prepared, beta, false);
    const VectorXd risk = (prepared.x * beta).array().exp();
    const std::size_t m = times.size();
    // Per failure time t: dL = d / S0 and G dL, with xbar = S1 / S0; cumulative sums
    // C0(t) = sum_{s <= t} dL, C1 = sum dL xbar; suffix sums B0(t) = sum_{s >= t} G dL, B1 = sum G dL xbar.
    std::vector<double> c0(m), b0(m + 1, 0.0);
    std::vector<VectorXd> c1(m), b1(m + 1, VectorXd::Zero(pi));
    for (std::size_t k = 0; k < m; ++k) {
        const double dl = times[k].d / times[k].s0;
        const VectorXd mean = times[k].s1 / times[k].s0;
        c0[k] = (k ? c0[k - 1] : 0.0) + dl;
        c1[k] = (k ? c1[k - 1] : VectorXd::Zero(pi)) + dl * mean;
    }
    for (std::size_t k = m; k-- > 0;) {
        const double gdl = times[k].g * times[k].d / times[k].s0;
        b0[k] = b0[k + 1] + gdl;
        b1[k] = b1[k + 1] + gdl * (times[k].s1 / times[k].s0);
    }
    // Index of the first failure time >= t, and of the last <= t.
    auto first_at_or_after = [&](double t) {
        return static_cast<std::size_t>(std::lower_bound(times.begin(), times.end(), t, [&](const FailureTime& f, double value) {
                                            return prepared.time[f.first] < value;
                                        }) - times.begin());
    };
    MatrixXd middle = MatrixXd::Zero(pi, pi);
    VectorXd psi_running = VectorXd::Zero(pi);  // -sum_{censoring u <= t} m_u q(u) / pi(u)^2
    double a0 = 0;                               // competing events before u: sum e^{bx} / G(T-)
    VectorXd a1 = VectorXd::Zero(pi);
    VectorXd q = VectorXd::Zero(pi);
    for (std::size_t first = 0; first < n;) {
        const std::size_t end = prepared.block_end[first];
        const double t = prepared.time[first];
        if (censored_in_block[first] > 0) {
            // q(u) = sum_{failure times s >= u} G(s-) dL(s) (A1(u) - xbar(s) A0(u)), A over competing T < u.
            const std::size_t k = first_at_or_after(t);
            q = a1 * b0[k] - a0 * b1[k];
            psi_running -= censored_in_block[first] * q / (at_risk[first] * at_risk[first]);
        }
        const std::size_t after = first_at_or_after(t);  // failure times >= t
        // Failure times <= t (at t: only when a failure time is t).
        const std::size_t upto = after < m && prepared.time[times[after].first] == t ? after + 1 : after;
        for (std::size_t row = first; row < end; ++row) {
            const auto i = static_cast<Eigen::Index>(row);
            const VectorXd xi = prepared.x.row(i).transpose();
            VectorXd eta = VectorXd::Zero(pi);
            const int status = prepared.status[row];
            if (status == 1) eta += xi - times[after].s1 / times[after].s0;
            // At risk (weight 1) at the failure times up to T_i: -e^{bx_i} (x_i C0 - C1).
            if (upto > 0) eta -= risk(i) * (xi * c0[upto - 1] - c1[upto - 1]);
            // A competing event stays at risk later with weight G(s-)/G(T_i-).
            if (status == 2) {
                const std::size_t later = upto;  // failure times > T_i
                eta -= risk(i) / prepared.g_before[row] * (xi * b0[later] - b1[later]);
            }
            VectorXd psi = psi_running;
            if (status == 0) psi += q / at_risk[row];
            const VectorXd total = eta + psi;
            middle += total * total.transpose();
        }
        for (std::size_t row = first; row < end; ++row) {
            if (prepared.status[row] != 2) continue;
            const auto i = static_cast<Eigen::Index>(row);
            const double w = risk(i) / prepared.g_before[row];
            a0 += w;
            a1 += w * prepared.x.row(i).transpose();
        }
        first = end;
    }
    const MatrixXd inverse = information.inverse();
    const MatrixXd variance = inverse * middle * inverse.transpose();
    const double z_level = normal_quantile_two_sided(options.conf_level);
    const boost::math::normal normal;
    for (Eigen::Index k = 0; k < pi; ++k) {
        const double b = beta(k), se = std::sqrt(variance(k, k));
        result.coef.push_back(b);
        result.exp_coef.push_back(std::exp(b));
        result.se.push_back(se);
        result.z.push_back(b / se);
        result.p.push_back(2 * boost::math::cdf(boost::math::complement(normal, std::abs(b / se))));
        result.lower.push_back(std::exp(b - z_level * se));
        result.upper.push_back(std::exp(b + z_level * se));
        for (Eigen::Index j = 0; j < pi; ++j) result.var.push_back(variance(k, j));
    }
    return result;
}

}  // namespace rwe::stats
