// Newton–Raphson at the edge of convergence: fits whose iteration count, or whose column
// dropped by the Cholesky, depends on following R's routines step by step (their scaling of
// the covariates, step halving and stopping rules; docs/methods.md §4.3). Each case is a
// dataset the differential test against R found (tests/r_diff, §6), with R's call and
// values (R 4.x, survival 3.5-3) pasted beside it.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "rwe/stats/cox_regression.hpp"

using rwe::stats::CoxData;
using rwe::stats::CoxDiagnostic;
using rwe::stats::CoxOptions;
using rwe::stats::CoxTies;

namespace {

CoxData two_covariates(std::vector<double> time, std::vector<double> status, const std::vector<double>& x1,
                       const std::vector<double>& x2) {
    CoxData data;
    data.stop = std::move(time);
    data.event = std::move(status);
    data.names = {"x1", "x2"};
    for (std::size_t i = 0; i < x1.size(); ++i) {
        data.x.push_back(x1[i]);
        data.x.push_back(x2[i]);
    }
    return data;
}

bool says_may_be_infinite(const rwe::stats::CoxRegression& fit) {
    for (const auto& d : fit.diagnostics) {
        if (d.message.find("may be infinite") != std::string::npos) return true;
    }
    return false;
}

}  // namespace

// r_diff seed 1, dataset 4404. x2 is 0/1, which coxph leaves uncentred and unscaled
// (nocenter = c(-1, 0, 1)), while x1 is centred and scaled; both coefficients diverge, and
// at iteration 19 the Cholesky drops x2 (its pivot falls below the tolerance, relative to
// the largest diagonal on R's scale), the step is then ~0 and the loglik "converges":
//   a <- data.frame(time = c(2, 1, 2), status = c(1, 1, 1), x1 = c(-0.264, -0.234, 0.781),
//                   x2 = c(1, 1, 0))
//   f <- coxph(Surv(time, status) ~ x1 + x2, data = a, ties = "efron")
//   f$iter        19 (no warning)
//   coef(f)       671.71106114246015 NA
//   f$loglik      -1.791759469228055 -0.69314718410333853
//   f$score       1.9999999999987992
// Centred (rather than scaled) covariates ran out of iterations instead (21). The value of
// x1 is the sum of 18 steps whose last ones are rounding of a vanishing score, so it is
// compared to 1e-5; rwe notes that the coefficients may be infinite (§6: not compared).
TEST(CoxConvergence, ZeroOneCovariateOnRsScaleDropsAtTheSameIteration) {
    const CoxData data = two_covariates({2, 1, 2}, {1, 1, 1}, {-0.264, -0.234, 0.781}, {1, 1, 0});
    const auto fit = rwe::stats::cox_regression(data);
    EXPECT_EQ(fit.iterations, 19);
    EXPECT_TRUE(fit.converged);
    EXPECT_NEAR(fit.coef[0], 671.71106114246015, 1e-5 * 671.7);
    EXPECT_TRUE(std::isnan(fit.coef[1]));
    EXPECT_TRUE(fit.singular[1]);
    EXPECT_NEAR(fit.loglik_null, -1.791759469228055, 1e-12);
    EXPECT_NEAR(fit.loglik_final, -0.69314718410333853, 1e-9);
    EXPECT_NEAR(fit.score.chisq, 1.9999999999987992, 1e-9);
    EXPECT_TRUE(says_may_be_infinite(fit));
}

