// Harrell's concordance and its jackknife SE (docs/methods.md §4.5): both sweeps (rows in time
// order with trees over ranks; rows in rank order with trees over time slots) against a
// direct count over every pair, on data with ties in time and in the linear predictor,
// strata, case weights and clusters; and the two sweeps against each other where the rows
// are too many for the pairs (two threads each).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <vector>

#include "rwe/stats/cox_concordance.hpp"
#include "rwe/stats/cox_risk_sets.hpp"

namespace {

using rwe::stats::ConcordanceSweep;
using rwe::stats::CoxConcordance;
using rwe::stats::CoxData;
namespace detail = rwe::stats::detail;

struct Options {
    std::size_t n = 300;
    int times = 12;        // distinct whole-number times
    int lp_values = 9;     // distinct linear predictor values (0: continuous)
    int strata = 1;
    bool weighted = false;
    int clusters = 0;      // 0: none
    unsigned seed = 1;
};

CoxData simulate(const Options& o) {
    std::mt19937_64 rng(o.seed);
    std::uniform_int_distribution<int> time(1, o.times), level(0, std::max(o.lp_values - 1, 0)),
        stratum(0, o.strata - 1), cluster(0, std::max(o.clusters - 1, 0));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    CoxData d;
    d.names = {"x"};
    for (std::size_t i = 0; i < o.n; ++i) {
        d.stop.push_back(time(rng));
        d.event.push_back(unit(rng) < 0.6 ? 1 : 0);
        d.x.push_back(o.lp_values > 0 ? level(rng) * 0.25 : unit(rng));
        if (o.weighted) d.weight.push_back(0.5 + unit(rng) * 2);
        if (o.strata > 1) d.stratum.push_back(stratum(rng));
        if (o.clusters > 0) d.cluster.push_back(cluster(rng));
    }
    return d;
}

// Every pair by definition: (i, j) is comparable when i is a death and j, in the same
// stratum, is still at risk at i's time (a later time, or censored at that time); it is
// concordant when i has the higher linear predictor. Each row's influence (c - d and
// c + d + t of its pairs, weighted by the other row) gives the jackknife variance.
CoxConcordance by_pairs(const detail::CoxPrepared& p, const std::vector<double>& lp) {
    const std::size_t n = p.n;
    std::vector<double> diff(n, 0.0), sum(n, 0.0);
    CoxConcordance out;
    for (std::size_t i = 0; i < n; ++i) {
        if (!p.event[i]) continue;
        for (std::size_t j = 0; j < n; ++j) {
            if (j == i || p.stratum[j] != p.stratum[i]) continue;
            const bool at_risk = p.stop[j] > p.stop[i] || (p.stop[j] == p.stop[i] && !p.event[j]);
            if (!at_risk) continue;
            const double w = p.weight[i] * p.weight[j];
            const double sign = lp[i] > lp[j] ? 1.0 : lp[i] < lp[j] ? -1.0 : 0.0;
            if (sign > 0) out.concordant += w;
            if (sign < 0) out.discordant += w;
            if (sign == 0) out.tied_risk += w;
            diff[i] += p.weight[j] * sign;
            diff[j] += p.weight[i] * sign;
            sum[i] += p.weight[j];
            sum[j] += p.weight[i];
        }
    }
    const double npair = out.concordant + out.discordant + out.tied_risk;
    const double somers = (out.concordant - out.discordant) / npair;
    out.concordance = (somers + 1) / 2;
    std::map<std::int32_t, double> by_cluster;
    for (std::size_t k = 0; k < n; ++k) {
        const double dfbeta = p.weight[k] * (diff[k] / npair - somers / npair * sum[k]);
        by_cluster[p.cluster.empty() ? static_cast<std::int32_t>(k) : p.cluster[k]] += dfbeta;
    }
    double var = 0;
    for (const auto& [id, d] : by_cluster) var += d * d;
    out.se = std::sqrt(var / 4);
    return out;
}

std::vector<double> linear_predictor(const detail::CoxPrepared& p) {
    std::vector<double> lp(p.n);
    for (std::size_t i = 0; i < p.n; ++i) lp[i] = p.x[i] + 0.0;  // beta = 1 on the centred x
    return lp;
}

void expect_same(const CoxConcordance& got, const CoxConcordance& want, double tol, const std::string& what) {
    auto close = [&](double a, double b) { return std::fabs(a - b) <= tol * std::max(std::fabs(b), 1e-12); };
    EXPECT_TRUE(close(got.concordant, want.concordant)) << what << " concordant " << got.concordant << " vs " << want.concordant;
    EXPECT_TRUE(close(got.discordant, want.discordant)) << what << " discordant " << got.discordant << " vs " << want.discordant;
    EXPECT_TRUE(close(got.tied_risk, want.tied_risk)) << what << " tied " << got.tied_risk << " vs " << want.tied_risk;
    EXPECT_TRUE(close(got.concordance, want.concordance)) << what << " C " << got.concordance << " vs " << want.concordance;
    EXPECT_TRUE(close(got.se, want.se)) << what << " se " << got.se << " vs " << want.se;
}

void check_against_pairs(const Options& o, const std::string& what) {
    const detail::CoxPrepared p = detail::cox_prepare(simulate(o), true);
    const std::vector<double> lp = linear_predictor(p);
    const CoxConcordance want = by_pairs(p, lp);
    ASSERT_GT(want.concordant + want.discordant, 0) << what;
    expect_same(rwe::stats::cox_concordance(p, lp, ConcordanceSweep::by_time), want, 1e-12, what + " by time");
    expect_same(rwe::stats::cox_concordance(p, lp, ConcordanceSweep::by_rank), want, 1e-12, what + " by rank");
}

TEST(CoxConcordanceSweeps, AgreeWithEveryPair) {
    for (unsigned seed = 1; seed <= 5; ++seed) {
        Options o;
        o.seed = seed;
        check_against_pairs(o, "plain " + std::to_string(seed));
        o.strata = 3;
        check_against_pairs(o, "strata " + std::to_string(seed));
        o.weighted = true;
        check_against_pairs(o, "strata, weights " + std::to_string(seed));
        o.clusters = 40;
        check_against_pairs(o, "strata, weights, clusters " + std::to_string(seed));
        o.lp_values = 0;  // continuous: blocks of one rank
        o.times = 150;
        check_against_pairs(o, "continuous " + std::to_string(seed));
        o.lp_values = 2;  // few ranks: large blocks
        o.times = 4;
        check_against_pairs(o, "two values " + std::to_string(seed));
    }
}

// Above 200,000 rows both sweeps split the work between two threads; they must still agree.
TEST(CoxConcordanceSweeps, AgreeWithEachOtherOnManyRows) {
    Options o;
    o.n = 260'000;
    o.times = 400;
    o.lp_values = 3000;
    o.strata = 2;
    o.weighted = true;
    o.seed = 7;
    const detail::CoxPrepared p = detail::cox_prepare(simulate(o), true);
    const std::vector<double> lp = linear_predictor(p);
    const CoxConcordance by_time = rwe::stats::cox_concordance(p, lp, ConcordanceSweep::by_time);
    expect_same(rwe::stats::cox_concordance(p, lp, ConcordanceSweep::by_rank), by_time, 1e-10, "many rows");
    o.lp_values = 0;  // ranks by the radix sort
    o.weighted = false;
    o.clusters = 5000;
    const detail::CoxPrepared q = detail::cox_prepare(simulate(o), true);
    const std::vector<double> lq = linear_predictor(q);
    expect_same(rwe::stats::cox_concordance(q, lq, ConcordanceSweep::by_rank),
                rwe::stats::cox_concordance(q, lq, ConcordanceSweep::by_time), 1e-10, "many rows, continuous");
}

}  // namespace
