#pragma once
// The result of kind `km`: Kaplan–Meier curves and their summaries.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"
#include "rwe/results/cox.hpp"

namespace rwe::results {

// Kind `km`: the curve of each group (or of all patients), the log-rank test between the
// groups, and the hazard ratio of two groups when the figure asks for it.
struct KmResult {
    std::string endpoint;
    std::string description;
    std::string time_unit;
    std::string conf_type;
    Count dropped;
    std::optional<std::string> by;
    std::optional<std::string> by_label;
    std::vector<CurveSummary> strata;
    std::optional<Suppressible<ChiSquareTest>> log_rank;
    std::optional<CoxFit> hazard_ratio;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("description", description);
        v("time_unit", time_unit);
        v("conf_type", conf_type);
        v("dropped", dropped);
        v("by", by);
        v("by_label", by_label);
        v("strata", strata);
        v("log_rank", log_rank);
        v("hazard_ratio", hazard_ratio);
        v("population", population);
    }
};

}  // namespace rwe::results
