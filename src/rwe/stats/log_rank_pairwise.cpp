#include "rwe/stats/log_rank_pairwise.hpp"

namespace rwe::stats {

PairwiseLogRank pairwise_log_rank(const GroupRiskTable& table, const LogRankOptions& options,
                                  PAdjustMethod adjust) {
    validate_log_rank_options(options);
    PairwiseLogRank result;
    result.options = options;
    result.adjust = adjust;
    std::vector<double> p;
    for (std::size_t first = 0; first < table.groups; ++first) {
        for (std::size_t second = first + 1; second < table.groups; ++second) {
            const LogRankSums sums = log_rank_sums(table, {first, second}, options);
            const LogRankChiSquare chi = log_rank_chi_square(sums);
            LogRankComparison comparison;
            comparison.group1 = table.group_names[first];
            comparison.group2 = table.group_names[second];
            comparison.observed1 = sums.observed[0];
            comparison.expected1 = sums.expected[0];
            comparison.observed2 = sums.observed[1];
            comparison.expected2 = sums.expected[1];
            comparison.chisq = chi.chisq;
            comparison.df = chi.df;
            comparison.p = chi.p;
            if (!chi.message.empty()) {
                result.diagnostics.push_back(comparison.group1 + " vs " + comparison.group2 +
                                             ": " + chi.message);
            }
            result.comparisons.push_back(comparison);
            p.push_back(chi.p);
        }
    }
    const std::vector<double> adjusted = p_adjust(p, adjust);
    for (std::size_t i = 0; i < adjusted.size(); ++i) result.comparisons[i].p_adjusted = adjusted[i];
    return result;
}

}  // namespace rwe::stats
