#pragma once
// CONSORT-style flow diagram of cohort selection (Schulz et al. 2010, CONSORT 2010
// statement, Fig. 1; STROBE asks for the same in observational studies): a column of
// boxes from "assessed" to "analysed", with the patients excluded at each step in a side
// box listing the reasons, and optional groups the analysed cohort splits into.

#include <string>
#include <vector>

#include "rwe/report/figure.hpp"

namespace rwe::report {

struct AttritionCount {
    std::string label;
    long n = 0;
};

struct AttritionStep {
    std::string label;                     // e.g. "Patients in the registry"
    long n = 0;
    std::vector<AttritionCount> excluded;  // reasons, shown in a side box below this step
};

struct AttritionInput {
    std::vector<AttritionStep> steps;          // top to bottom; the last is the analysed cohort
    std::vector<AttritionCount> final_groups;  // optional split of the last step
    double width_pt = 468;
};

// Throws rwe::UsageError when the counts do not add up: each step must equal the previous
// step minus its exclusions, and the groups must sum to the last step. A diagram whose
// numbers disagree would be worse than none.
Figure attrition_diagram(const AttritionInput& input);

}  // namespace rwe::report
