#pragma once
// Survival at chosen times, as R's summary(survfit, times = ) reports it (docs/methods.md §1.7).

#include <span>
#include <string>
#include <vector>

#include "rwe/stats/kaplan_meier.hpp"

namespace rwe::stats {

struct SurvivalAtTime {
    double time = 0;
    double n_risk = 0;    // at risk at t: follow-up time >= t
    double n_event = 0;   // events in (previous requested time, t]; the first interval is (0, t]
    double n_censor = 0;  // censorings in the same interval
    double surv = 1;     // right-continuous: the last table row with time <= t (1 before the first)
    double std_err = 0;  // SE of -log S (log scale)
    double std_err_surv = 0;  // SE of S, what summary() prints as "std.err"
    double cumhaz = 0;
    double lower = 1;
    double upper = 1;
};

struct SurvivalAtTimes {
    std::vector<SurvivalAtTime> rows;  // requested times in ascending order
    std::vector<double>
        beyond_follow_up;  // requested times after the last follow-up (left out, as R)
};

// times need not be sorted; a time given twice gives two rows (the second with no events
// or censorings), as R's summary(fit, times =). Limits use the curve's band
// (its conf_type), i.e. the band value of the row that gives S.
SurvivalAtTimes survival_at_times(const KaplanMeierCurve& curve, std::span<const double> times);

// S(t) alone: the last table row with time <= t (1 before the first), also past the last
// follow-up (the curve's last value, as summary(fit, times =, extend = TRUE)).
double survival_value_at(const KaplanMeierCurve& curve, double t);

}  // namespace rwe::stats
