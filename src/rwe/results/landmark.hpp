#pragma once
// The result of kind `landmark`: groups fixed at a landmark by the administrations received
// by then, compared from the landmark on; and the Cox model with the count as a
// time-varying covariate over all follow-up.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"
#include "rwe/results/cox.hpp"

namespace rwe::results {

// A group's patients, events and median with its CI (Brookmeyer–Crowley).
struct GroupMedian {
    std::string name;
    Count n;
    Number events;
    Number median;
    Number median_lower;
    Number median_upper;
    template <class V> void fields(V& v) {
        v("name", name);
        v("n", n);
        v("events", events);
        v("median", median);
        v("median_lower", median_lower);
        v("median_upper", median_upper);
    }
};

// A Cox model with a covariate in counting-process form.
struct TimeDependentCox {
    CoxFit fit;
    std::string method;
    template <class V> void fields(V& v) {
        fit.fields(v);
        v("method", method);
    }
};

struct LandmarkEndpoint {
    std::string endpoint;
    Count at_risk_at_landmark;
    Count excluded_before_landmark;
    std::vector<GroupMedian> strata;
    std::optional<ChiSquareTest> log_rank;
    std::optional<CoxFit> cox;  // the group at the landmark (second against the first)
    TimeDependentCox time_dependent_cox;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("at_risk_at_landmark", at_risk_at_landmark);
        v("excluded_before_landmark", excluded_before_landmark);
        v("strata", strata);
        v("log_rank", log_rank);
        v("cox", cox);
        v("time_dependent_cox", time_dependent_cox);
    }
};

// Kind `landmark`.
struct LandmarkResult {
    long landmark_days = 0;
    double landmark_time = 0;
    long min_cycles = 0;
    std::string explanation;
    std::vector<LandmarkEndpoint> results;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("landmark_days", landmark_days);
        v("landmark_time", landmark_time);
        v("min_cycles", min_cycles);
        v("explanation", explanation);
        v("results", results);
        v("population", population);
    }
};

}  // namespace rwe::results
