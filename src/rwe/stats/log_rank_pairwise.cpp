#include "rwe/stats/log_rank_pairwise.hpp"

#include <functional>

#include "rwe/stats/log_rank_table.hpp"

namespace rwe::stats {

namespace {

// The comparisons of every pair (first < second), the sums of a pair from `pair_sums`.
PairwiseLogRank compare_pairs(const std::vector<std::string>& group_names, const LogRankOptions& options,
                              PAdjustMethod adjust,
                              const std::function<LogRankSums(std::size_t, std::size_t)>& pair_sums) {
    validate_log_rank_options(options);
    PairwiseLogRank result;
    result.options = options;
    result.adjust = adjust;
    std::vector<double> p;
    const std::size_t groups = group_names.size();
    for (std::size_t first = 0; first < groups; ++first) {
        for (std::size_t second = first + 1; second < groups; ++second) {
            const LogRankSums sums = pair_sums(first, second);
            const LogRankChiSquare chi = log_rank_chi_square(sums);
            LogRankComparison comparison;
            comparison.group1 = group_names[first];
            comparison.group2 = group_names[second];
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

}  // namespace

PairwiseLogRank pairwise_log_rank(const GroupRiskTable& table, const LogRankOptions& options,
                                  PAdjustMethod adjust) {
    return compare_pairs(table.group_names, options, adjust, [&](std::size_t first, std::size_t second) {
        return log_rank_sums(table, {first, second}, options);
    });
}

PairwiseLogRank pairwise_log_rank(const SurvivalData& unmerged, const LogRankOptions& options,
                                  PAdjustMethod adjust) {
    std::vector<std::string> names = unmerged.group_names;
    if (unmerged.group.empty()) names.assign(1, "");
    return compare_pairs(names, options, adjust, [&](std::size_t first, std::size_t second) {
        SurvivalData pair;
        pair.group_names = {names[first], names[second]};
        pair.stratum_names = unmerged.stratum_names;
        for (std::size_t row = 0; row < unmerged.size(); ++row) {
            const auto code = static_cast<std::size_t>(unmerged.group[row]);
            if (code != first && code != second) continue;
            pair.time.push_back(unmerged.time[row]);
            pair.event.push_back(unmerged.event[row]);
            if (unmerged.weighted()) pair.weight.push_back(unmerged.weight[row]);
            pair.group.push_back(code == first ? 0 : 1);
            if (!unmerged.stratum.empty()) pair.stratum.push_back(unmerged.stratum[row]);
        }
        merge_survival_times(pair);
        return log_rank_sums(group_risk_table(pair), {0, 1}, options);
    });
}

}  // namespace rwe::stats
