#pragma once
// Fine–Gray proportional subdistribution hazards regression (Fine & Gray 1999;
// docs/methods.md §7.3), fitted as R survival does it: the data are expanded as
// survival::finegray(Surv(time, status) ~ ., etype = cause) expands them (a subject whose
// competing event came first stays at risk with weight G(t-) / G(T-), G the Kaplan–Meier
// of censoring), then a weighted counting-process Cox model is fitted, equal to
// coxph(Surv(fgstart, fgstop, fgstatus) ~ x, weights = fgwt) (Efron ties by default; its
// variance is then the robust one per row, as R's; `cluster_by_subject` gives R's
// `+ cluster(id)`).

#include <cstddef>
#include <string>
#include <vector>

#include "rwe/stats/competing_risks_data.hpp"
#include "rwe/stats/cox_regression.hpp"

namespace rwe::stats {

struct FineGrayOptions {
    std::size_t cause = 1;  // the event of interest: a cause code of the data (1-based)
    CoxTies ties = CoxTies::efron;
    bool cluster_by_subject = false;  // robust variance clustered by subject (R's + cluster(id))
    double conf_level = 0.95;
};

struct FineGray {
    CoxRegression fit;              // coefficients are log subdistribution hazard ratios
    std::string cause;
    std::size_t subjects = 0;       // rows used (every covariate present)
    std::size_t dropped = 0;        // rows left out for a missing covariate
    std::size_t expanded_rows = 0;  // rows of the expanded (finegray) data = fit.n
};

// `x`: covariates row-major, data.size() * names.size(); rows with a NaN covariate are
// dropped (FineGray::dropped) before the censoring distribution is estimated. Groups and strata of the data are not used.
FineGray fine_gray(const CompetingRisksData& data, const std::vector<double>& x, const std::vector<std::string>& names,
                   const FineGrayOptions& options = {});

}  // namespace rwe::stats
