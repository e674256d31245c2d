#pragma once
// Gray's K-sample test of equal cumulative incidence of one cause between groups
// (Gray 1988; docs/methods.md §7.2), optionally stratified, with Gray's variance estimator:
// the statistic, degrees of freedom and p-value of R cmprsk's cuminc(ftime, fstatus, group,
// strata, rho)$Tests, one test per cause.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/competing_risks_data.hpp"

namespace rwe::stats {

struct GrayTestOptions {
    double rho = 0;  // weight (1 - F^0(t-))^rho on the pooled incidence; cmprsk's default 0
};

struct GrayTest {
    std::string cause;
    std::vector<std::string> groups;  // the groups compared (those with rows)
    std::vector<double> score;        // of the first groups.size() - 1 groups
    std::vector<std::vector<double>> variance;
    double statistic = 0;  // score' V^-1 score; NaN when V is singular
    int df = 0;            // groups.size() - 1
    double p = 0;          // upper chi-square tail; NaN when V is singular
    std::vector<std::string> messages;  // diagnostics (a singular variance)
};

// One test per cause (in cause order). Needs two groups or more with rows, else UsageError.
std::vector<GrayTest> gray_test(const CompetingRisksData& data, const GrayTestOptions& options = {});

}  // namespace rwe::stats
