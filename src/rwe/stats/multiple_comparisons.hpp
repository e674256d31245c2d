#pragma once
// Adjustment of p-values for multiple comparisons (docs/methods.md §2.6), as R's
// stats::p.adjust: Holm (1979) step-down and Benjamini & Hochberg (1995) step-up.
// NaN p-values (tests that could not be done) stay NaN and do not count in m.

#include <span>
#include <string_view>
#include <vector>

namespace rwe::stats {

enum class PAdjustMethod { none, holm, benjamini_hochberg };

// "none", "holm", "bh" (also "BH", "fdr"); false when the name is unknown.
bool parse_p_adjust_method(std::string_view name, PAdjustMethod& method);
const char* p_adjust_name(PAdjustMethod method);

// Holm: with p_(1) <= ... <= p_(m), adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)).
// BH:   adj_(i) = min_{j >= i} min(1, m p_(j) / j).
std::vector<double> p_adjust(std::span<const double> p, PAdjustMethod method);

}  // namespace rwe::stats
