#pragma once
// Love plot: the balance of each covariate between treated and control units before and
// after weighting or matching, as absolute standardized mean differences on one axis
// from 0, with a dashed line at the conventional threshold (0.1). One row per covariate:
// an open circle for the unadjusted difference, a filled one for the adjusted.

#include <string>
#include <vector>

#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"

namespace rwe::report {

struct LovePlotRow {
    std::string label;
    double before = 0;  // standardized mean difference, unadjusted (sign ignored)
    double after = 0;   // after weighting or matching
};

struct LovePlotInput {
    std::vector<LovePlotRow> rows;
    std::string before_label = "Unadjusted";
    std::string after_label = "Adjusted";  // e.g. "Weighted (ATE)", "Matched"
    double threshold = 0.1;                // dashed line; 0 draws none
    std::string x_label = "Absolute standardized mean difference";
    double width_pt = 400;
    double row_height_pt = 14;
};

// Throws rwe::UsageError for no rows or a difference that is not a finite number.
Figure love_plot(const LovePlotInput& input);

}  // namespace rwe::report
