#pragma once
// Fisher's exact test of independence for r x c tables (docs/methods.md §3.3).
//
// Conditional on both margins, a table has the multivariate hypergeometric probability
//   P(x) = Π_i r_i! Π_j c_j! / (n! Π_ij x_ij!).
// The two-sided p-value sums P(y) over every table y with the same margins and
//   P(y) ≤ P(x_observed) · (1 + 1e-7),
// the relative tolerance R's fisher.test uses so that ties computed with rounding error
// are counted. 2 x 2 tables use the hypergeometric distribution of x_11 directly, with
// the conditional maximum-likelihood odds ratio and its exact (Cornfield) confidence
// interval; larger tables use a network enumeration (Mehta & Patel 1983): columns are
// allocated one at a time, the state is the multiset of remaining row totals, and exact
// longest/shortest remaining paths decide whole sub-networks at once.

#include <string>
#include <vector>

#include "rwe/stats/contingency_table.hpp"

namespace rwe::stats {

struct FisherExactOptions {
    double relative_tolerance = 1e-7;  // as R's fisher.test
    double conf_level = 0.95;          // for the 2 x 2 odds-ratio interval
    double max_steps = 5e7;            // work limit of the r x c enumeration (a few seconds)
};

struct FisherExactTest {
    double p = 0;
    // 2 x 2 only (NaN otherwise): conditional MLE of the odds ratio and exact CI.
    double odds_ratio = 0;
    double lower = 0;
    double upper = 0;
    double conf_level = 0.95;
    std::string method;                 // "2x2 hypergeometric" or "network enumeration"
    double steps = 0;                   // allocations visited by the r x c enumeration
    std::vector<std::string> messages;  // why a value is NaN or degenerate
};

FisherExactTest fisher_exact_test(const ContingencyTable& table,
                                  const FisherExactOptions& options = {});

// The r x c algorithm on any table (also 2 x 2), for cross-checks; same result fields
// except the odds ratio.
FisherExactTest fisher_exact_network(const ContingencyTable& table,
                                     const FisherExactOptions& options = {});

}  // namespace rwe::stats
