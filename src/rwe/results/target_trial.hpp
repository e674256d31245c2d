#pragma once
// The result of kind `target_trial`: the emulated trial of "at least k administrations by
// the grace period" against fewer, by cloning, censoring at deviation and inverse
// probability of censoring weights (docs/methods.md §8.7), beside the groups as received.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"

namespace rwe::results {

// The weights of an arm's rows (person-intervals).
struct WeightSummary {
    Count rows;
    Number sum;
    Number min;
    Number max;
    Number ess;  // Kish's effective sample size
    template <class V> void fields(V& v) {
        v("rows", rows);
        v("sum", sum);
        v("min", min);
        v("max", max);
        v("ess", ess);
    }
};

// The E-value of a hazard ratio (VanderWeele & Ding 2017; docs/methods.md §8.5).
struct EValue {
    std::string outcome;  // "rare" or "common" (or the suppression marker)
    Number risk_at_end;
    Number rr;
    Number e_value;
    Number e_value_limit;
    template <class V> void fields(V& v) {
        v("outcome", outcome);
        v("risk_at_end", risk_at_end);
        v("rr", rr);
        v("e_value", e_value);
        v("e_value_limit", e_value_limit);
    }
};

struct AsReceivedGroup {
    std::string name;
    Count n;
    Count events;
    Number median;
    Number median_lower;
    Number median_upper;
    template <class V> void fields(V& v) {
        v("name", name);
        v("n", n);
        v("events", events);
        v("median", median);
        v("median_lower", median_lower);
        v("median_upper", median_upper);
    }
};

struct HazardRatioEstimate {
    Number hr;
    Number lower;
    Number upper;
    Number p;
    template <class V> void fields(V& v) {
        v("hr", hr);
        v("lower", lower);
        v("upper", upper);
        v("p", p);
    }
};

// The patients grouped by the administrations received at any time (immortal time
// included): the comparison the emulation replaces.
struct AsReceived {
    std::string definition;
    std::vector<AsReceivedGroup> groups;
    std::optional<HazardRatioEstimate> hr;
    template <class V> void fields(V& v) {
        v("definition", definition);
        v("groups", groups);
        v("hr", hr);
    }
};

struct CensoringCoefficient {
    std::string name;
    Number coef;
    Number se;
    Number z;
    Number p;
    template <class V> void fields(V& v) {
        v("name", name);
        v("coef", coef);
        v("se", se);
        v("z", z);
        v("p", p);
    }
};

// The pooled logistic model of deviation that gives the censoring weights.
struct CensoringModel {
    Count rows;
    Count intervals;
    std::vector<CensoringCoefficient> coefficients;
    bool converged = false;
    long iterations = 0;
    std::vector<std::string> messages;
    template <class V> void fields(V& v) {
        v("rows", rows);
        v("intervals", intervals);
        v("coefficients", coefficients);
        v("converged", converged);
        v("iterations", iterations);
        v("messages", messages);
    }
};

struct TrialWeighting {
    Number cap;  // the truncation cap (null: none)
    Count truncated_rows;
    Count rows;
    template <class V> void fields(V& v) {
        v("cap", cap);
        v("truncated_rows", truncated_rows);
        v("rows", rows);
    }
};

struct TrialArm {
    std::string name;
    Count clones;
    Count events;
    Count censored_deviation;
    WeightSummary weights;
    std::optional<Suppressible<CurveSummary>> km;  // the weighted curve
    std::optional<Number> rmst;
    template <class V> void fields(V& v) {
        v("name", name);
        v("clones", clones);
        v("events", events);
        v("censored_deviation", censored_deviation);
        v("weights", weights);
        v("km", km);
        v("rmst", rmst);
    }
};

struct SurvivalDifferenceAt {
    double time = 0;
    Number surv_difference;
    template <class V> void fields(V& v) {
        v("time", time);
        v("surv_difference", surv_difference);
    }
};

// Arm A minus arm B.
struct TrialDifferences {
    std::vector<SurvivalDifferenceAt> at_times;
    Number rmst_tau;
    Number rmst_difference;
    template <class V> void fields(V& v) {
        v("at_times", at_times);
        v("rmst_tau", rmst_tau);
        v("rmst_difference", rmst_difference);
    }
};

// The weighted Cox model's hazard ratio of A against B with its robust variance.
struct TrialHazardRatio {
    std::string name;
    Number hr;
    Number lower;
    Number upper;
    Number p;
    Number log_hr;
    Number robust_se;
    Nullable<EValue> e_value;
    template <class V> void fields(V& v) {
        v("name", name);
        v("hr", hr);
        v("lower", lower);
        v("upper", upper);
        v("p", p);
        v("log_hr", log_hr);
        v("robust_se", robust_se);
        v("e_value", e_value);
    }
};

struct BootstrapAtTime {
    double time = 0;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("time", time);
        v("lower", lower);
        v("upper", upper);
    }
};

// Percentile intervals of the resamples.
struct TrialBootstrap {
    Count resamples;
    std::uint64_t seed = 0;
    Count failed;
    Number hr_lower;
    Number hr_upper;
    std::vector<BootstrapAtTime> surv_difference;
    Number rmst_difference_lower;
    Number rmst_difference_upper;
    template <class V> void fields(V& v) {
        v("resamples", resamples);
        v("seed", seed);
        v("failed", failed);
        v("hr_lower", hr_lower);
        v("hr_upper", hr_upper);
        v("surv_difference", surv_difference);
        v("rmst_difference_lower", rmst_difference_lower);
        v("rmst_difference_upper", rmst_difference_upper);
    }
};

// Kind `target_trial`.
struct TargetTrialResult {
    std::string endpoint;
    std::string description;
    std::string time_unit;
    std::vector<std::string> drugs;
    long min_count = 0;
    long grace_days = 0;
    long interval_days = 0;
    std::vector<std::string> covariates;
    bool stabilize = false;
    Number truncate;
    Count patients;
    Count clones;
    Count dropped;
    std::vector<std::string> strategies;
    bool estimable = false;
    std::optional<std::string> reason;  // why not estimable
    std::optional<AsReceived> as_received;
    std::optional<CensoringModel> censoring_model;
    std::optional<TrialWeighting> weighting;
    std::optional<std::vector<TrialArm>> arms;
    std::optional<TrialDifferences> differences;
    std::optional<TrialHazardRatio> hr;
    std::optional<TrialBootstrap> bootstrap;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("description", description);
        v("time_unit", time_unit);
        v("drugs", drugs);
        v("min_count", min_count);
        v("grace_days", grace_days);
        v("interval_days", interval_days);
        v("covariates", covariates);
        v("stabilize", stabilize);
        v("truncate", truncate);
        v("patients", patients);
        v("clones", clones);
        v("dropped", dropped);
        v("strategies", strategies);
        v("estimable", estimable);
        v("reason", reason);
        v("as_received", as_received);
        v("censoring_model", censoring_model);
        v("weighting", weighting);
        v("arms", arms);
        v("differences", differences);
        v("hr", hr);
        v("bootstrap", bootstrap);
        v("population", population);
    }
};

}  // namespace rwe::results
