#pragma once
// Standardized differences between two groups for a baseline table (docs/methods.md
// §3.8), as Yang & Dalton (2012) define them and R's tableone reports them (absolute):
// - numeric: |m₁ − m₂| / √((s₁² + s₂²)/2), sample SDs (n − 1); missing values left out;
// - categorical with k levels: √(dᵀ S⁻¹ d), d = p₁ − p₂ over levels 2 … k (proportions of
//   those with a value), S = (S₁ + S₂)/2 with S_g = diag(p) − p pᵀ over the same levels;
//   for two levels this is |p₁ − p₂| / √((p₁(1 − p₁) + p₂(1 − p₂))/2). Levels no patient of
//   either group has are left out (they add nothing and would make S singular).
// NaN when a group has no values, or the denominator is 0 with a difference (0 when both
// groups are the same constant).

#include <vector>

namespace rwe::stats {

double standardized_difference_numeric(const std::vector<double>& x1, const std::vector<double>& x2);

// counts1[l], counts2[l]: patients of each group at level l (missing not counted).
double standardized_difference_categorical(const std::vector<double>& counts1, const std::vector<double>& counts2);

}  // namespace rwe::stats
