// Gray's test of equal cumulative incidence (docs/methods.md §7.2).
#include "rwe/stats/gray_test.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// One term of the variance: weight t3 times g g', g = (a[., k] if a cause-of-interest
// term) + t4 (C(tau)[., k] - C(t)[., k]); stored during the pass over times, summed once
// C(tau) is known.
struct VarianceTerm {
    std::size_t group;
    double t3;
    double t4;
    Eigen::VectorXd a;        // column k of a(t), zero for a competing-cause term
    Eigen::VectorXd c_at_t;   // column k of C(t)
};

// Kernel: adds the score and variance of one stratum to `score` and `variance` (size G).
// `rows` are the stratum's row indices sorted by ascending time; `groups` maps group codes to
// 0..G-1; status 1 = the cause of interest, 2 = any other cause, 0 = censored (`cause_of`).
//
// At each time t with an event, per group r at risk (n_r > 0), with the left-continuous
// all-cause Kaplan–Meier S_r(t-) and cumulative incidence F_r(t-) of the cause:
//   h_r = n_r / S_r(t-),  H = sum h_r,  R_r = n_r (1 - F_r(t-)) / S_r(t-),  Q = sum R_r,
//   pooled F^0(t) = F^0(t-) + d_1 / H,  L = (1 - F^0(t-))^rho,
//   score_r += L (d_1r - d_1 R_r / Q),
//   a_rr = L h_r (1 - h_r / H),  a_rk = -L h_r h_k / H,  C(t) = C(t-) + a d_1 / (H (1 - F^0(t-))).
// Variance (Gray 1988, section 3): for each group k at risk at a time with d_1 > 0,
//   t4 = 1 - (1 - F^0(t)) / S_k(t) (1 when S_k(t) = 0), t3 = c1 S_k(t-) d_1 / (H n_k),
//   g = a[., k] + t4 (C(tau) - C(t))[., k],  c1 = 1 - (d_1 - 1) / (H S_k(t-) - 1) for ties;
// for each group k with d_2k > 0 competing events and S_k(t) > 0,
//   t4 = (1 - F^0(t)) / S_k(t),  t3 = c2 S_k(t-)^2 d_2k / n_k^2,  g = t4 (C(tau) - C(t))[., k],
//   c2 = 1 - (d_2k - 1) / (n_k - 1) for ties;  V += sum t3 g g'.
void gray_stratum(const CompetingRisksData& data, const std::vector<std::size_t>& rows,
                  const std::vector<int>& cause_of, const std::vector<std::size_t>& groups, std::size_t group_count,
                  double rho, Eigen::VectorXd& score, Eigen::MatrixXd& variance) {
    const auto g_count = static_cast<Eigen::Index>(group_count);
    Eigen::VectorXd n_risk = Eigen::VectorXd::Zero(g_count);
    for (std::size_t row : rows) n_risk(static_cast<Eigen::Index>(groups[static_cast<std::size_t>(data.group_of(row))])) += 1;
    Eigen::VectorXd surv = Eigen::VectorXd::Ones(g_count);       // S_r(t-)
    Eigen::VectorXd incidence = Eigen::VectorXd::Zero(g_count);  // F_r(t-)
    Eigen::MatrixXd c_sum = Eigen::MatrixXd::Zero(g_count, g_count);
    double pooled = 0;  // F^0(t-)
    std::vector<VarianceTerm> terms;
    Eigen::VectorXd d1(g_count), d2(g_count), d0(g_count);
    for (std::size_t first = 0; first < rows.size();) {
        const double t = data.time[rows[first]];
        std::size_t last = first;
        d0.setZero();
        d1.setZero();
        d2.setZero();
        for (; last < rows.size() && data.time[rows[last]] == t; ++last) {
            const std::size_t row = rows[last];
            const auto group = static_cast<Eigen::Index>(groups[static_cast<std::size_t>(data.group_of(row))]);
            const int status = cause_of[static_cast<std::size_t>(data.status[row])];
            (status == 1 ? d1 : status == 2 ? d2 : d0)(group) += 1;
        }
        const double d1_total = d1.sum();
        if (d1_total > 0 || d2.sum() > 0) {
            Eigen::VectorXd surv_after = surv, incidence_after = incidence, h = Eigen::VectorXd::Zero(g_count);
            double h_total = 0, q_total = 0;
            for (Eigen::Index r = 0; r < g_count; ++r) {
                if (n_risk(r) <= 0) continue;
                surv_after(r) = surv(r) * (n_risk(r) - d1(r) - d2(r)) / n_risk(r);
                incidence_after(r) = incidence(r) + surv(r) * d1(r) / n_risk(r);
                h(r) = n_risk(r) / surv(r);
                h_total += h(r);
                q_total += n_risk(r) * (1 - incidence(r)) / surv(r);
            }
            const double pooled_after = pooled + d1_total / h_total;
            const double weight = std::pow(1 - pooled, rho);
            Eigen::MatrixXd a = Eigen::MatrixXd::Zero(g_count, g_count);
            for (Eigen::Index r = 0; r < g_count; ++r) {
                if (n_risk(r) <= 0) continue;
                score(r) += weight * (d1(r) - d1_total * n_risk(r) * (1 - incidence(r)) / (surv(r) * q_total));
                for (Eigen::Index k = 0; k < g_count; ++k) {
                    if (n_risk(k) <= 0) continue;
                    a(r, k) = k == r ? weight * h(r) * (1 - h(r) / h_total) : -weight * h(r) * h(k) / h_total;
                }
            }
            if (d1_total > 0) c_sum += a * (d1_total / (h_total * (1 - pooled)));
            if (d1_total > 0) {
                for (Eigen::Index k = 0; k < g_count; ++k) {
                    if (n_risk(k) <= 0) continue;
                    const double t4 = surv_after(k) > 0 ? 1 - (1 - pooled_after) / surv_after(k) : 1.0;
                    const double ties = d1_total > 1 ? 1 - (d1_total - 1) / (h_total * surv(k) - 1) : 1.0;
                    const double t3 = ties * surv(k) * d1_total / (h_total * n_risk(k));
                    terms.push_back({static_cast<std::size_t>(k), t3, t4, a.col(k), c_sum.col(k)});
                }
            }
            for (Eigen::Index k = 0; k < g_count; ++k) {
                if (surv_after(k) <= 0 || d2(k) <= 0) continue;
                const double t4 = (1 - pooled_after) / surv_after(k);
                const double ties = d2(k) > 1 ? 1 - (d2(k) - 1) / (n_risk(k) - 1) : 1.0;
                const double t3 = ties * surv(k) * surv(k) * d2(k) / (n_risk(k) * n_risk(k));
                terms.push_back({static_cast<std::size_t>(k), t3, t4, Eigen::VectorXd::Zero(g_count), c_sum.col(k)});
            }
            surv = surv_after;
            incidence = incidence_after;
            pooled = pooled_after;
        }
        n_risk -= d0 + d1 + d2;
        first = last;
    }
    for (const auto& term : terms) {
        const Eigen::VectorXd g = term.a + term.t4 * (c_sum.col(static_cast<Eigen::Index>(term.group)) - term.c_at_t);
        variance += term.t3 * g * g.transpose();
    }
}

}  // namespace

