#include "rwe/stats/rank_sum_test.hpp"

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace rwe::stats {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct Ranked {
    std::vector<double> rank;  // per value, in the order given (mid-ranks for ties)
    double ties = 0;           // Σ (t³ − t) over groups of tied values
};

Ranked mid_ranks(const std::vector<double>& values) {
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
    Ranked out;
    out.rank.assign(values.size(), 0);
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j + 1 < order.size() && values[order[j + 1]] == values[order[i]]) ++j;
        const double rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;  // ranks i+1 … j+1
        for (std::size_t k = i; k <= j; ++k) out.rank[order[k]] = rank;
        const double t = static_cast<double>(j - i + 1);
        out.ties += t * t * t - t;
        i = j + 1;
    }
    return out;
}

std::vector<double> present(const std::vector<double>& values) {
    std::vector<double> out;
    for (double v : values) {
        if (!std::isnan(v)) out.push_back(v);
    }
    return out;
}

// Number of ways, for each u = 0 … m·n, that m of the ranks 1 … m + n have a rank sum of
// u + m(m + 1)/2 (the null distribution of W without ties), as counts in doubles.
std::vector<double> wilcoxon_counts(std::size_t m, std::size_t n) {
    const std::size_t max_u = m * n;
    // ways[j][u]: choosing j of the ranks seen so far with U-contribution u; U of a choice
    // = Σ (rank − position among the chosen) over the chosen ranks.
    std::vector<std::vector<double>> ways(m + 1, std::vector<double>(max_u + 1, 0));
    ways[0][0] = 1;
    for (std::size_t r = 1; r <= m + n; ++r) {
        for (std::size_t j = std::min(m, r); j >= 1; --j) {
            // Choosing rank r as the j-th chosen adds r − j to U (the unchosen below it).
            const std::size_t add = r - j;
            if (add > n) continue;
            for (std::size_t u = max_u; u + 1 > add; --u) ways[j][u] += ways[j - 1][u - add];
        }
    }
    return ways[m];
}

}  // namespace

RankSumTest wilcoxon_rank_sum(const std::vector<double>& x_in, const std::vector<double>& y_in) {
    RankSumTest out;
    out.method = "Wilcoxon rank-sum test";
    const std::vector<double> x = present(x_in), y = present(y_in);
    if (x.empty() || y.empty()) {
        out.statistic = out.p = nan;
        out.messages.push_back("a group has no values");
        return out;
    }
    std::vector<double> all = x;
    all.insert(all.end(), y.begin(), y.end());
    const Ranked ranked = mid_ranks(all);
    const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
    double rank_sum = 0;
    for (std::size_t i = 0; i < x.size(); ++i) rank_sum += ranked.rank[i];
    const double w = rank_sum - nx * (nx + 1) / 2;
    out.statistic = w;
    if (x.size() < 50 && y.size() < 50 && ranked.ties == 0) {
        out.exact = true;
        out.method += " (exact)";
        const std::vector<double> counts = wilcoxon_counts(x.size(), y.size());
        const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
        const auto k = static_cast<std::size_t>(std::llround(w));
        // As R: the tail away from the centre, doubled.
        double tail = 0;
        if (w > nx * ny / 2) {
            for (std::size_t u = k; u < counts.size(); ++u) tail += counts[u];
        } else {
            for (std::size_t u = 0; u <= k; ++u) tail += counts[u];
        }
        out.p = std::min(1.0, 2 * tail / total);
        return out;
    }
    out.method += " (normal approximation, continuity correction)";
    const double n = nx + ny;
    const double z0 = w - nx * ny / 2;
    const double sigma = std::sqrt(nx * ny / 12 * ((n + 1) - ranked.ties / (n * (n - 1))));
    if (!(sigma > 0)) {
        out.p = nan;
        out.messages.push_back("every value is the same");
        return out;
    }
    const double correction = z0 > 0 ? 0.5 : (z0 < 0 ? -0.5 : 0.0);
    const double z = (z0 - correction) / sigma;
    const boost::math::normal_distribution<double> normal;
    out.p = std::min(1.0, 2 * std::min(boost::math::cdf(normal, z), boost::math::cdf(boost::math::complement(normal, z))));
    return out;
}

RankSumTest kruskal_wallis(const std::vector<std::vector<double>>& groups_in) {
    RankSumTest out;
    out.method = "Kruskal-Wallis test";
    std::vector<std::vector<double>> groups;
    for (const auto& g : groups_in) groups.push_back(present(g));
    std::vector<double> all;
    for (const auto& g : groups) {
        if (g.empty()) {
            out.statistic = out.p = nan;
            out.messages.push_back("a group has no values");
            return out;
        }
        all.insert(all.end(), g.begin(), g.end());
    }
    out.df = static_cast<double>(groups.size()) - 1;
    if (groups.size() < 2) {
        out.statistic = out.p = nan;
        out.messages.push_back("fewer than two groups");
        return out;
    }
    const Ranked ranked = mid_ranks(all);
    const double n = static_cast<double>(all.size());
    double sum = 0;
    std::size_t at = 0;
    for (const auto& g : groups) {
        double r = 0;
        for (std::size_t i = 0; i < g.size(); ++i) r += ranked.rank[at + i];
        at += g.size();
        sum += r * r / static_cast<double>(g.size());
    }
    const double denominator = 1 - ranked.ties / (n * n * n - n);
    if (!(denominator > 0)) {
        out.statistic = out.p = nan;
        out.messages.push_back("every value is the same");
        return out;
    }
    out.statistic = (12 / (n * (n + 1)) * sum - 3 * (n + 1)) / denominator;
    const boost::math::chi_squared_distribution<double> chi(out.df);
    out.p = boost::math::cdf(boost::math::complement(chi, std::max(0.0, out.statistic)));
    return out;
}

}  // namespace rwe::stats
