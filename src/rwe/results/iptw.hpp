#pragma once
// The results of kinds `iptw` (inverse probability of treatment weighting) and `ps_match`
// (nearest-neighbour matching on the propensity score): the propensity model, the weights,
// the covariate balance before and after, and the groups' curves and hazard ratio
// unadjusted and adjusted (docs/methods.md §8).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rwe/results/common.hpp"
#include "rwe/results/cox.hpp"
#include "rwe/results/target_trial.hpp"

namespace rwe::results {

struct PropensityCoefficient {
    std::string name;
    Number coef;
    Number se;
    Number z;
    Number p;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("name", name);
        v("coef", coef);
        v("se", se);
        v("z", z);
        v("p", p);
        v("lower", lower);
        v("upper", upper);
    }
};

// The logistic regression of the treatment on the covariates (R's glm).
struct PropensityModel {
    std::vector<PropensityCoefficient> coefficients;
    Number null_deviance;
    Number deviance;
    Number aic;
    long iterations = 0;
    bool converged = false;
    std::vector<std::string> messages;
    template <class V> void fields(V& v) {
        v("coefficients", coefficients);
        v("null_deviance", null_deviance);
        v("deviance", deviance);
        v("aic", aic);
        v("iterations", iterations);
        v("converged", converged);
        v("messages", messages);
    }
};

// A group's weights: its patients, those with a positive weight, the sum, extremes and ESS.
struct GroupWeights {
    Count n;
    Count n_weighted;
    Number sum;
    Number min;
    Number max;
    Number ess;
    template <class V> void fields(V& v) {
        v("n", n);
        v("n_weighted", n_weighted);
        v("sum", sum);
        v("min", min);
        v("max", max);
        v("ess", ess);
    }
};

struct WeightsByGroup {
    GroupWeights treated;
    GroupWeights control;
    template <class V> void fields(V& v) {
        v("treated", treated);
        v("control", control);
    }
};

// A covariate column (a number, or a level of a category) before and after adjustment.
struct BalanceRow {
    std::string name;
    std::string label;
    bool binary = false;
    Number mean_treated;
    Number mean_control;
    Number smd;
    Number variance_ratio;
    Number mean_treated_adjusted;
    Number mean_control_adjusted;
    Number smd_adjusted;
    Number variance_ratio_adjusted;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("binary", binary);
        v("mean_treated", mean_treated);
        v("mean_control", mean_control);
        v("smd", smd);
        v("variance_ratio", variance_ratio);
        v("mean_treated_adjusted", mean_treated_adjusted);
        v("mean_control_adjusted", mean_control_adjusted);
        v("smd_adjusted", smd_adjusted);
        v("variance_ratio_adjusted", variance_ratio_adjusted);
    }
};

// A group's Kaplan–Meier curve in a comparison (weighted when adjusted): its patients and
// those with the event, and the weighted sums.
struct ComparisonStratum {
    std::string name;
    std::string label;
    Count n;
    Count events;
    Number median;
    Number median_lower;
    Number median_upper;
    Suppressible<SpssMedian> median_spss;
    Suppressible<MedianEstimate> median_primary;
    CurveTable curve;
    std::optional<Number> weighted_n;
    std::optional<Number> weighted_events;
    template <class V> void fields(V& v) {
        v("name", name);
        v("label", label);
        v("n", n);
        v("events", events);
        v("median", median);
        v("median_lower", median_lower);
        v("median_upper", median_upper);
        v("median_spss", median_spss);
        v("median_primary", median_primary);
        v("curve", curve);
        v("weighted_n", weighted_n);
        v("weighted_events", weighted_events);
    }
};

// The Cox hazard ratio of the treated against the controls (robust variance when weighted,
// clustered by matched set when matched without replacement).
struct ComparisonHazardRatio {
    CoxCoefficient estimate;  // the treated against the controls: name, HR with its CI and p
    Count n;
    Count events;
    bool robust = false;
    std::string ties;
    std::vector<std::string> diagnostics;
    std::optional<Number> robust_se;
    std::optional<Count> clusters;
    std::optional<Nullable<EValue>> e_value;  // the adjusted comparison's
    template <class V> void fields(V& v) {
        estimate.fields(v);
        v("n", n);
        v("events", events);
        v("robust", robust);
        v("ties", ties);
        v("diagnostics", diagnostics);
        v("robust_se", robust_se);
        v("clusters", clusters);
        v("e_value", e_value);
    }
};

// One comparison, unadjusted or adjusted.
struct GroupComparison {
    bool weighted = false;
    bool robust_km = false;
    std::vector<ComparisonStratum> strata;
    ComparisonHazardRatio hazard_ratio;
    std::optional<std::vector<std::string>> messages;
    template <class V> void fields(V& v) {
        v("weighted", weighted);
        v("robust_km", robust_km);
        v("strata", strata);
        v("hazard_ratio", hazard_ratio);
        v("messages", messages);
    }
};

