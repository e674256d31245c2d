// Aalen–Johansen cumulative incidence and its infinitesimal-jackknife variance
// (docs/methods.md §7.1).
#include "rwe/stats/cumulative_incidence.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "rwe/common/error.hpp"
#include "rwe/stats/confidence_band.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Kernel: the curves of one group. `rows` are the group's row indices sorted by ascending
// time; `causes` = K >= 1. Every subject enters at time 0 with weight 1.
//
// State vector x = (S, F_1, ..., F_K). At a time t with n at risk, d_k events of cause k
// (d = sum d_k) and m censorings, x(t) = M(t) x(t-) with
//   S(t) = S(t-) (1 - d/n),  F_k(t) = F_k(t-) + S(t-) d_k / n.
// The influence of subject i on x follows the same recursion, plus, while i is at risk,
// the derivative of the hazard increments d_k/n with respect to i's weight:
//   u_i(t) = M(t) u_i(t-) + b_{c_i(t)}, b_c[0] = -S(t-) (1{c > 0} - d/n) / n,
//   b_c[k] = S(t-) (1{c = k} - d_k/n) / n,  c = the cause of i's event at t (0: none).
// Everyone at risk has had the same history, so shares one influence vector r(t); those
// who left are carried by their second-moment matrix Sigma (Sigma <- M Sigma M'). The
// variance is diag(Sigma) + n_after r^2 (survfit's default for multi-state curves).
CumulativeIncidenceCurve aalen_johansen(const CompetingRisksData& data, const std::vector<std::size_t>& rows,
                                        std::size_t causes, double z) {
    const Eigen::Index states = static_cast<Eigen::Index>(causes) + 1;
    CumulativeIncidenceCurve curve;
    curve.n = rows.size();
    curve.n_event.assign(causes, {});
    curve.incidence.assign(causes, {});
    curve.std_err.assign(causes, {});
    curve.lower.assign(causes, {});
    curve.upper.assign(causes, {});
    curve.events.assign(causes, 0);

    Eigen::VectorXd x = Eigen::VectorXd::Zero(states);
    x(0) = 1;
    Eigen::VectorXd at_risk_influence = Eigen::VectorXd::Zero(states);
    Eigen::MatrixXd left = Eigen::MatrixXd::Zero(states, states);  // Sigma of those who left
    std::vector<double> count(causes + 1);  // [0] censorings, [k] events of cause k
    double n_risk = static_cast<double>(rows.size());
    for (std::size_t first = 0; first < rows.size();) {
        const double t = data.time[rows[first]];
        std::size_t last = first;
        std::fill(count.begin(), count.end(), 0.0);
        while (last < rows.size() && data.time[rows[last]] == t) ++count[static_cast<std::size_t>(data.status[rows[last++]])];
        const double events = std::accumulate(count.begin() + 1, count.end(), 0.0);

        Eigen::MatrixXd step = Eigen::MatrixXd::Identity(states, states);
        step(0, 0) = 1 - events / n_risk;
        for (std::size_t k = 1; k <= causes; ++k) step(static_cast<Eigen::Index>(k), 0) = count[k] / n_risk;
        const double s_before = x(0);
        auto jump = [&](std::size_t cause) {
            Eigen::VectorXd b(states);
            b(0) = -s_before * ((cause > 0 ? 1.0 : 0.0) - events / n_risk) / n_risk;
            for (std::size_t k = 1; k <= causes; ++k) {
                b(static_cast<Eigen::Index>(k)) = s_before * ((cause == k ? 1.0 : 0.0) - count[k] / n_risk) / n_risk;
            }
            return b;
        };
        const Eigen::VectorXd carried = step * at_risk_influence;
        left = step * left * step.transpose();
        for (std::size_t cause = 0; cause <= causes; ++cause) {
            if (count[cause] == 0) continue;
            const Eigen::VectorXd u = carried + jump(cause);
            left += count[cause] * u * u.transpose();
        }
        at_risk_influence = carried + jump(0);
        x = step * x;
        const double n_after = n_risk - events - count[0];

        curve.time.push_back(t);
        curve.n_risk.push_back(n_risk);
        curve.n_censor.push_back(count[0]);
        curve.event_free.push_back(x(0));
        curve.event_free_std_err.push_back(
            std::sqrt(std::max(0.0, left(0, 0) + n_after * at_risk_influence(0) * at_risk_influence(0))));
        for (std::size_t k = 1; k <= causes; ++k) {
            const auto state = static_cast<Eigen::Index>(k);
            const double f = x(state);
            const double variance = left(state, state) + n_after * at_risk_influence(state) * at_risk_influence(state);
            const double se = std::sqrt(std::max(0.0, variance));
            curve.n_event[k - 1].push_back(count[k]);
            curve.events[k - 1] += count[k];
            curve.incidence[k - 1].push_back(f);
            curve.std_err[k - 1].push_back(se);
            // survfit's "log" limits on the probability scale: exp(log F -/+ z se / F).
            const Interval limits = f > 0 ? survival_interval(f, se / f, ConfType::log, z) : Interval{nan, nan};
            curve.lower[k - 1].push_back(limits.lower);
            curve.upper[k - 1].push_back(limits.upper);
        }
        n_risk = n_after;
        first = last;
    }
    return curve;
}

}  // namespace

CumulativeIncidence cumulative_incidence(const CompetingRisksData& data, const CumulativeIncidenceOptions& options) {
    validate_competing_risks_data(data);
    if (!(options.conf_level > 0 && options.conf_level < 1)) {
        throw UsageError("cumulative incidence: conf_level must lie in (0, 1) (" + std::to_string(options.conf_level) + ")");
    }
    CumulativeIncidence result;
    result.cause_names = data.cause_names;
    result.conf_level = options.conf_level;
    result.z = normal_quantile_two_sided(options.conf_level);
    std::vector<std::vector<std::size_t>> rows_of(data.group_count());
    for (std::size_t row = 0; row < data.size(); ++row) rows_of[static_cast<std::size_t>(data.group_of(row))].push_back(row);
    for (std::size_t group = 0; group < rows_of.size(); ++group) {
        auto& rows = rows_of[group];
        if (rows.empty()) continue;
        std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return data.time[a] < data.time[b]; });
        auto curve = aalen_johansen(data, rows, data.cause_count(), result.z);
        if (!data.group.empty()) curve.name = data.group_names[group];
        result.curves.push_back(std::move(curve));
    }
    return result;
}

IncidenceAt incidence_at(const CumulativeIncidenceCurve& curve, std::size_t cause, double t) {
    IncidenceAt at;
    at.time = t;
    // n at risk at t: the risk set of the first row at or after t (0 after the last row).
    const auto next = std::lower_bound(curve.time.begin(), curve.time.end(), t);
    at.n_risk = next == curve.time.end() ? 0 : curve.n_risk[static_cast<std::size_t>(next - curve.time.begin())];
    const auto after = std::upper_bound(curve.time.begin(), curve.time.end(), t);
    if (after == curve.time.begin()) return at;  // before any row: F = 0, SE 0, limits 0 (as R)
    const auto row = static_cast<std::size_t>(after - curve.time.begin()) - 1;
    at.incidence = curve.incidence[cause][row];
    at.std_err = curve.std_err[cause][row];
    at.lower = curve.lower[cause][row];
    at.upper = curve.upper[cause][row];
    return at;
}

}  // namespace rwe::stats
