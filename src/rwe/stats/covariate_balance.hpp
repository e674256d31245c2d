#pragma once
// Covariate balance between two groups before and after weighting or matching
// (docs/methods.md §8.4): standardized mean differences with cobalt's defaults (the
// denominator from the unweighted groups: pooled for the ATE, the treated group's SD for
// the ATT), variance ratios and weighted means.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/propensity_weights.hpp"

namespace rwe::stats {

struct BalanceRow {
    std::string name;
    bool binary = false;  // only the values 0 and 1
    double mean_treated = 0, mean_control = 0;                   // unweighted
    double smd = 0, variance_ratio = 0;                          // unweighted; VR NaN for binary
    double mean_treated_adjusted = 0, mean_control_adjusted = 0;  // weighted
    double smd_adjusted = 0, variance_ratio_adjusted = 0;         // weighted; VR NaN for binary
    double sd_denominator = 0;
};

struct BalanceTable {
    std::vector<BalanceRow> rows;
    double ess_treated = 0, ess_control = 0;        // Kish, after weighting
    double n_treated = 0, n_control = 0;            // before
};

// x: row-major, treated.size() * names.size(); weight: per unit (0 = left out). Preconditions:
// no NaN, both groups non-empty.
BalanceTable covariate_balance(const std::vector<double>& treated, const std::vector<double>& x,
                               const std::vector<std::string>& names, const std::vector<double>& weight,
                               Estimand estimand);

}  // namespace rwe::stats
