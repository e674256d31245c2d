// The two forms of the Cox pass (docs/methods.md §4.2) give the same log partial likelihood,
// score and information: the row-by-row pass over the risk sets, and the pass for few
// distinct times that sums each time's rows first (vector code where the processor has it,
// for any number of covariates, with and without weights, on one thread or two).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/cox_risk_sets.hpp"

namespace {

namespace detail = rwe::stats::detail;
using rwe::stats::CoxData;
using rwe::stats::CoxTies;

CoxData simulate(std::size_t n, std::size_t p, int times, bool weighted, unsigned seed) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::bernoulli_distribution coin(0.4), dies(0.65);
    std::uniform_int_distribution<int> time(1, times);
    std::uniform_real_distribution<double> unit(0.2, 3.0);
    CoxData d;
    for (std::size_t k = 0; k < p; ++k) d.names.push_back("x" + std::to_string(k));
    for (std::size_t i = 0; i < n; ++i) {
        d.stop.push_back(time(rng));
        d.event.push_back(dies(rng) ? 1 : 0);
        for (std::size_t k = 0; k < p; ++k) d.x.push_back(k % 2 == 0 ? normal(rng) : (coin(rng) ? 1.0 : 0.0));
        if (weighted) d.weight.push_back(unit(rng));
    }
    return d;
}

// The robust SE is compared too, so these fits ask for it (R's robust = TRUE).
const rwe::stats::CoxOptions robust_options{.variance = rwe::stats::CoxVariance::robust};

void expect_close(double got, double want, double scale, const std::string& what) {
    EXPECT_NEAR(got, want, 1e-11 * std::max(std::fabs(want), scale)) << what;
}

void check(std::size_t n, std::size_t p, int times, bool weighted, CoxTies ties, unsigned seed) {
    const std::string what = "n " + std::to_string(n) + ", p " + std::to_string(p) + (weighted ? ", weighted" : "") +
                             (ties == CoxTies::efron ? ", efron" : ", breslow");
    const detail::CoxPrepared data = detail::cox_prepare(simulate(n, p, times, weighted, seed), true);
    ASSERT_LE((data.group_begin.size() - 1) * 8, data.n) << what << ": not few distinct times";
    std::vector<double> beta(p);
    for (std::size_t k = 0; k < p; ++k) beta[k] = 0.3 - 0.17 * static_cast<double>(k);
    const detail::CoxPass grouped = detail::cox_pass(data, beta, ties);
    detail::CoxEventTimes record;  // asking for the event times takes the row-by-row pass
    const detail::CoxPass by_row = detail::cox_pass(data, beta, ties, &record);
    expect_close(grouped.loglik, by_row.loglik, 1.0, what + " loglik");
    double scale = 0;
    for (double v : by_row.imat) scale = std::max(scale, std::fabs(v));
    for (std::size_t k = 0; k < p; ++k) expect_close(grouped.u[k], by_row.u[k], scale, what + " u");
    for (std::size_t k = 0; k < p * p; ++k) expect_close(grouped.imat[k], by_row.imat[k], scale, what + " imat");
}

TEST(CoxPassForms, AgreeForEveryNumberOfCovariates) {
    for (std::size_t p = 1; p <= 6; ++p) {
        for (bool weighted : {false, true}) {
            check(3000, p, 40, weighted, CoxTies::efron, static_cast<unsigned>(p));
            check(3000, p, 40, weighted, CoxTies::breslow, static_cast<unsigned>(p) + 10);
        }
    }
}

// Above 200,000 rows the grouped pass sums on two threads.
TEST(CoxPassForms, AgreeOnManyRows) {
    check(250'000, 5, 700, false, CoxTies::efron, 99);
    check(250'000, 3, 700, true, CoxTies::efron, 98);
}

// Rows with a missing value are dropped before the sort: the fit equals the fit of the data
// without them (small and large, weighted or not, where the sort by time buckets and the
// threads apply).
TEST(CoxPassForms, DroppedRowsGiveTheFitOfTheRemainingRows) {
    for (const std::size_t n : {3000u, 260'000u}) {
        for (bool weighted : {false, true}) {
            CoxData with_missing = simulate(n, 3, 60, weighted, 7);
            CoxData kept;
            kept.names = with_missing.names;
            for (std::size_t i = 0; i < n; ++i) {
                if (i % 23 == 5) {
                    with_missing.x[i * 3 + (i % 3)] = std::nan("");
                    continue;
                }
                kept.stop.push_back(with_missing.stop[i]);
                kept.event.push_back(with_missing.event[i]);
                for (std::size_t k = 0; k < 3; ++k) kept.x.push_back(with_missing.x[i * 3 + k]);
                if (weighted) kept.weight.push_back(with_missing.weight[i]);
            }
            const auto a = rwe::stats::cox_regression(with_missing, robust_options);
            const auto b = rwe::stats::cox_regression(kept, robust_options);
            const std::string what = "n " + std::to_string(n) + (weighted ? ", weighted" : "");
            EXPECT_EQ(a.n, b.n) << what;
            EXPECT_EQ(a.dropped, n - b.n) << what;
            ASSERT_EQ(a.used_rows.size(), b.n) << what;
            EXPECT_EQ(a.used_rows[5], 6u) << what;  // row 5 dropped
            expect_close(a.loglik_final, b.loglik_final, 1.0, what + " loglik");
            expect_close(a.concordance, b.concordance, 1.0, what + " concordance");
            expect_close(a.concordance_se, b.concordance_se, 1e-6, what + " concordance se");
            for (std::size_t k = 0; k < 3; ++k) {
                expect_close(a.coef[k], b.coef[k], 1e-3, what + " coef");
                expect_close(a.se[k], b.se[k], 1e-6, what + " se");
                expect_close(a.robust_se[k], b.robust_se[k], 1e-6, what + " robust se");
            }
        }
    }
}

// Covariates given as columns read in place fit exactly as the same values row-major,
// rows with a missing value included.
TEST(CoxPassForms, ColumnsGiveTheFitOfRowMajorCovariates) {
    for (const std::size_t n : {3000u, 260'000u}) {
        CoxData row_major = simulate(n, 3, 60, n > 3000, 3);
        row_major.x[7 * 3 + 1] = std::nan("");
        std::vector<std::vector<double>> columns(3, std::vector<double>(n));
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < 3; ++k) columns[k][i] = row_major.x[i * 3 + k];
        }
        CoxData by_column = row_major;
        by_column.x.clear();
        for (const auto& column : columns) by_column.columns.emplace_back(column);
        const auto a = rwe::stats::cox_regression(row_major, robust_options);
        const auto b = rwe::stats::cox_regression(by_column, robust_options);
        EXPECT_EQ(a.dropped, 1u);
        EXPECT_EQ(b.dropped, 1u);
        EXPECT_EQ(a.loglik_final, b.loglik_final);
        EXPECT_EQ(a.concordance, b.concordance);
        EXPECT_EQ(a.concordance_se, b.concordance_se);
        for (std::size_t k = 0; k < 3; ++k) {
            EXPECT_EQ(a.coef[k], b.coef[k]);
            EXPECT_EQ(a.se[k], b.se[k]);
            EXPECT_EQ(a.robust_se[k], b.robust_se[k]);
        }
    }
}

}  // namespace
