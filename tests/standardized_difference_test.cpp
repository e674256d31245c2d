// Standardized differences of a baseline table (docs/methods.md §3.8). Expected values
// from R 4.2 with the definitions of Yang & Dalton (2012), written out in base R:
//   smdc <- function(c1, c2) { keep <- (c1 + c2) > 0; c1 <- c1[keep]; c2 <- c2[keep]
//     p1 <- (c1/sum(c1))[-1]; p2 <- (c2/sum(c2))[-1]; d <- p1 - p2
//     S <- ((diag(p1, length(p1)) - outer(p1, p1)) + (diag(p2, length(p2)) - outer(p2, p2)))/2
//     sqrt(drop(t(d) %*% solve(S) %*% d)) }
#include "rwe/stats/standardized_difference.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace rwe::stats {
namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

TEST(StandardizedDifference, NumericPooledSd) {
    // x1 <- c(55, 61, 47, 70, 38, NA); x2 <- c(50, 44, 66, 59, 41, 52, 48)
    // abs(mean(x1, na.rm = TRUE) - mean(x2)) / sqrt((var(x1, na.rm = TRUE) + var(x2)) / 2)
    //   = 0.25995655551180752
    EXPECT_NEAR(standardized_difference_numeric({55, 61, 47, 70, 38, nan}, {50, 44, 66, 59, 41, 52, 48}),
                0.25995655551180752, 1e-15);
    EXPECT_EQ(standardized_difference_numeric({3, 3, 3}, {3, 3}), 0.0);
    EXPECT_TRUE(std::isnan(standardized_difference_numeric({}, {1, 2})));
}

TEST(StandardizedDifference, BinaryAndMultiLevel) {
    // smdc(c(131, 174), c(141, 154)) = 0.097448810598568358 (two levels: the closed form)
    EXPECT_NEAR(standardized_difference_categorical({131, 174}, {141, 154}), 0.097448810598568358, 1e-15);
    const double p1 = 174.0 / 305, p2 = 154.0 / 295;
    EXPECT_NEAR(standardized_difference_categorical({131, 174}, {141, 154}),
                std::fabs(p1 - p2) / std::sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / 2), 1e-15);
    // smdc(c(134, 159, 12), c(140, 143, 12)) = 0.073662927814749271
    EXPECT_NEAR(standardized_difference_categorical({134, 159, 12}, {140, 143, 12}), 0.073662927814749271, 1e-14);
    // A level neither group has is left out: smdc(c(10, 0, 5, 3), c(4, 0, 9, 8)) = 0.83141630850139137
    EXPECT_NEAR(standardized_difference_categorical({10, 0, 5, 3}, {4, 0, 9, 8}), 0.83141630850139137, 1e-14);
    EXPECT_EQ(standardized_difference_categorical({7, 0}, {5, 0}), 0.0);
}

}  // namespace
}  // namespace rwe::stats
