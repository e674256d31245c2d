// Near-equal times are merged as R survival's aeqSurv does (docs/methods.md §1.1).
#include <gtest/gtest.h>

#include "rwe/stats/time_fix.hpp"

TEST(TimeFix, IntegerTimesUnchanged) {
    std::vector<double> t{5, 3, 3, 8, 1};
    EXPECT_EQ(rwe::stats::merge_near_equal_times(t), 0u);
    EXPECT_EQ(t, (std::vector<double>{5, 3, 3, 8, 1}));
}

TEST(TimeFix, FloatingPointNeighboursMergeToTheFirstOfTheRun) {
    // 0.1 + 0.2 and 0.3 differ in the last bit; in R:
    //   aeqSurv(Surv(c(0.3, 0.1 + 0.2, 0.5), c(1, 1, 1)))[, 1] gives 0.3 0.3 0.5
    std::vector<double> t{0.3, 0.1 + 0.2, 0.5};
    ASSERT_NE(t[0], t[1]);
    EXPECT_EQ(rwe::stats::merge_near_equal_times(t), 1u);
    EXPECT_EQ(t[1], 0.3);
    EXPECT_EQ(t[2], 0.5);
}

TEST(TimeFix, StartAndStopShareOneScale) {
    std::vector<double> start{0, 1.0 + 1e-12};
    std::vector<double> stop{1.0, 2.0};
    rwe::stats::merge_near_equal_times({std::span<double>(start), std::span<double>(stop)});
    EXPECT_EQ(start[1], 1.0);
}
