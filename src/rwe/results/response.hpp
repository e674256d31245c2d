#pragma once
// The result of kind `response`: best overall response (RECIST categories) with response
// rates and their exact CIs, overall and by group, with the test of the response rate.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rwe/results/association.hpp"
#include "rwe/results/common.hpp"

namespace rwe::results {

// n of `of` patients, as a percentage with its Clopper–Pearson 95% CI (in percent).
struct Proportion {
    Number n;
    Number of;
    Number percent;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("n", n);
        v("of", of);
        v("percent", percent);
        v("lower", lower);
        v("upper", upper);
    }
};

// The patients with measurable disease and their best responses.
struct ResponseCounts {
    Number measurable;
    std::map<std::string, Proportion> best_response;  // CR, PR, SD, PD, NE
    Proportion orr;                                   // CR + PR
    Proportion cr_rate;
    Proportion dcr;  // CR + PR + SD
    template <class V> void fields(V& v) {
        v("measurable", measurable);
        v("best_response", best_response);
        v("orr", orr);
        v("cr_rate", cr_rate);
        v("dcr", dcr);
    }
};

struct ResponseLevel {
    ResponseCounts counts;
    std::string level;
    std::optional<std::string> label;
    template <class V> void fields(V& v) {
        counts.fields(v);
        v("level", level);
        v("label", label);
    }
};

// The responses by one grouping variable, with the test of responders against the others.
struct ResponseBy {
    std::string by;
    std::string label;
    std::vector<ResponseLevel> levels;
    ContingencyTest orr_test;
    template <class V> void fields(V& v) {
        v("by", by);
        v("label", label);
        v("levels", levels);
        v("orr_test", orr_test);
    }
};

// Kind `response`.
struct ResponseResult {
    ResponseCounts counts;
    Number not_measurable;
    std::string ci_method;
    std::optional<std::vector<ResponseBy>> by;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        counts.fields(v);
        v("not_measurable", not_measurable);
        v("ci_method", ci_method);
        v("by", by);
        v("population", population);
    }
};

}  // namespace rwe::results
