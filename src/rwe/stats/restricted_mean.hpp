#pragma once
// Restricted mean survival time with its standard error, as R's print(survfit, rmean = tau)
// (docs/methods.md §1.8).

#include "rwe/stats/kaplan_meier.hpp"

namespace rwe::stats {

struct RestrictedMean {
    double tau = 0;
    double rmean = 0;  // integral of S from 0 to tau
    double se = 0;
};

// rmean = int_0^tau S(u) du over the step function, S carried flat to tau;
// se^2 = sum_{t_i <= tau} A_i^2 d_i / (n_i (n_i - d_i)), A_i = int_{t_i}^tau S(u) du,
// terms with n_i = d_i counted as 0. NaN for a curve without rows.
RestrictedMean restricted_mean(const KaplanMeierCurve& curve, double tau);

}  // namespace rwe::stats