// Patients left out of the adjusted comparison (trimmed or unmatched) and their events.
struct LeftOut {
    Count n;
    Count events;
    template <class V> void fields(V& v) {
        v("n", n);
        v("events", events);
    }
};

struct IptwWeighting {
    Count trimmed;
    Count trimmed_events;
    std::map<std::string, LeftOut> trimmed_by_group;  // "treated", "control"
    Count truncated;
    Number cap;
    Number treated_share;
    template <class V> void fields(V& v) {
        v("trimmed", trimmed);
        v("trimmed_events", trimmed_events);
        v("trimmed_by_group", trimmed_by_group);
        v("truncated", truncated);
        v("cap", cap);
        v("treated_share", treated_share);
    }
};

struct Matching {
    std::size_t ratio = 1;
    Number caliper;
    Number caliper_distance;
    bool replace = false;
    std::string order;
    std::string distance;
    Count unmatched;
    Count unmatched_events;
    std::map<std::string, LeftOut> unmatched_by_group;
    template <class V> void fields(V& v) {
        v("ratio", ratio);
        v("caliper", caliper);
        v("caliper_distance", caliper_distance);
        v("replace", replace);
        v("order", order);
        v("distance", distance);
        v("unmatched", unmatched);
        v("unmatched_events", unmatched_events);
        v("unmatched_by_group", unmatched_by_group);
    }
};

struct DifferenceBootstrap {
    long replicates = 0;
    std::uint64_t seed = 0;
    Count failed;
    std::string method;
    double conf_level = 0.95;
    template <class V> void fields(V& v) {
        v("replicates", replicates);
        v("seed", seed);
        v("failed", failed);
        v("method", method);
        v("conf_level", conf_level);
    }
};

// Survival at a time, or the restricted mean to tau, of each weighted curve and treated
// minus control with its bootstrap interval.
struct WeightedDifference {
    std::optional<double> time;
    std::optional<double> tau;
    Number treated;
    Number control;
    Number difference;
    Number lower;
    Number upper;
    template <class V> void fields(V& v) {
        v("time", time);
        v("tau", tau);
        v("treated", treated);
        v("control", control);
        v("difference", difference);
        v("lower", lower);
        v("upper", upper);
    }
};

struct WeightedDifferences {
    DifferenceBootstrap bootstrap;
    std::vector<WeightedDifference> survival;
    std::optional<WeightedDifference> rmst;
    template <class V> void fields(V& v) {
        v("bootstrap", bootstrap);
        v("survival", survival);
        v("rmst", rmst);
    }
};

// What iptw and ps_match share: the comparison's patients and the propensity model.
struct PropensityComparison {
    std::string estimand;
    std::string smd_denominator;
    std::string endpoint;
    std::string description;
    std::string time_unit;
    std::string conf_type;
    std::string treatment;
    std::string treatment_label;
    std::vector<std::string> levels;  // control, treated
    std::vector<std::string> covariates;
    Count n;
    Count dropped;
    Count treated;
    Count controls;
    bool estimable = false;
    std::optional<std::string> reason;
    std::optional<std::vector<std::string>> covariate_labels;
    std::optional<std::vector<std::string>> level_labels;
    std::optional<PropensityModel> model;
    std::optional<WeightsByGroup> weights;
    std::optional<std::vector<BalanceRow>> balance;
    std::optional<GroupComparison> unadjusted;
    template <class V> void fields(V& v) {
        v("estimand", estimand);
        v("smd_denominator", smd_denominator);
        v("endpoint", endpoint);
        v("description", description);
        v("time_unit", time_unit);
        v("conf_type", conf_type);
        v("treatment", treatment);
        v("treatment_label", treatment_label);
        v("levels", levels);
        v("covariates", covariates);
        v("n", n);
        v("dropped", dropped);
        v("treated", treated);
        v("controls", controls);
        v("estimable", estimable);
        v("reason", reason);
        v("covariate_labels", covariate_labels);
        v("level_labels", level_labels);
        v("model", model);
        v("weights", weights);
        v("balance", balance);
        v("unadjusted", unadjusted);
    }
};

// Kind `iptw`.
struct IptwResult {
    PropensityComparison comparison;
    bool stabilize = true;
    Number trim;
    Number truncate;
    std::optional<IptwWeighting> weighting;
    std::optional<GroupComparison> weighted;
    std::optional<WeightedDifferences> differences;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        comparison.fields(v);
        v("stabilize", stabilize);
        v("trim", trim);
        v("truncate", truncate);
        v("weighting", weighting);
        v("weighted", weighted);
        v("differences", differences);
        v("population", population);
    }
};

// Kind `ps_match`.
struct PsMatchResult {
    PropensityComparison comparison;
    std::optional<Matching> matching;
    std::optional<GroupComparison> matched;
    std::optional<Population> population;
    template <class V> void fields(V& v) {
        comparison.fields(v);
        v("matching", matching);
        v("matched", matched);
        v("population", population);
    }
};

}  // namespace rwe::results
