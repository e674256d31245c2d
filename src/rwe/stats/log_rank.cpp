#include "rwe/stats/log_rank.hpp"

#include <Eigen/Dense>
#include <boost/math/distributions/chi_squared.hpp>
#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// w_i of docs/methods.md §2.2, from the pooled S(t_i-) and n_i of the stratum.
double weight_at(const LogRankOptions& options, double surv_before, double n_risk) {
    switch (options.weight) {
        case LogRankWeight::log_rank: return 1.0;
        case LogRankWeight::peto_peto: return surv_before;
        case LogRankWeight::gehan_breslow: return n_risk;
        case LogRankWeight::tarone_ware: return std::sqrt(n_risk);
        case LogRankWeight::fleming_harrington:
            // pow(x, 0) = 1 also for x = 0, as R's 0^0.
            return std::pow(surv_before, options.fh_p) * std::pow(1.0 - surv_before, options.fh_q);
    }
    return 1.0;
}

std::string trim_number(double value) { return fmt::format("{:g}", value); }

}  // namespace

std::string log_rank_method_name(const LogRankOptions& options) {
    switch (options.weight) {
        case LogRankWeight::log_rank: return "log-rank";
        case LogRankWeight::peto_peto: return "Peto-Peto (G-rho, rho = 1)";
        case LogRankWeight::gehan_breslow: return "Gehan-Breslow";
        case LogRankWeight::tarone_ware: return "Tarone-Ware";
        case LogRankWeight::fleming_harrington:
            if (options.fh_q == 0) {
                return options.fh_p == 0 ? "log-rank"
                                         : "G-rho (rho = " + trim_number(options.fh_p) + ")";
            }
            return "Fleming-Harrington(" + trim_number(options.fh_p) + ", " +
                   trim_number(options.fh_q) + ")";
    }
    return "log-rank";
}

void validate_log_rank_options(const LogRankOptions& options) {
    if (options.weight != LogRankWeight::fleming_harrington) return;
    if (!(std::isfinite(options.fh_p) && options.fh_p >= 0)) {
        throw UsageError("Fleming-Harrington p (rho) must be a finite number >= 0 (" +
                         trim_number(options.fh_p) + ")");
    }
    if (!(std::isfinite(options.fh_q) && options.fh_q >= 0)) {
        throw UsageError("Fleming-Harrington q must be a finite number >= 0 (" +
                         trim_number(options.fh_q) + ")");
    }
}

LogRankSums log_rank_sums(const GroupRiskTable& table, const std::vector<std::size_t>& groups,
                          const LogRankOptions& options) {
    const std::size_t m = groups.size();
    const std::size_t k = table.groups;
    const std::size_t strata = table.strata.size();
    LogRankSums sums;
    sums.groups = groups;
    sums.observed.assign(m, 0.0);
    sums.expected.assign(m, 0.0);
    sums.variance.assign(m, std::vector<double>(m, 0.0));
    sums.observed_by_stratum.assign(m, std::vector<double>(strata, 0.0));
    sums.expected_by_stratum.assign(m, std::vector<double>(strata, 0.0));
    std::vector<double> n_g(m), d_g(m), fraction(m);
    Eigen::MatrixXd variance = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(m),
                                                     static_cast<Eigen::Index>(m));
    for (std::size_t s = 0; s < strata; ++s) {
        const auto& stratum = table.strata[s];
        double surv = 1.0;  // pooled Kaplan–Meier just before the current time
        for (std::size_t i = 0; i < stratum.time.size(); ++i) {
            const double* risk_row = stratum.n_risk.data() + i * k;
            const double* event_row = stratum.n_event.data() + i * k;
            double n = 0, d = 0;
            for (std::size_t a = 0; a < m; ++a) {
                n_g[a] = risk_row[groups[a]];
                d_g[a] = event_row[groups[a]];
                n += n_g[a];
                d += d_g[a];
            }
            if (!(d > 0)) continue;  // no event of the compared groups at this time
            const double w = weight_at(options, surv, n);
            for (std::size_t a = 0; a < m; ++a) {
                fraction[a] = n_g[a] / n;
                sums.observed_by_stratum[a][s] += w * d_g[a];
                sums.expected_by_stratum[a][s] += w * d * fraction[a];
            }
            if (n > 1) {
                const double scale = w * w * d * (n - d) / (n - 1);
                for (std::size_t a = 0; a < m; ++a) {
                    if (fraction[a] == 0) continue;
                    const double fa = scale * fraction[a];
                    for (std::size_t b = 0; b < m; ++b) {
                        variance(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b)) +=
                            fa * ((a == b ? 1.0 : 0.0) - fraction[b]);
                    }
                }
            }
            surv *= (n - d) / n;
        }
    }
    for (std::size_t a = 0; a < m; ++a) {
        for (std::size_t s = 0; s < strata; ++s) {
            sums.observed[a] += sums.observed_by_stratum[a][s];
            sums.expected[a] += sums.expected_by_stratum[a][s];
        }
        for (std::size_t b = 0; b < m; ++b) {
            sums.variance[a][b] =
                variance(static_cast<Eigen::Index>(a), static_cast<Eigen::Index>(b));
        }
    }
    return sums;
}

