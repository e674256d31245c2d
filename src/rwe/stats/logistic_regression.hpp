#pragma once
// Logistic regression by iteratively reweighted least squares, as R's
// glm(family = binomial) fits it (docs/methods.md §8.1): the same start (mu = (y + 1/2)/2),
// the same convergence rule |dev - dev_old| / (|dev| + 0.1) < epsilon with R's
// glm.control defaults, the same treatment of aliased (collinear) columns (left out, NA),
// and the standard errors from the information of the last iteration (R's summary.glm).
// Separation is reported, never silent: R's warning "fitted probabilities numerically 0
// or 1 occurred", a fit that did not converge, and coefficients that may be infinite.

#include <cstddef>
#include <string>
#include <vector>

namespace rwe::stats {

struct LogisticOptions {
    double epsilon = 1e-8;  // R glm.control(epsilon)
    int maxit = 25;         // R glm.control(maxit)
    double conf_level = 0.95;
};

struct LogisticRegression {
    // "(Intercept)" first, then the covariates; an aliased covariate has NaN estimates.
    std::vector<std::string> names;
    std::vector<double> coef, se, z, p, lower, upper;  // Wald: coef -/+ z se
    std::vector<bool> aliased;
    std::vector<double> linear_predictor;  // per row: eta = x'beta
    std::vector<double> fitted;            // per row: 1 / (1 + exp(-eta)), R's fitted()
    double null_deviance = 0, deviance = 0, aic = 0;
    std::size_t df_null = 0, df_residual = 0, rank = 0, n = 0;
    int iterations = 0;  // R's $iter
    bool converged = false;
    bool fitted_zero_or_one = false;  // R's warning (separation)
    std::vector<std::string> messages;
};

// y: 0/1 per row; x: row-major, y.size() * names.size() (no intercept column: the fit adds
// it). Preconditions: no NaN (the caller drops incomplete rows), y.size() >= 1.
LogisticRegression logistic_regression(const std::vector<double>& y, const std::vector<double>& x,
                                       const std::vector<std::string>& names, const LogisticOptions& options = {});

}  // namespace rwe::stats
