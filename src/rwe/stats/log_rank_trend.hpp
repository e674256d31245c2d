#pragma once
// Test for trend over ordered groups (docs/methods.md §2.5; Collett 2015 §2.7; SAS PROC
// LIFETEST TREND): with scores s_g, U = sum_g s_g (O_g - E_g) and Var(U) = s' V s, using O, E
// and V of the chosen weighted log-rank test (summed over strata), chi^2 = U^2 / s'Vs on 1 df.

#include <string>
#include <vector>

#include "rwe/stats/log_rank.hpp"

namespace rwe::stats {

struct LogRankTrend {
    std::vector<double> scores;  // one per group, in group order
    double statistic = 0;        // U
    double variance = 0;         // s' V s
    double z = 0;                // U / sqrt(s'Vs): > 0 when higher scores have more events than expected
    double chisq = 0;
    std::size_t df = 1;
    double p = 0;
    std::vector<std::string> diagnostics;
};

// Scores default to 1, 2, ..., k in group order. Throws UsageError when the number of scores
// differs from the number of groups or a score is not finite.
LogRankTrend log_rank_trend(const LogRank& test, std::vector<double> scores = {});

}  // namespace rwe::stats
