// E-value (docs/methods.md §8.5).
#include "rwe/stats/e_value.hpp"

#include <cmath>

namespace rwe::stats {

double e_value_of_risk_ratio(double rr) {
    if (rr < 1) rr = 1 / rr;
    return rr + std::sqrt(rr * (rr - 1));
}

namespace {

double risk_ratio_of_hazard_ratio(double hr, bool rare) {
    if (rare) return hr;
    return (1 - std::pow(0.5, std::sqrt(hr))) / (1 - std::pow(0.5, std::sqrt(1 / hr)));
}

}  // namespace

EValue e_value_hazard_ratio(double hr, double lower, double upper, bool rare) {
    EValue out;
    out.rare = rare;
    out.rr = risk_ratio_of_hazard_ratio(hr, rare);
    out.rr_lower = risk_ratio_of_hazard_ratio(lower, rare);
    out.rr_upper = risk_ratio_of_hazard_ratio(upper, rare);
    out.point = e_value_of_risk_ratio(out.rr);
    // The limit nearer 1: the lower one for a harmful estimate, the upper for a protective one.
    if (out.rr_lower <= 1 && out.rr_upper >= 1) {
        out.limit = 1;
    } else {
        out.limit = e_value_of_risk_ratio(out.rr > 1 ? out.rr_lower : out.rr_upper);
    }
    return out;
}

}  // namespace rwe::stats
