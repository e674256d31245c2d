#pragma once
// The result of kind `logrank`: log-rank tests by subgroup.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// A group of a log-rank test: observed and expected events, and the median over all strata.
struct LogRankGroup {
    std::string name;
    std::optional<std::string> label;
    Count n;
    Number events;
    Number observed;
    Number expected;
    std::optional<Number> median;
    std::optional<Number> median_lower;
    std::optional<Number> median_upper;
    std::optional<Suppressible<MedianEstimate>> median_primary;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("n", n);
        v("events", events);
        v("observed", observed);
        v("expected", expected);
        v("median", median);
        v("median_lower", median_lower);
        v("median_upper", median_upper);
        v("median_primary", median_primary);
    }
    std::string shown_name() const { return label.value_or(name); }
};

// One test: an endpoint by one grouping variable (stratified when asked).
struct LogRankTest {
    std::string endpoint;
    std::string endpoint_label;
    std::string by;
    std::string label;
    Count dropped;
    std::optional<std::string> strata;
    std::optional<std::string> note;  // why there is no test
    std::optional<std::vector<LogRankGroup>> groups;
    std::optional<std::string> method;
    std::optional<Number> chisq;
    std::optional<long> df;
    Number p;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("endpoint_label", endpoint_label);
        v("by", by);
        v("label", label);
        v("dropped", dropped);
        v("strata", strata);
        v("note", note);
        v("groups", groups);
        v("method", method);
        v("chisq", chisq);
        v("df", df);
        v("p", p);
    }
};

// Kind `logrank`: the subgroup tests.
struct LogRankResult {
    std::vector<LogRankTest> tests;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("tests", tests);
        v("population", population);
    }
};

}  // namespace rwe::results
