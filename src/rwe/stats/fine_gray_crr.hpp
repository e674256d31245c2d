#pragma once
// Fine–Gray regression as R cmprsk::crr fits it (Fine & Gray 1999; docs/methods.md §7.4):
// the weighted partial likelihood with Breslow ties, the censoring distribution G the
// ordinary Kaplan–Meier of censoring taken just before each time, and Fine & Gray's
// sandwich variance, which includes the estimation of G. crr's cengroup, cov2/tf
// (time-varying coefficients) are not offered.

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/competing_risks_data.hpp"

namespace rwe::stats {

struct CrrOptions {
    std::size_t cause = 1;  // the event of interest: a cause code of the data (1-based)
    double conf_level = 0.95;
    int iter_max = 50;
    double eps = 1e-12;     // Newton–Raphson stops when no coefficient moves by more (relative)
};

struct CrrRegression {
    std::string cause;
    std::vector<std::string> names;
    std::vector<double> coef, exp_coef, se, z, p, lower, upper;
    std::vector<double> var;  // p x p row-major, I^-1 (sum (eta + psi)(eta + psi)') I^-1
    double loglik_null = 0, loglik = 0;  // log pseudo-likelihood at 0 and at the estimate
    int iterations = 0;
    bool converged = false;
    std::size_t n = 0, dropped = 0, events = 0;
    std::vector<std::string> messages;
};

// `x`: covariates row-major, data.size() * names.size(); rows with a NaN are dropped.
CrrRegression fine_gray_crr(const CompetingRisksData& data, const std::vector<double>& x,
                            const std::vector<std::string>& names, const CrrOptions& options = {});

}  // namespace rwe::stats
