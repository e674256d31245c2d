// Cox regression with exact ties (R's ties = "exact"; docs/methods.md §4.1).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/stats/cox_regression.hpp"

using rwe::stats::CoxData;
using rwe::stats::CoxOptions;
using rwe::stats::CoxTies;

namespace {

// R 4.x, survival 3.5:
//   d <- data.frame(start = c(0,1,2,0,3,1,4,0,0,2,1,0), stop = c(3,4,5,2,6,3,7,5,3,5,6,3),
//                   status = c(1,0,1,0,1,1,0,1,1,1,1,1),
//                   x1 = c(1.2,.3,-.5,2.1,.7,-1.1,.4,1.5,-.2,.9,-.8,.1), x2 = c(1,0,1,1,0,0,1,0,1,0,0,1),
//                   s = c(1,1,1,1,1,1,2,2,2,2,2,2))
//   f <- coxph(<formula>, d, ties = "exact"); c(coef(f), sqrt(diag(f$var)), f$loglik, f$score, f$iter)
CoxData example(bool counting, bool stratified) {
    CoxData data;
    data.stop = {3, 4, 5, 2, 6, 3, 7, 5, 3, 5, 6, 3};
    data.event = {1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1};
    if (counting) data.start = {0, 1, 2, 0, 3, 1, 4, 0, 0, 2, 1, 0};
    if (stratified) data.stratum = {0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    const std::vector<double> x1{1.2, 0.3, -0.5, 2.1, 0.7, -1.1, 0.4, 1.5, -0.2, 0.9, -0.8, 0.1};
    const std::vector<double> x2{1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1};
    data.names = {"x1", "x2"};
    for (std::size_t i = 0; i < x1.size(); ++i) {
        data.x.push_back(x1[i]);
        data.x.push_back(x2[i]);
    }
    return data;
}

struct Reference {
    double coef[2], se[2], loglik[2], score;
    int iterations;
};

void expect_as_r(const CoxData& data, const Reference& r) {
    CoxOptions options;
    options.ties = CoxTies::exact;
    const auto fit = rwe::stats::cox_regression(data, options);
    for (int k = 0; k < 2; ++k) {
        EXPECT_NEAR(fit.coef[k], r.coef[k], 1e-9 * std::fabs(r.coef[k]) + 1e-12) << k;
        EXPECT_NEAR(fit.se[k], r.se[k], 1e-9 * r.se[k]) << k;
    }
    EXPECT_NEAR(fit.loglik_null, r.loglik[0], 1e-12 * std::fabs(r.loglik[0]));
    EXPECT_NEAR(fit.loglik_final, r.loglik[1], 1e-12 * std::fabs(r.loglik[1]));
    EXPECT_NEAR(fit.score.chisq, r.score, 1e-9 * r.score);
    EXPECT_EQ(fit.iterations, r.iterations);
    EXPECT_TRUE(fit.converged);
}

}  // namespace

TEST(CoxExact, RightCensoredAsR) {
    // f <- coxph(Surv(stop, status) ~ x1 + x2, d, ties = "exact")
    expect_as_r(example(false, false), {{-0.10340804563459079, 0.38133583023727036},
                                        {0.5575972071714228, 0.8880401606356132},
                                        {-9.8934372166826261, -9.7746130500119577},
                                        0.2362971485116003,
                                        3});
}

TEST(CoxExact, StratifiedAsR) {
    // f <- coxph(Surv(stop, status) ~ x1 + x2 + strata(s), d, ties = "exact")
    expect_as_r(example(false, true), {{-0.18720801853585939, 0.46504591549421131},
                                       {0.54041025909358886, 0.82988512297402506},
                                       {-8.1886891244442026, -7.9656922412729516},
                                       0.43962020485785075,
                                       3});
}

TEST(CoxExact, StartStopAsR) {
    // f <- coxph(Surv(start, stop, status) ~ x1 + x2, d, ties = "exact")
    expect_as_r(example(true, false), {{-0.014386515386497819, 0.45440312863961635},
                                       {0.54841104747720137, 0.92059976995628212},
                                       {-8.9306264691735784, -8.804398898533849},
                                       0.24981811837925888,
                                       3});
}

TEST(CoxExact, NullLogLikelihoodByHand) {
    // At beta = 0 every d-subset of a risk set of n has weight 1: the term is -log C(n, d).
    // Time 1: 3 events among the 5 at risk (every row has stop >= 1), C(5, 3) = 10 subsets;
    // time 2: 1 event of 1. loglik(0) = -log 10 - log 1.
    CoxData data;
    data.stop = {1, 1, 1, 1, 2};
    data.event = {1, 1, 1, 0, 1};
    data.names = {"x"};
    data.x = {0.5, -1, 2, 0, 1};
    CoxOptions options;
    options.ties = CoxTies::exact;
    options.iter_max = 0;
    const auto fit = rwe::stats::cox_regression(data, options);
    EXPECT_NEAR(fit.loglik_null, -std::log(10.0), 1e-14);
    // With one event per time, exact equals Breslow.
    CoxData single = data;
    single.stop = {1, 2, 3, 4, 5};
    options.iter_max = 20;
    const auto exact = rwe::stats::cox_regression(single, options);
    options.ties = CoxTies::breslow;
    const auto breslow = rwe::stats::cox_regression(single, options);
    EXPECT_NEAR(exact.coef[0], breslow.coef[0], 1e-12);
    EXPECT_NEAR(exact.loglik_final, breslow.loglik_final, 1e-12);
}

TEST(CoxExact, WeightsAndRobustVarianceAreRefusedAsR) {
    // R: "Case weights are not supported for the exact method"; "dfbeta residuals are not
    // available for the exact method".
    CoxOptions options;
    options.ties = CoxTies::exact;
    auto weighted = example(false, false);
    weighted.weight.assign(12, 1.0);
    EXPECT_NO_THROW(rwe::stats::cox_regression(weighted, options));  // all 1: allowed, as R
    weighted.weight[3] = 2;
    EXPECT_THROW(rwe::stats::cox_regression(weighted, options), rwe::Error);
    auto clustered = example(false, false);
    clustered.cluster = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5};
    EXPECT_THROW(rwe::stats::cox_regression(clustered, options), rwe::Error);
    options.variance = rwe::stats::CoxVariance::robust;
    EXPECT_THROW(rwe::stats::cox_regression(example(false, false), options), rwe::Error);
}
