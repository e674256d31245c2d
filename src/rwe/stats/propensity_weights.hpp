#pragma once
// Inverse-probability-of-treatment weights from a propensity score (docs/methods.md §8.2):
// ATE and ATT weights, optionally stabilized, after optional trimming of units with
// extreme scores and with optional truncation of large weights at a percentile.

#include <cstddef>
#include <vector>

namespace rwe::stats {

enum class Estimand { ate, att };

struct PropensityWeightOptions {
    Estimand estimand = Estimand::ate;
    bool stabilize = false;  // marginal treatment probability in the numerator
    double trim = 0;         // a in [0, 0.5): units with ps < a or ps > 1 - a get weight 0; 0 = none
    double truncate = 0;     // q in (0, 1): weights above their q-th quantile (R type 7) set to it; 0 = none
};

struct PropensityWeights {
    std::vector<double> weight;  // per unit; 0 for a trimmed unit
    std::vector<bool> trimmed;   // per unit
    std::size_t n_trimmed = 0, n_truncated = 0;
    double cap = 0;              // the truncation value (NaN when not truncated)
    double treated_share = 0;    // proportion treated among the units kept (the stabilizing p)
};

// treated: 1/0 per unit; ps: the propensity score in (0, 1) per unit. Preconditions: equal
// sizes, no NaN, at least one unit kept in each group after trimming (the caller checks).
PropensityWeights propensity_weights(const std::vector<double>& treated, const std::vector<double>& ps,
                                     const PropensityWeightOptions& options = {});

// Kish's effective sample size (sum w)^2 / sum w^2 of the units with `group` (1/0) whose
// weight is positive.
double effective_sample_size(const std::vector<double>& weight, const std::vector<double>& treated, double group);

// One group's weights: its units, those with a positive weight, their sum, least and
// greatest weight (NaN when none is positive) and effective sample size.
struct WeightSummary {
    std::size_t n = 0;
    std::size_t n_weighted = 0;
    double sum = 0;
    double min = 0;
    double max = 0;
    double ess = 0;
};
WeightSummary summarize_weights(const std::vector<double>& weight, const std::vector<double>& treated, double group);

}  // namespace rwe::stats
