#pragma once
// Greedy nearest-neighbour 1:k matching on a distance (the propensity score), as
// MatchIt::matchit(method = "nearest") does it for the ATT (docs/methods.md §8.3): treated
// units in the chosen order, each given its nearest eligible controls within the caliper;
// with or without replacement; matching weights as MatchIt computes them.

#include <cstddef>
#include <string>
#include <vector>

namespace rwe::stats {

// MatchIt's m.order: "largest" (its default with a propensity score), "smallest", "data".
enum class MatchOrder { largest, smallest, data };

struct MatchingOptions {
    std::size_t ratio = 1;  // k controls per treated unit
    double caliper = 0;     // in SDs of the distance (MatchIt's std.caliper = TRUE); 0 = none
    bool replace = false;
    MatchOrder order = MatchOrder::largest;
};

struct Matching {
    // Per treated unit (in data order): the units matched to it, nearest first; empty when
    // it found none. treated_units[i] is the index of the i-th treated unit.
    std::vector<std::size_t> treated_units;
    std::vector<std::vector<std::size_t>> matches;
    std::vector<double> weight;  // per unit: MatchIt's $weights (0 when unmatched)
    double caliper_distance = 0;  // caliper * sd(distance), NaN without a caliper
    std::size_t matched_treated = 0, matched_controls = 0, unmatched_treated = 0;
};

// treated: 1/0 per unit; distance: per unit (no NaN). Preconditions: equal sizes.
Matching nearest_neighbour_matching(const std::vector<double>& treated, const std::vector<double>& distance,
                                    const MatchingOptions& options = {});

}  // namespace rwe::stats