std::vector<GrayTest> gray_test(const CompetingRisksData& data, const GrayTestOptions& options) {
    validate_competing_risks_data(data);
    if (!(std::isfinite(options.rho) && options.rho >= 0)) {
        throw UsageError("Gray's test: rho must be a finite number >= 0 (" + std::to_string(options.rho) + ")");
    }
    // The groups compared are those with rows (cmprsk drops empty factor levels).
    std::vector<std::size_t> rows_in_group(data.group_count(), 0);
    for (std::size_t row = 0; row < data.size(); ++row) ++rows_in_group[static_cast<std::size_t>(data.group_of(row))];
    std::vector<std::size_t> groups(data.group_count(), 0);
    std::vector<std::string> names;
    for (std::size_t group = 0; group < rows_in_group.size(); ++group) {
        if (rows_in_group[group] == 0) continue;
        groups[group] = names.size();
        names.push_back(data.group.empty() ? std::string() : data.group_names[group]);
    }
    if (names.size() < 2) throw UsageError("Gray's test needs two groups or more with data (" + std::to_string(names.size()) + ")");
    const std::size_t group_count = names.size();

    std::vector<std::vector<std::size_t>> rows_of(data.stratum_count());
    for (std::size_t row = 0; row < data.size(); ++row) rows_of[static_cast<std::size_t>(data.stratum_of(row))].push_back(row);
    for (auto& rows : rows_of) {
        std::stable_sort(rows.begin(), rows.end(), [&](std::size_t a, std::size_t b) { return data.time[a] < data.time[b]; });
    }
    std::vector<GrayTest> tests;
    for (std::size_t cause = 1; cause <= data.cause_count(); ++cause) {
        std::vector<int> cause_of(data.cause_count() + 1, 2);
        cause_of[0] = 0;
        cause_of[cause] = 1;
        const auto g_count = static_cast<Eigen::Index>(group_count);
        Eigen::VectorXd score = Eigen::VectorXd::Zero(g_count);
        Eigen::MatrixXd variance = Eigen::MatrixXd::Zero(g_count, g_count);
        for (const auto& rows : rows_of) {
            if (!rows.empty()) gray_stratum(data, rows, cause_of, groups, group_count, options.rho, score, variance);
        }
        GrayTest test;
        test.cause = data.cause_names[cause - 1];
        test.groups = names;
        test.df = static_cast<int>(group_count) - 1;
        const Eigen::Index m = g_count - 1;
        const Eigen::VectorXd s = score.head(m);
        const Eigen::MatrixXd v = variance.topLeftCorner(m, m);
        test.score.assign(s.data(), s.data() + m);
        test.variance.assign(static_cast<std::size_t>(m), std::vector<double>(static_cast<std::size_t>(m)));
        for (Eigen::Index i = 0; i < m; ++i) {
            for (Eigen::Index j = 0; j < m; ++j) test.variance[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = v(i, j);
        }
        const Eigen::ColPivHouseholderQR<Eigen::MatrixXd> qr(v);
        if (qr.rank() < m) {
            test.statistic = nan;
            test.p = nan;
            test.messages.push_back("the variance of the scores is singular (a group with no event of " + test.cause +
                                    ", or no subject at risk): no test");
        } else {
            test.statistic = s.dot(qr.solve(s));
            const boost::math::chi_squared distribution(static_cast<double>(test.df));
            test.p = boost::math::cdf(boost::math::complement(distribution, std::max(0.0, test.statistic)));
        }
        tests.push_back(std::move(test));
    }
    return tests;
}

}  // namespace rwe::stats
