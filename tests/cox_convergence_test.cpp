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

// r_diff seed 1, dataset 3050: (start, stop] data, Breslow, x2 diverges (its only informative
// event time has one row with x2 = 0 and one with x2 = 1). When the x2 = 0 row leaves the
// sums (time 2.55), subtracting its risk of ~1 leaves rounding of ~1e-16 beside a remaining
// risk of e^beta2 ~ 1e-8, and from beta2 ~ -14 on the Newton steps are made of that rounding:
// the count follows R only when the sums are formed in agfit4's order and arithmetic (rows
// in by descending stop, out by descending start, the deaths' sums added at their time,
// (C - a a'/D) / D, exp() per row). Formed otherwise, rwe's step 18 raised the loglik and it
// stopped at 19; R's lowered it, and R halved until its limit:
//   d <- data.frame(t0 = c(0, 8.1, 0.79, 4.82, 0, 0.17, 0.24, 0, 0),
//                   time = c(1.03, 9.32, 1.41, 6.72, 1.51, 0.34, 0.4, 10.73, 2.55),
//                   status = c(0, 1, 0, 1, 1, 0, 0, 0, 1),
//                   x1 = c(0.36, -1.087, 0.291, -1.013, -0.608, -0.381, 1.02, -0.237, 3.099),
//                   x2 = c(1, 1, 1, 0, 1, 1, 0, 1, 1))
//   f <- coxph(Surv(t0, time, status) ~ x1 + x2, data = d, ties = "breslow")
//   warning: Ran out of iterations and did not converge
//   f$iter        20
//   coef(f)       -0.020382320108206623 -18.060254100634118   (the beta of iteration 17:
//                 the last trial was worse by more than eps, so agfit4 returns the last good)
//   f$loglik      -3.1780538303479453 -2.4837235035874237
//   f$score       1.0023571029213574
//   sqrt(diag(f$var))  0.41989636134890967 11364.581049030157
TEST(CoxConvergence, CountingProcessBreslowRunsOutAsAgfit4) {
    CoxData data = two_covariates({1.03, 9.32, 1.41, 6.72, 1.51, 0.34, 0.4, 10.73, 2.55}, {0, 1, 0, 1, 1, 0, 0, 0, 1},
                                  {0.36, -1.087, 0.291, -1.013, -0.608, -0.381, 1.02, -0.237, 3.099},
                                  {1, 1, 1, 0, 1, 1, 0, 1, 1});
    data.start = {0, 8.1, 0.79, 4.82, 0, 0.17, 0.24, 0, 0};
    CoxOptions options;
    options.ties = CoxTies::breslow;
    const auto fit = rwe::stats::cox_regression(data, options);
    EXPECT_EQ(fit.iterations, 20);
    EXPECT_FALSE(fit.converged);
    // the path of rounding is R's: iteration 17's beta, not a neighbour of it
    EXPECT_NEAR(fit.coef[0], -0.020382320108206623, 1e-9);
    EXPECT_NEAR(fit.coef[1], -18.060254100634118, 1e-8 * 18.06);
    EXPECT_NEAR(fit.loglik_null, -3.1780538303479453, 1e-12);
    EXPECT_NEAR(fit.loglik_final, -2.4837235035874237, 1e-12);
    EXPECT_NEAR(fit.score.chisq, 1.0023571029213574, 1e-9);
    EXPECT_NEAR(fit.se[0], 0.41989636134890967, 1e-6 * 0.42);
    EXPECT_NEAR(fit.se[1], 11364.581049030157, 1e-6 * 11364.6);
}

// r_diff seed 7, dataset 499: exact ties, three rows whose near-equal times merge into one
// (aeqSurv), two deaths among the three. Both coefficients diverge; by iteration 5 every row's
// linear predictor is below -420, and R's coxexact, which forms exp(eta) without a shift,
// gets products of two risks below the smallest double (0): its log-likelihood is infinite,
// it halves, and it then "converges" on sums of subnormal numbers, at a log partial
// likelihood above 0 (impossible: the term is the log of a probability) with both columns
// dropped. rwe takes the risks relative to the largest linear predictor and does not follow
// R there (docs/methods.md §6); it runs out of iterations with the loglik still rising to 0.
//   d <- data.frame(time = c(7.100000000007101, 7.0999999929, 7.1), status = c(1, 1, 0),
//                   x1 = c(0.037, 1.022, 0.048), f = c("mid", "lo", "mid"))
//   f <- coxph(Surv(time, status) ~ x1 + f, data = d, ties = "exact")
//   f$iter        9 (no warning)
//   coef(f)       NA NA
//   f$loglik      -1.0986122886681098 0.080160776620687102
//   f$score       1.9999999999901803
TEST(CoxConvergence, ExactTiesDoNotFollowRsUnderflow) {
    const CoxData data = two_covariates({7.100000000007101, 7.0999999929, 7.1}, {1, 1, 0}, {0.037, 1.022, 0.048},
                                        {1, 0, 1});
    CoxOptions options;
    options.ties = CoxTies::exact;
    const auto fit = rwe::stats::cox_regression(data, options);
    EXPECT_EQ(fit.times_merged, 2u);
    EXPECT_NEAR(fit.loglik_null, -1.0986122886681098, 1e-12);
    EXPECT_NEAR(fit.score.chisq, 1.9999999999901803, 1e-9);
    // not R's 0.0802: a log probability, rising towards 0 as the coefficients diverge
    EXPECT_LE(fit.loglik_final, 0.0);
    EXPECT_GT(fit.loglik_final, -1e-6);
    EXPECT_EQ(fit.iterations, 20);
    EXPECT_FALSE(fit.converged);
    EXPECT_FALSE(fit.singular[0]);
    EXPECT_FALSE(fit.singular[1]);
    EXPECT_TRUE(says_may_be_infinite(fit));
}
