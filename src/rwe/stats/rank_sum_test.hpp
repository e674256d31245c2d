#pragma once
// Rank tests of a numeric variable between groups (docs/methods.md §3.7), as R computes
// them:
// - Wilcoxon rank-sum (Mann–Whitney) for two groups, R's `wilcox.test(x, y)` defaults:
//   W = (sum of the ranks of x) − n_x(n_x + 1)/2 with mid-ranks for ties; the exact
//   distribution of W when n_x < 50, n_y < 50 and there are no ties, two-sided
//   p = min(1, 2 · min(P(W ≤ w), P(W ≥ w))); otherwise the normal approximation with the
//   tie-corrected variance n_x n_y/12 · (N + 1 − Σ(t³ − t)/(N(N − 1))) and a continuity
//   correction of 0.5 towards the mean.
// - Kruskal–Wallis for two or more groups, R's `kruskal.test`: H = (12/(N(N + 1)) ·
//   Σ R_i²/n_i − 3(N + 1)) / (1 − Σ(t³ − t)/(N³ − N)), p = P(χ²_{k−1} ≥ H).
// Missing values (NaN) are left out. Fewer than two values in all, or a group without
// values, give p = NaN with a message.

#include <string>
#include <vector>

namespace rwe::stats {

struct RankSumTest {
    double statistic = 0;  // W (Wilcoxon) or H (Kruskal–Wallis)
    double df = 0;         // Kruskal–Wallis: groups − 1
    double p = 0;
    bool exact = false;    // Wilcoxon: the exact distribution was used
    std::string method;    // "Wilcoxon rank-sum test (exact)", "... (normal approximation, continuity correction)", "Kruskal-Wallis test"
    std::vector<std::string> messages;
};

RankSumTest wilcoxon_rank_sum(const std::vector<double>& x, const std::vector<double>& y);

RankSumTest kruskal_wallis(const std::vector<std::vector<double>>& groups);

}  // namespace rwe::stats
