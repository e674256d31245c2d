#pragma once
// Test of proportional hazards for a Cox fit, as R survival >= 3.0's cox.zph
// (docs/methods.md §4.6): a score test, at (beta_hat, 0), for adding beta_k g(t) terms, per
// model term and global, using the full information matrix of the augmented model.
// Also the scaled Schoenfeld residuals, one row per event.

#include <string>
#include <vector>

#include "rwe/stats/cox_regression.hpp"

namespace rwe::stats {

enum class ZphTransform { km, identity, rank, log };

struct CoxZphOptions {
    ZphTransform transform = ZphTransform::km;
    bool time_fix = true;  // must match the fit
};

struct CoxZphTest {
    std::string term;
    double chisq = 0;
    int df = 0;
    double p = 1;
};

struct CoxZph {
    ZphTransform transform = ZphTransform::km;
    std::vector<CoxZphTest> terms;  // per model term (covariates that share a term are joint)
    CoxZphTest global;
    // Scaled Schoenfeld residuals, one row per event (stratum, then time ascending), one
    // column per non-dropped covariate: beta_hat + d V r, with r the Schoenfeld residual,
    // V the model variance and d the number of events.
    std::vector<std::string> columns;
    std::vector<double> event_time;        // time of each event
    std::vector<double> transformed_time;  // g(t) before centring
    std::vector<double> scaled_residuals;  // events x columns, row-major
};

// `fit` must come from cox_regression on the same data.
CoxZph cox_zph(const CoxData& data, const CoxRegression& fit, const CoxZphOptions& options = {});

}  // namespace rwe::stats
