#pragma once
// The weighted log-rank family for k groups, optionally stratified (docs/methods.md §2):
// log-rank (Mantel 1966), G-rho / Peto–Peto (Harrington & Fleming 1982, as R survdiff),
// Fleming–Harrington(p, q), Gehan–Breslow and Tarone–Ware.
//
// At each event time t_i of a stratum, with weight w_i,
//   O_g = sum w_i d_gi,   E_g = sum w_i d_i n_gi / n_i,
//   V_gh = sum w_i^2 d_i (n_i - d_i) / (n_i - 1) (n_gi / n_i) (delta_gh - n_hi / n_i)  (n_i > 1),
// summed over strata. chi^2 = (O - E)' V^- (O - E) with R survdiff's generalised inverse:
// groups with E_g = 0 are removed, then the first remaining group; df = #{E_g > 0} - 1.
// As R does for rho != 0, observed and expected are the weighted sums.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/log_rank_table.hpp"
#include "rwe/stats/survival_data.hpp"

namespace rwe::stats {

enum class LogRankWeight {
    log_rank,            // w = 1
    peto_peto,           // w = S(t-)  (R survdiff rho = 1)
    gehan_breslow,       // w = n_i
    tarone_ware,         // w = sqrt(n_i)
    fleming_harrington,  // w = S(t-)^p (1 - S(t-))^q; G-rho is FH(rho, 0)
};

struct LogRankOptions {
    LogRankWeight weight = LogRankWeight::log_rank;
    double fh_p = 0;  // fleming_harrington only; >= 0
    double fh_q = 0;  // fleming_harrington only; >= 0
};

// S(t-) is the pooled Kaplan–Meier of the stratum (all compared groups), left continuous.
struct LogRankGroup {
    std::string name;
    std::size_t n = 0;     // rows
    double events = 0;     // number of events (weighted by case weights, not by w_i)
    double observed = 0;   // O_g
    double expected = 0;   // E_g
};

struct LogRank {
    LogRankOptions options;
    std::string method;  // readable name, e.g. "Fleming-Harrington(1, 1)"
    std::vector<LogRankGroup> groups;
    std::vector<std::vector<double>> variance;  // V, k x k
    std::vector<std::string> strata;            // stratum names; one empty name when unstratified
    std::vector<std::size_t> stratum_n;
    std::vector<std::vector<double>> observed_by_stratum;  // [group][stratum]
    std::vector<std::vector<double>> expected_by_stratum;  // [group][stratum]
    double chisq = 0;
    std::size_t df = 0;
    double p = 0;            // NaN when no test is possible (df = 0)
    std::size_t n_used = 0;  // rows analysed
    std::size_t dropped = 0; // rows left out before the analysis (missing values)
    std::vector<std::string> diagnostics;
};

// A readable name for the weight ("log-rank", "Peto-Peto", "Fleming-Harrington(p, q)", ...).
std::string log_rank_method_name(const LogRankOptions& options);

// Throws UsageError when fh_p or fh_q is negative or not finite.
void validate_log_rank_options(const LogRankOptions& options);

LogRank log_rank_test(const GroupRiskTable& table, const LogRankOptions& options = {});
LogRank log_rank_test(const SurvivalData& data, const LogRankOptions& options = {});

// ---- building blocks shared with the trend test and the pairwise comparisons ----

// O, E and V over a chosen subset of groups (indices into the table, ascending): the pooled
// Kaplan–Meier and the risk sets use only the rows of those groups.
struct LogRankSums {
    std::vector<std::size_t> groups;                    // the subset
    std::vector<double> observed, expected;             // per group of the subset
    std::vector<std::vector<double>> variance;          // subset x subset
    std::vector<std::vector<double>> observed_by_stratum, expected_by_stratum;  // [g][s]
};
LogRankSums log_rank_sums(const GroupRiskTable& table, const std::vector<std::size_t>& groups,
                          const LogRankOptions& options);

// survdiff's chi-square: drop groups with E <= 0, then the first remaining; solve. A singular
// reduced V gives NaN with a diagnostic in `message`.
struct LogRankChiSquare {
    double chisq = 0;
    std::size_t df = 0;
    double p = 0;
    std::string message;  // empty when the test is well defined
};
LogRankChiSquare log_rank_chi_square(const LogRankSums& sums);

}  // namespace rwe::stats
