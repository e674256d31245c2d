#pragma once
// Sample quantiles by the definitions of Hyndman & Fan (1996) (docs/methods.md §3.5).
// Type 7 is R's default (quantile()); type 6 is SPSS's default (EXAMINE, HAVERAGE) and
// Minitab's; type 2 is SAS's default (PROC UNIVARIATE, PCTLDEF=5). The median is the same
// under all three.

#include <span>

namespace rwe::stats {

enum class QuantileType { type2 = 2, type6 = 6, type7 = 7 };

// Quantile p ∈ [0, 1] of `sorted` (ascending, no NaN, non-empty); NaN when empty.
double quantile_sorted(std::span<const double> sorted, double p,
                       QuantileType type = QuantileType::type7);

}  // namespace rwe::stats