LogRankChiSquare log_rank_chi_square(const LogRankSums& sums) {
    LogRankChiSquare result;
    std::vector<std::size_t> kept;  // groups with E > 0 (R: etmp > 0)
    for (std::size_t a = 0; a < sums.expected.size(); ++a) {
        if (sums.expected[a] > 0) kept.push_back(a);
    }
    if (kept.size() < 2) {
        // R's survdiff: chisq 0 on (groups with E > 0) - 1 df; pchisq gives p = 1 on 0 df and
        // NA on -1 df (no events at all). A single group is not a test (R stops): NA.
        result.chisq = 0;
        result.df = 0;
        result.p = kept.size() == 1 && sums.expected.size() > 1 ? 1.0 : nan;  // one group: R stops
        result.message = "fewer than two groups with expected events > 0: no test";
        return result;
    }
    // Drop the first kept group; the remaining V block is non-singular when the groups differ.
    const auto r = static_cast<Eigen::Index>(kept.size() - 1);
    Eigen::MatrixXd v(r, r);
    Eigen::VectorXd u(r);
    for (Eigen::Index a = 0; a < r; ++a) {
        const std::size_t ga = kept[static_cast<std::size_t>(a) + 1];
        u(a) = sums.observed[ga] - sums.expected[ga];
        for (Eigen::Index b = 0; b < r; ++b) {
            v(a, b) = sums.variance[ga][kept[static_cast<std::size_t>(b) + 1]];
        }
    }
    result.df = kept.size() - 1;
    Eigen::FullPivLU<Eigen::MatrixXd> lu(v);
    if (!lu.isInvertible()) {
        result.chisq = nan;
        result.p = nan;
        result.message = "the variance matrix is singular: no test";
        return result;
    }
    const Eigen::VectorXd solved = lu.solve(u);
    result.chisq = solved.dot(u);
    const boost::math::chi_squared distribution(static_cast<double>(result.df));
    result.p = result.chisq >= 0 ? boost::math::cdf(boost::math::complement(distribution, result.chisq))
                                 : nan;
    return result;
}

LogRank log_rank_test(const GroupRiskTable& table, const LogRankOptions& options) {
    validate_log_rank_options(options);
    LogRank result;
    result.options = options;
    result.method = log_rank_method_name(options);
    result.strata = table.stratum_names;
    result.n_used = table.rows;
    result.dropped = table.dropped;
    for (const auto& stratum : table.strata) {
        std::size_t n = 0;
        for (std::size_t count : stratum.group_n) n += count;
        result.stratum_n.push_back(n);
    }

    std::vector<std::size_t> all(table.groups);
    for (std::size_t g = 0; g < table.groups; ++g) all[g] = g;
    const LogRankSums sums = log_rank_sums(table, all, options);
    for (std::size_t g = 0; g < table.groups; ++g) {
        result.groups.push_back({table.group_names[g], table.group_n[g], table.group_events[g],
                                 sums.observed[g], sums.expected[g]});
        if (table.rows == 0) {
            continue;  // "no subjects" below says it once
        } else if (table.group_n[g] == 0) {
            result.diagnostics.push_back("group '" + table.group_names[g] +
                                         "' has no subjects; it takes no part in the test");
        } else if (table.group_events[g] == 0) {
            result.diagnostics.push_back("group '" + table.group_names[g] + "' has no events");
        }
    }
    result.variance = sums.variance;
    result.observed_by_stratum = sums.observed_by_stratum;
    result.expected_by_stratum = sums.expected_by_stratum;
    if (table.groups < 2) result.diagnostics.push_back("only one group: nothing to compare");
    if (table.rows == 0) result.diagnostics.push_back("no subjects");
    const LogRankChiSquare chi = log_rank_chi_square(sums);
    result.chisq = chi.chisq;
    result.df = chi.df;
    result.p = chi.p;
    if (!chi.message.empty() && table.groups >= 2) result.diagnostics.push_back(chi.message);
    if (table.weighted) {
        result.diagnostics.push_back(
            "case weights are used as frequency weights (n and d are sums of weights)");
    }
    return result;
}

LogRank log_rank_test(const SurvivalData& data, const LogRankOptions& options) {
    validate_log_rank_options(options);
    return log_rank_test(group_risk_table(data), options);
}

}  // namespace rwe::stats
