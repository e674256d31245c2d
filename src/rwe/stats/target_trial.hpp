#pragma once
// Target trial emulation of a sustained treatment strategy defined by a count of
// administrations by a grace period, by cloning, artificial censoring at deviation and
// inverse probability of censoring weights (Hernán & Robins 2016; Maringe et al. 2020;
// docs/methods.md §8.7, step by step).
//
// Strategy A: at least k administrations by day d; strategy B: fewer than k by day d.
// Every patient is cloned into both arms at day 0. A clone of A is censored at d when its
// k-th administration has not come by d and it is still followed at d; a clone of B is
// censored on the day of its k-th administration when that day is <= d and before the end
// of its follow-up. The censoring model is a pooled logistic regression over intervals of
// the grace period; the weighted Kaplan–Meier curves, their differences and a weighted Cox
// model with a robust variance clustered by patient compare the arms.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "rwe/common/flat_lists.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/logistic_regression.hpp"
#include "rwe/stats/propensity_weights.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"

namespace rwe::stats {

// Per patient a list of days.
using AdministrationDays = FlatLists<double>;

// One row per patient. Times are days from the index date (time zero of the trial).
struct TargetTrialData {
    std::vector<double> time;                     // end of follow-up, >= 0
    std::vector<std::uint8_t> event;              // 1 = event at `time`, 0 = censored
    AdministrationDays administrations;           // days of the strategy's administrations (any order)
    std::vector<double> x;                        // baseline covariates, row-major (rows * names.size())
    std::vector<std::string> names;               // covariate names (already coded: indicators for categories)
};

struct TargetTrialOptions {
    int min_count = 1;          // k
    double grace_days = 0;      // d, > 0
    double interval_days = 21;  // length of the censoring model's intervals, > 0
    bool stabilize = false;     // numerator from the model with the time terms only
    double truncate = 0;        // 0 = none; else the quantile q in (0, 1) at which weights are capped
    std::vector<double> times;  // survival reported at these times
    double rmst_tau = 0;        // 0 = no restricted mean
    double conf_level = 0.95;
    // false: the estimates alone (Greenwood variance of the curves, model variance of the Cox
    // model: their point estimates are the same), as the bootstrap's replicates need
    bool robust_variance = true;
    // false: the (start, stop] rows are released once the curves and the Cox model are made
    // (TargetTrial::row_count still counts them): at 1,000,000 patients they are about a
    // gigabyte, and the fit's copy another.
    bool keep_rows = true;
};

// The (start, stop] rows of the clones: arm 0 = A, 1 = B; patient = input row index.
struct TargetTrialRows {
    std::vector<double> start, stop, weight;
    std::vector<std::uint8_t> event;
    std::vector<std::uint8_t> arm;
    std::vector<std::int32_t> patient;
    std::size_t size() const noexcept { return stop.size(); }
};

struct TargetTrialArm {
    std::string name;                  // "A" or "B"
    std::size_t clones = 0;            // clones with follow-up (at least one row)
    std::size_t events = 0;            // events counted in the arm
    std::size_t censored_deviation = 0;  // clones censored at deviation from the strategy
    WeightSummary weights;             // over the arm's rows
    KaplanMeierCurve curve;            // weighted, robust variance clustered by patient
    SurvivalQuantile median;
    SurvivalAtTimes at_times;
    RestrictedMean rmst;               // tau = rmst_tau; NaN when not asked
};

struct TargetTrial {
    std::size_t patients = 0;
    std::size_t intervals = 0;                 // intervals of the grace period
    // The models' coefficients and diagnostics; their per-row fitted values and linear
    // predictors are released once the weights are made (empty).
    LogisticRegression censoring_model;        // denominator: time terms and covariates
    LogisticRegression numerator_model;        // time terms only (stabilize)
    std::size_t model_rows = 0;                // person-intervals of the censoring model
    double truncation_cap = 0;                 // weight cap; Inf without truncation
    std::size_t truncated_rows = 0;
    TargetTrialRows rows;                      // empty unless options.keep_rows
    std::size_t row_count = 0;                 // the clones' (start, stop] rows
    TargetTrialArm arms[2];
    std::vector<double> surv_difference;       // A - B at options.times (NaN past follow-up)
    double rmst_difference = 0;                // A - B; NaN when not asked
    CoxRegression cox;                         // arm A (1) vs B (0), robust variance by patient
    double hr = 0, hr_lower = 0, hr_upper = 0, hr_p = 0;
    bool estimable = false;                    // both arms have rows and events
    std::vector<std::string> messages;
};

// Preconditions: sizes agree, no NaN, time >= 0, event 0/1, options checked by the caller
// (min_count >= 1, grace_days > 0, interval_days > 0, truncate in [0, 1)).
TargetTrial target_trial(const TargetTrialData& data, const TargetTrialOptions& options);

// Percentile bootstrap of the emulated trial (docs/methods.md §8.7, step 7): `resamples`
// samples of the patients with replacement (a patient's two clones together; a patient drawn
// twice is two patients), each refitted from the censoring model on. Resample b = 1..resamples
// is stats::bootstrap_resample(seed, b, n), as the iptw kind's: the same seed gives the same
// numbers on every platform, and a test can rebuild any resample alone.
struct TargetTrialBootstrap {
    std::size_t resamples = 0;
    std::size_t failed = 0;  // resamples where the HR (or a difference) was not estimable; left out
    std::uint64_t seed = 0;
    double log_hr_lower = 0, log_hr_upper = 0, hr_lower = 0, hr_upper = 0;
    std::vector<double> surv_difference_lower, surv_difference_upper;  // per options.times
    double rmst_difference_lower = 0, rmst_difference_upper = 0;
};

// Percentile intervals at options.conf_level (stats::percentile_interval: R's quantile type 7
// of the finite replicates).
// The resamples run on two threads; the result does not depend on the order they finish in.
// `progress(done, resamples)`, when given, is called after each resample (one call at a time).
TargetTrialBootstrap target_trial_bootstrap(const TargetTrialData& data, const TargetTrialOptions& options,
                                            std::size_t resamples, std::uint64_t seed,
                                            const std::function<void(std::size_t, std::size_t)>& progress = {});

}  // namespace rwe::stats
