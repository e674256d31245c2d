#pragma once
// The E-value of VanderWeele & Ding (2017) for a hazard ratio and its confidence limits
// (docs/methods.md §8.5): the minimum strength of association, on the risk-ratio scale,
// that an unmeasured confounder would need with both treatment and outcome to explain the
// estimate away.

namespace rwe::stats {

struct EValue {
    double rr = 0, rr_lower = 0, rr_upper = 0;  // the risk ratios the E-values are taken of
    double point = 0;       // E-value of the estimate
    double limit = 0;       // E-value of the limit nearer 1 (1 when the interval contains 1)
    bool rare = true;       // HR taken as the RR (rare outcome) or the square-root transform
};

// E-value of a risk ratio: RR + sqrt(RR (RR - 1)) for RR >= 1, of 1/RR below 1.
double e_value_of_risk_ratio(double rr);

// hr, lower, upper > 0 with lower <= hr <= upper (the caller checks). rare: the outcome is
// rare (< 15% at the end of follow-up) and HR ~ RR; otherwise RR = (1 - 0.5^sqrt(HR)) /
// (1 - 0.5^sqrt(1/HR)) (VanderWeele 2020, for a common outcome).
EValue e_value_hazard_ratio(double hr, double lower, double upper, bool rare);

}  // namespace rwe::stats
