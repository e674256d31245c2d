#pragma once
// The result of kind `followup`: median follow-up.

#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// Median and range of the observed times.
struct ObservedFollowUp {
    std::string method;
    Count n;
    Number median;
    Number min;
    Number max;
    template <class V> void fields(V& v) {
        v("method", method);
        v("n", n);
        v("median", median);
        v("min", min);
        v("max", max);
    }
};

// The reverse Kaplan–Meier median (Schemper & Smith 1996).
struct ReverseKmFollowUp {
    std::string method;
    Number median;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("method", method);
        v("median", median);
        v("lower", lower);
        v("upper", upper);
    }
};

// Kind `followup`.
struct FollowUpResult {
    std::string endpoint;
    ObservedFollowUp observed;
    std::optional<ReverseKmFollowUp> reverse_km;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("observed", observed);
        v("reverse_km", reverse_km);
        v("population", population);
    }
};

}  // namespace rwe::results
