// Wilcoxon rank-sum and Kruskal–Wallis tests against R 4.2 (stats), each R call beside
// its expected values (docs/methods.md §3.7).
#include "rwe/stats/rank_sum_test.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rwe::stats {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

TEST(WilcoxonRankSum, ExactWithoutTies) {
    // x <- c(3.1, 5.2, 1.7, 8.4, 2.2); y <- c(4.5, 9.1, 7.7, 6.3, 10.2, 5.9)
    // wilcox.test(x, y): W = 5, p-value = 0.082251082251082255 (exact)
    const auto t = wilcoxon_rank_sum({3.1, 5.2, 1.7, 8.4, 2.2}, {4.5, 9.1, 7.7, 6.3, 10.2, 5.9});
    EXPECT_TRUE(t.exact);
    EXPECT_DOUBLE_EQ(t.statistic, 5);
    EXPECT_NEAR(t.p, 0.082251082251082255, 1e-15);
    // x3 <- c(1.5, 2.5); y3 <- c(0.5, 3.5, 4.5); wilcox.test(x3, y3): W = 2, p = 0.8
    // (the lower tail: W below its mean 3). By hand: of the C(5,2) = 10 choices, U ≤ 2 in
    // 4 (U = 0, 1, 2, 2), P(W ≤ 2) = 0.4, p = 0.8.
    const auto small = wilcoxon_rank_sum({1.5, 2.5}, {0.5, 3.5, 4.5});
    EXPECT_DOUBLE_EQ(small.statistic, 2);
    EXPECT_NEAR(small.p, 0.8, 1e-15);
}

TEST(WilcoxonRankSum, NormalApproximationWithTies) {
    // x2 <- c(1, 2, 2, 3, 5, 8); y2 <- c(2, 3, 4, 4, 9, 10, 11)
    // wilcox.test(x2, y2): W = 10.5, p-value = 0.14972798189545125 (ties: normal, correct = TRUE)
    const auto t = wilcoxon_rank_sum({1, 2, 2, 3, 5, 8}, {2, 3, 4, 4, 9, 10, 11});
    EXPECT_FALSE(t.exact);
    EXPECT_DOUBLE_EQ(t.statistic, 10.5);
    EXPECT_NEAR(t.p, 0.14972798189545125, 1e-14);
}

TEST(WilcoxonRankSum, NormalApproximationFromFiftyAndMissingLeftOut) {
    // set.seed(3); a <- round(rnorm(60, 50, 10)); b <- round(rnorm(55, 54, 10))
    // wilcox.test(a, b): W = 981, p-value = 0.00017993550523837199
    std::vector<double> a{40, 47, 53, 38, 52, 50, 51, 61, 38, 63, 43, 39, 43, 53, 52, 47, 40, 44, 62, 52,
                          44, 41, 48, 33, 45, 43, 62, 60, 49, 39, 59, 59, 57, 57, 46, 57, 63, 50, 40, 58,
                          58, 47, 67, 42, 53, 27, 48, 61, 45, 41, 57, 42, 53, 33, 36, 45, 40, 64, 59, 42};
    std::vector<double> b{60, 63, 57, 58, 66, 49, 50, 64, 41, 56, 54, 59, 64, 57, 56, 61, 66, 58, 44,
                          52, 71, 50, 61, 66, 62, 54, 56, 45, 58, 45, 45, 44, 47, 65, 50, 53, 49, 59,
                          63, 52, 60, 50, 65, 60, 64, 60, 56, 35, 47, 59, 49, 51, 50, 70, 47};
    a.push_back(nan);  // R: wilcox.test drops NA
    const auto t = wilcoxon_rank_sum(a, b);
    EXPECT_DOUBLE_EQ(t.statistic, 981);
    EXPECT_NEAR(t.p, 0.00017993550523837199, 1e-17);
}

TEST(WilcoxonRankSum, EmptyGroupOrConstantValues) {
    EXPECT_TRUE(std::isnan(wilcoxon_rank_sum({}, {1, 2}).p));
    const auto constant = wilcoxon_rank_sum(std::vector<double>(60, 3.0), std::vector<double>(60, 3.0));
    EXPECT_TRUE(std::isnan(constant.p));
    EXPECT_FALSE(constant.messages.empty());
}

TEST(KruskalWallis, ThreeGroups) {
    // kruskal.test(list(c(2.9, 3.0, 2.5, 2.6, 3.2), c(3.8, 2.7, 4.0, 2.4), c(2.8, 3.4, 3.7, 2.2, 2.0)))
    // Kruskal-Wallis chi-squared = 0.77142857142857224, df = 2, p-value = 0.67996477357889362
    const auto t = kruskal_wallis({{2.9, 3.0, 2.5, 2.6, 3.2}, {3.8, 2.7, 4.0, 2.4}, {2.8, 3.4, 3.7, 2.2, 2.0}});
    EXPECT_NEAR(t.statistic, 0.77142857142857224, 1e-13);
    EXPECT_DOUBLE_EQ(t.df, 2);
    EXPECT_NEAR(t.p, 0.67996477357889362, 1e-13);
}

TEST(KruskalWallis, TiesCorrected) {
    // kruskal.test(list(c(1, 2, 2, 3, 5, 8), c(2, 3, 4, 4, 9, 10, 11), c(2, 2, 7)))
    // Kruskal-Wallis chi-squared = 2.964882761615288, df = 2, p-value = 0.22708261594759407
    const auto t = kruskal_wallis({{1, 2, 2, 3, 5, 8}, {2, 3, 4, 4, 9, 10, 11}, {2, 2, 7}});
    EXPECT_NEAR(t.statistic, 2.964882761615288, 1e-13);
    EXPECT_NEAR(t.p, 0.22708261594759407, 1e-13);
}

}  // namespace
}  // namespace rwe::stats
