#pragma once
// Cox proportional hazards regression, matching R survival's coxph (docs/methods.md §4).
//
// Right-censored or counting-process (start, stop] data, optional strata, case weights and
// clusters; Efron (default) or Breslow handling of tied event times. Newton–Raphson from
// beta = 0 on centred covariates with step halving and R's stopping rule
// |1 - loglik_old / loglik_new| <= eps. Degenerate fits (a covariate with no variation,
// collinear covariates, monotone likelihood) are results with diagnostics, not exceptions.

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

namespace rwe::stats {

// exact: the exact partial likelihood of tied event times (Kalbfleisch & Prentice's
// discrete model, R's ties = "exact"); unweighted data only, model-based variance only.
enum class CoxTies { efron, breslow, exact };

// Which variance the fit reports z, p, the HR interval and the Wald test from (R's
// coxph(robust =)). automatic follows R: the robust (sandwich) variance when clusters are
// given or a case weight is not a whole number, the model-based one otherwise.
enum class CoxVariance { automatic, model, robust };

// Input, one entry per row. Rows with a NaN in any used value (or a negative stratum or
// cluster code) are dropped and counted. Covariates are row-major: x[row * p + covariate].
struct CoxData {
    std::vector<double> start;   // empty: right-censored data (at risk from -infinity)
    std::vector<double> stop;    // event or censoring time
    std::vector<double> event;   // 1 = event, 0 = censored
    std::vector<double> weight;  // empty: all 1; otherwise > 0
    std::vector<std::int32_t> stratum;  // empty: one stratum
    std::vector<std::int32_t> cluster;  // empty: none (robust SE treats each row as a cluster)
    std::vector<double> x;              // rows * names.size(), row-major; or:
    // one column per name (rows values each), read in place (the caller keeps them alive);
    // when given, x is not used
    std::vector<std::span<const double>> columns;
    std::vector<std::string> names;     // covariate (column) names
    std::vector<std::string> terms;     // term of each covariate (cox.zph groups by term); empty: each its own
};

struct CoxOptions {
    CoxTies ties = CoxTies::efron;
    double eps = 1e-9;                        // R coxph.control(eps)
    int iter_max = 20;                        // R coxph.control(iter.max)
    double toler_chol = 1.8189894035458565e-12;  // R: .Machine$double.eps^0.75
    double toler_inf = 3.1622776601683795e-05;   // R: sqrt(eps)
    double conf_level = 0.95;
    CoxVariance variance = CoxVariance::automatic;
    bool concordance = true;   // Harrell's C with R's infinitesimal-jackknife SE
    bool time_fix = true;      // merge near-equal times first (R's aeqSurv, §1.1)
};

struct CoxTest {
    double chisq = 0;
    int df = 0;
    double p = 1;
};

struct CoxDiagnostic {
    enum class Kind { singular, infinite, not_converged, no_events, dropped_rows, time_fix, single_cluster };
    Kind kind;
    int covariate = -1;  // index into names, or -1
    std::string message;
};

struct CoxRegression {
    std::vector<std::string> names;
    std::vector<std::string> terms;
    // Per covariate; NaN for a covariate dropped as collinear or constant (R's NA).
    // se is the model-based SE; z, p, lower and upper use robust_se when `robust` is set
    // (R's summary of a robust fit), se otherwise.
    std::vector<double> coef, exp_coef, se, robust_se, z, p, lower, upper;
    std::vector<double> robust_z, robust_p;  // equal to z and p when `robust`
    std::vector<double> var;         // p x p row-major, naive I(beta)^-1 (0 for dropped)
    std::vector<double> robust_var;  // p x p row-major; empty when not robust
    std::vector<double> means;       // centring values (weighted means)
    std::vector<bool> singular;
    double loglik_null = 0, loglik_final = 0;
    bool robust = false;  // the sandwich variance is the fit's variance (R's robust = TRUE)
    // wald is R's fit$wald.test: from the robust variance when `robust` (then equal to
    // robust_wald). robust_score is R's fit$rscore, the score test at beta = 0 with the
    // sandwich variance of the score; NaN unless `robust`.
    CoxTest wald, lr, score, robust_wald, robust_score;
    double concordance = std::numeric_limits<double>::quiet_NaN();
    double concordance_se = std::numeric_limits<double>::quiet_NaN();
    // Weighted pair counts with the linear predictor (R's concordant, discordant, tied.x).
    double concordant = 0, discordant = 0, tied_risk = 0;
    int iterations = 0;
    bool converged = false;
    CoxTies ties = CoxTies::efron;
    std::size_t n = 0;         // rows used
    std::size_t events = 0;    // events among them
    std::size_t dropped = 0;   // rows dropped for missing values
    std::size_t times_merged = 0;
    std::vector<std::size_t> used_rows;    // input row index of each used row; empty when no row was dropped
    std::vector<CoxDiagnostic> diagnostics;
};

CoxRegression cox_regression(const CoxData& data, const CoxOptions& options = {});
// The same fit, releasing `data`'s rows once its sorted copy is made (left empty): at
// millions of rows the input is hundreds of megabytes the fit no longer reads.
CoxRegression cox_regression(CoxData&& data, const CoxOptions& options = {});

}  // namespace rwe::stats
