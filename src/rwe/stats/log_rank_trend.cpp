#include "rwe/stats/log_rank_trend.hpp"

#include <boost/math/distributions/chi_squared.hpp>

#include <cmath>
#include <limits>

#include "rwe/common/error.hpp"

namespace rwe::stats {

LogRankTrend log_rank_trend(const LogRank& test, std::vector<double> scores) {
    const std::size_t k = test.groups.size();
    if (scores.empty()) {
        for (std::size_t g = 0; g < k; ++g) scores.push_back(static_cast<double>(g + 1));
    }
    if (scores.size() != k) {
        throw UsageError("trend scores: " + std::to_string(scores.size()) + " given for " +
                         std::to_string(k) + " groups");
    }
    for (double score : scores) {
        if (!std::isfinite(score)) throw UsageError("trend scores must be finite numbers");
    }
    LogRankTrend trend;
    trend.scores = scores;
    for (std::size_t g = 0; g < k; ++g) {
        trend.statistic += scores[g] * (test.groups[g].observed - test.groups[g].expected);
        for (std::size_t h = 0; h < k; ++h) {
            trend.variance += scores[g] * test.variance[g][h] * scores[h];
        }
    }
    if (!(trend.variance > 0)) {
        constexpr double nan = std::numeric_limits<double>::quiet_NaN();
        trend.z = trend.chisq = trend.p = nan;
        trend.diagnostics.push_back(
            "the trend statistic has no variance (equal scores, or fewer than two groups with "
            "subjects at risk at event times): no test");
        return trend;
    }
    trend.z = trend.statistic / std::sqrt(trend.variance);
    trend.chisq = trend.statistic * trend.statistic / trend.variance;
    const boost::math::chi_squared distribution(1.0);
    trend.p = boost::math::cdf(boost::math::complement(distribution, trend.chisq));
    return trend;
}

}  // namespace rwe::stats
