#pragma once
// Forest plot of hazard ratios (subgroup analyses, Cox models): one row per estimate with
// its label, a point and CI on a log axis with a reference line at 1, and the estimate,
// CI and p-value printed to the right.

#include <limits>
#include <string>
#include <vector>

#include "rwe/report/drawing.hpp"
#include "rwe/report/figure.hpp"

namespace rwe::report {

struct ForestRow {
    std::string label;
    int indent = 0;        // levels under a heading are indented
    bool heading = false;  // a label-only row (e.g. "Age")
    double estimate = std::numeric_limits<double>::quiet_NaN();  // NaN: not estimable
    double lower = std::numeric_limits<double>::quiet_NaN();
    double upper = std::numeric_limits<double>::quiet_NaN();
    double p = std::numeric_limits<double>::quiet_NaN();
    std::string count;     // optional column, e.g. "45/120" (events/patients)
    std::string note;      // shown instead of the estimate when it is NaN (e.g. "no events")
};

struct ForestPlotInput {
    std::vector<ForestRow> rows;
    std::string label_header = "Subgroup";
    std::string count_header = "Events/N";  // shown when any row has a count
    std::string estimate_header = "HR (95% CI)";
    std::string x_label = "Hazard ratio (log scale)";
    std::string favours_left;   // e.g. "Favours ≥ 6 cycles"
    std::string favours_right;
    bool p_column = true;                  // the p-value column at the right
    Rgb colour = okabe_ito::blue;          // estimates and their CIs
    double width_pt = 468;  // widened when the label columns leave the plot < 120 pt
    double row_height_pt = 15;
};

// Throws rwe::UsageError for a CI that does not contain its estimate or a ratio ≤ 0.
Figure forest_plot(const ForestPlotInput& input);

}  // namespace rwe::report
