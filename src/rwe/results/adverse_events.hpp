#pragma once
// The result of kind `adverse_events`: patients by the worst grade of each term, and the
// actions taken.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// Patients in a band of grades, as a percentage of the patients analysed.
struct GradeCount {
    Number n;
    Number percent;
    template <class V> void fields(V& v) {
        v("n", n);
        v("percent", percent);
    }
};

struct AdverseEventTerm {
    std::string term;
    GradeCount any;
    GradeCount grade_1_2;
    GradeCount grade_3;
    GradeCount grade_4;
    GradeCount grade_3_4;
    GradeCount grade_5;
    GradeCount grade_3_plus;
    std::map<std::string, Number> actions;  // patients per action taken (none left out)
    template <class V> void fields(V& v) {
        v("term", term);
        v("any", any);
        v("grade_1_2", grade_1_2);
        v("grade_3", grade_3);
        v("grade_4", grade_4);
        v("grade_3_4", grade_3_4);
        v("grade_5", grade_5);
        v("grade_3_plus", grade_3_plus);
        v("actions", actions);
    }
};

// Kind `adverse_events`.
struct AdverseEventsResult {
    Number n;
    std::string grading_scale;
    std::string grading;
    std::vector<AdverseEventTerm> terms;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("n", n);
        v("grading_scale", grading_scale);
        v("grading", grading);
        v("terms", terms);
        v("population", population);
    }
};

}  // namespace rwe::results