// r_diff seed 1, dataset 3082: exact ties, strata, a monotone likelihood. R's coxexact
// halves a failed step (to the midpoint, never progressively), does not stop in the midst
// of halving, and counts iter.max when the iterations run out:
//   b <- data.frame(time = c(3,3,3,5,3,2,1,3,2), status = rep(1, 9),
//                   s = c("s2","s1","s2","s1","s2","s1","s1","s2","s1"),
//                   x1 = c(-0.454,-0.169,1.059,-0.013,0.336,1.437,-1.474,-0.275,0.161),
//                   x2 = c(1,1,0,1,1,0,1,1,0))
//   f <- coxph(Surv(time, status) ~ x1 + x2 + strata(s), data = b, ties = "exact")
//   warning: Ran out of iterations and did not converge
//   f$iter        20
//   f$loglik[1]   -4.0943445622221004
//   f$score       2.9391007381265428
// (Every row of stratum s2's time 3 dies: that term of the exact likelihood is 1; rwe once
// lost it to underflow and reported a positive log partial likelihood, then "converged".)
TEST(CoxConvergence, ExactTiesRunOutOfIterationsAsR) {
    CoxData data = two_covariates({3, 3, 3, 5, 3, 2, 1, 3, 2}, {1, 1, 1, 1, 1, 1, 1, 1, 1},
                                  {-0.454, -0.169, 1.059, -0.013, 0.336, 1.437, -1.474, -0.275, 0.161},
                                  {1, 1, 0, 1, 1, 0, 1, 1, 0});
    data.stratum = {1, 0, 1, 0, 1, 0, 0, 1, 0};
    CoxOptions options;
    options.ties = CoxTies::exact;
    const auto fit = rwe::stats::cox_regression(data, options);
    EXPECT_EQ(fit.iterations, 20);
    EXPECT_FALSE(fit.converged);
    EXPECT_NEAR(fit.loglik_null, -4.0943445622221004, 1e-12);
    EXPECT_NEAR(fit.score.chisq, 2.9391007381265428, 1e-9);
    EXPECT_LE(fit.loglik_final, 0.0);  // a log probability
    EXPECT_GE(fit.loglik_final, fit.loglik_null);
}

// r_diff seed 7, dataset 382: (start, stop] data whose x2 diverges. At time 2 the two rows
// still in the sums (one with a risk of e^20) leave and the risk set is empty before the row
// of time 2 joins: R's agfit4 restarts its sums from zero there; subtracting instead left
// rounding of e^20 * 1e-16 in them, enough to move the loglik by 5e-8 and the iteration
// count from 19 to 20.
//   cc <- data.frame(t0 = c(2.9,0.48,0.87,0.19,0.76,2.21,0.04), time = c(4,2,1,1,1,3,1),
//                    status = c(0,1,0,1,1,1,1), x1 = c(0.032,-0.867,0.881,-0.062,-0.002,0.838,-1.1),
//                    x2 = c(0,0,0,0,0,1,0), id = c(3,3,1,2,3,3,2))
//   f <- coxph(Surv(t0, time, status) ~ x1 + x2, data = cc, ties = "efron", cluster = id)
//   warning: Loglik converged before variable 2; beta may be infinite.
//   f$iter        19
//   coef(f)       -0.39095056323187222 20.518000934589701
//   f$loglik      -4.7874917427820458 -3.976006675128307
//   f$score       1.2290353130338343
//   sqrt(diag(f$var))  0.64113636707896859 0.70842651828168313   (robust)
TEST(CoxConvergence, CountingProcessSumsRestartWhenTheRiskSetEmpties) {
    CoxData data = two_covariates({4, 2, 1, 1, 1, 3, 1}, {0, 1, 0, 1, 1, 1, 1},
                                  {0.032, -0.867, 0.881, -0.062, -0.002, 0.838, -1.1}, {0, 0, 0, 0, 0, 1, 0});
    data.start = {2.9, 0.48, 0.87, 0.19, 0.76, 2.21, 0.04};
    data.cluster = {3, 3, 1, 2, 3, 3, 2};
    const auto fit = rwe::stats::cox_regression(data);
    EXPECT_EQ(fit.iterations, 19);
    EXPECT_TRUE(fit.converged);
    EXPECT_NEAR(fit.coef[0], -0.39095056323187222, 1e-9);
    EXPECT_NEAR(fit.coef[1], 20.518000934589701, 1e-6 * 20.5);
    EXPECT_NEAR(fit.loglik_null, -4.7874917427820458, 1e-12);
    EXPECT_NEAR(fit.loglik_final, -3.976006675128307, 1e-12);
    EXPECT_NEAR(fit.score.chisq, 1.2290353130338343, 1e-9);
    EXPECT_NEAR(fit.robust_se[0], 0.64113636707896859, 1e-6 * 0.641);
    EXPECT_TRUE(says_may_be_infinite(fit));
}
