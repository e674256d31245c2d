#pragma once
// Pairwise comparisons between all pairs of groups (docs/methods.md §2.6): for each pair the
// chosen weighted log-rank test is run on the rows of those two groups only (risk sets and
// pooled Kaplan–Meier weights from the pair, strata kept), as R's survdiff on the subset.
// p-values are adjusted over the pairs by Holm or Benjamini–Hochberg (R p.adjust).

#include <string>
#include <vector>

#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/multiple_comparisons.hpp"

namespace rwe::stats {

struct LogRankComparison {
    std::string group1, group2;
    double observed1 = 0, expected1 = 0;  // O and E of group1 within the pair
    double observed2 = 0, expected2 = 0;
    double chisq = 0;
    std::size_t df = 0;
    double p = 0;           // NaN when the pair cannot be tested
    double p_adjusted = 0;  // NaN likewise; adjusted over the pairs that have a p
};

struct PairwiseLogRank {
    LogRankOptions options;
    PAdjustMethod adjust = PAdjustMethod::holm;
    std::vector<LogRankComparison> comparisons;  // (1,2), (1,3), ..., (k-1,k)
    std::vector<std::string> diagnostics;
};

// On a table built from all groups together: times merged over all groups (R's timefix on
// the whole data).
PairwiseLogRank pairwise_log_rank(const GroupRiskTable& table, const LogRankOptions& options,
                                  PAdjustMethod adjust);

// On data whose near-equal times are not merged yet: each pair's rows are merged on their own
// (merge_survival_times), exactly as survdiff(..., subset = group %in% c(a, b)) does.
PairwiseLogRank pairwise_log_rank(const SurvivalData& unmerged, const LogRankOptions& options,
                                  PAdjustMethod adjust);

}  // namespace rwe::stats
