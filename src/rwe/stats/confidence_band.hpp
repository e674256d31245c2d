#pragma once
// Pointwise confidence intervals for a survival probability (docs/methods.md §1.4).
// Every transform takes the Greenwood standard error of -log S (R's survfit()$std.err).

#include <optional>
#include <string>
#include <string_view>

namespace rwe::stats {

enum class ConfType { log, log_log, plain, logit, arcsin };

// "log", "log-log", "plain", "logit", "arcsin" (R's conf.type names); nullopt otherwise.
std::optional<ConfType> conf_type_from_name(std::string_view name);
std::string conf_type_name(ConfType type);

// z = Phi^-1(1 - (1 - level)/2); level in (0, 1).
double normal_quantile_two_sided(double level);

struct Interval {
    double lower;
    double upper;
};

// The interval as R's survfit computes it, NaN where R gives NA/NaN:
//   log      exp(log S -/+ z se), upper capped at 1; NA at S = 0
//   log-log  exp(-exp(log(-log S) -/+ z se / log S)); NA at S = 0 and S = 1
//   plain    S -/+ z S se, clipped to [0, 1]; NaN at S = 0 (0 * Inf)
//   logit    1 - 1/(1 + exp(logit S -/+ z se/(1 - S))); NA at S = 0, NaN at S = 1
//   arcsin   sin^2(asin(sqrt S) -/+ z se sqrt(S/(1 - S)) / 2), clipped to [0, pi/2]; NA at S = 0
Interval survival_interval(double surv, double std_err, ConfType type, double z);

}  // namespace rwe::stats
