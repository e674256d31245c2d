#pragma once
// Median and other quantiles of a Kaplan–Meier curve with confidence limits
// (docs/methods.md §1.5–1.6).

#include <span>
#include <vector>

#include "rwe/stats/kaplan_meier.hpp"

namespace rwe::stats {

struct SurvivalQuantile {
    double probability = 0.5;  // p: the time by which a fraction p has had the event
    double estimate = 0;       // NaN = not reached
    double lower = 0;          // NaN = not reached
    double upper = 0;
};

// Median as R's print.survfit (survmean, rule "minmin"): the first time with
// S < 0.5 + sqrt(eps); when S there is within sqrt(eps) of 0.5 and the curve later falls
// below it, the midpoint of that time and the first time with smaller S. The limits apply
// the same rule to the lower and upper bands (Brookmeyer & Crowley 1982 on the band's scale).
SurvivalQuantile median_survival(const KaplanMeierCurve& curve);

// Quantiles as R's quantile.survfit: for each p, the first time at which 1 - S reaches p
// (within sqrt(eps)); where 1 - S equals p over an interval, the midpoint of that interval
// (the last follow-up time closes an interval that runs to the end). Limits from the bands.
std::vector<SurvivalQuantile> survival_quantiles(const KaplanMeierCurve& curve,
                                                 std::span<const double> probabilities);

// The SPSS median: the first event time with S <= 0.5, standard error
//   SE = SE_G(S(median)) / f,   f = (S(u) - S(l)) / (l - u),
// with Greenwood SE_G of S, u the largest event time with S >= 0.55 (0 when none) and l the
// smallest event time with S <= 0.45 (Collett 2015 §2.4; Klein & Moeschberger 2003 §4.5),
// and the interval estimate -/+ z SE, z = 1.96 as SPSS prints it.
struct SpssMedian {
    double estimate = 0;  // NaN = not reached
    double std_err = 0;   // NaN when the density cannot be estimated
    double lower = 0;
    double upper = 0;
};
SpssMedian spss_median(const KaplanMeierCurve& curve, double z = 1.96);

}  // namespace rwe::stats
