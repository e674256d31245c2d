#pragma once
// The result of kind `attrition`: the selection steps.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// A selection step and the patients it excludes (the first step: the registry).
struct AttritionStep {
    std::string criterion;
    std::string reason;
    Count excluded;
    Count remaining;
    template <class V> void fields(V& v) {
        v("criterion", criterion);
        v("reason", reason);
        v("excluded", excluded);
        v("remaining", remaining);
    }
};

// Kind `attrition`.
struct AttritionResult {
    std::vector<AttritionStep> steps;
    Count n;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("steps", steps);
        v("n", n);
        v("population", population);
    }
};

}  // namespace rwe::results
