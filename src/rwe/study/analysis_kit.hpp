#pragma once
// What the analysis kinds share (src/rwe/study/analysis_*.cpp, one file per kind): the
// context an analysis runs in, JSON helpers, survival data from ADTTE, descriptive
// tables and tests, and the runner of each kind. Internal to the study module.

#include <nlohmann/json.hpp>
#include "rwe/results/adverse_events.hpp"
#include "rwe/results/association.hpp"
#include "rwe/results/attrition.hpp"
#include "rwe/results/cuminc.hpp"
#include "rwe/results/landmark.hpp"
#include "rwe/results/response.hpp"
#include "rwe/results/table1.hpp"
#include "rwe/results/target_trial.hpp"
#include "rwe/results/cox.hpp"
#include "rwe/results/followup.hpp"
#include "rwe/results/iptw.hpp"
#include "rwe/results/km.hpp"
#include "rwe/results/logrank.hpp"

#include <limits>
#include <functional>
#include <string>
#include <vector>

#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/survival_counts.hpp"
#include "rwe/stats/survival_data.hpp"
#include "rwe/study/analysis_data.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/protocol.hpp"

namespace rwe::study::kit {

using nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Subjects selected by a mask (empty mask = everyone).
using Mask = std::vector<bool>;

struct Context {
    const StudyData& data;
    const Protocol& protocol;
    std::vector<std::string>& warnings;
    // Where an analysis leaves a patient-level dataset of its own (null: not wanted).
    std::vector<AnalysisDataset>* datasets = nullptr;
    // The store's counts for this analysis (rwe run --reduce store): `data` then has no
    // rows (its variables and endpoints describe the columns, the attrition is complete)
    // and the kinds that can reduce compute from these counts. Null: from data's rows.
    const StoreCounts* counted = nullptr;

    void warn(const Analysis& analysis, const std::string& key, const std::string& problem, const std::string& value) const {
        warnings.push_back(analysis_warning(protocol.path, analysis, key, problem, value));
    }
};

// Survival data for an endpoint, optionally grouped and stratified by ADSL variables and
// restricted to a subset of subjects; subjects with a missing group or stratum value are
// dropped and counted.
stats::SurvivalData survival_data(const TimeToEvent& endpoint, const Variable* group, const Mask& mask = {},
                                  const Variable* stratum = nullptr);

// An endpoint's records counted per (stratum, group) cell and distinct time, and what the
// Kaplan–Meier and log-rank kinds compute from: counted by rwe from ADTTE, or by the store
// (Context::counted). The cells are numbered as stats::kaplan_meier's: stratum * groups +
// group. Records with a missing group or stratum are dropped and counted.
struct EndpointCounts {
    std::vector<std::string> group_names;    // the group's levels; empty when ungrouped
    std::vector<std::string> stratum_names;  // the stratum's levels; empty when unstratified
    stats::SurvivalCounts counts;
    std::size_t dropped = 0;

    std::size_t rows() const;
    // The counts over all strata (cells = groups).
    stats::SurvivalCounts pooled() const;
};
EndpointCounts endpoint_counts(const Context& c, const TimeToEvent& endpoint, const Variable* group,
                               const Variable* stratum = nullptr, bool reverse = false);

// The level index in `variable` of a value as the store gives it (Context::counted): the
// protocol's spelling of a declared level as ADSL has it; -1 when missing.
std::int32_t store_level(const Context& c, const Variable& variable, const std::optional<std::string>& value);

// The AVAL of every record of an endpoint (in no particular order).
std::vector<double> endpoint_times(const Context& c, const TimeToEvent& endpoint);

stats::ConfType conf_type_of(const std::string& name);

// Per group: n, events and the median with its CI; and the log-rank test when there are
// two groups or more.
struct GroupedMedians {
    std::vector<results::GroupMedian> strata;
    std::optional<results::ChiSquareTest> log_rank;
};
GroupedMedians grouped_medians(const stats::SurvivalData& data, const Protocol& protocol);

// A curve and its summary: n, events, medians by both methods, S(t) at `times`, the steps.
results::CurveSummary curve_summary_of(const stats::KaplanMeierCurve& curve, const std::vector<double>& times);

// Median with its CI by `method` ("r": Brookmeyer–Crowley; "spss").
results::MedianEstimate primary_median_of(const results::CurveSummary& summary, const std::string& method);

// An ADSL variable that defines groups (or a categorical outcome): numeric variables have
// no levels, so every patient would silently drop out.
const Variable& categorical(const Context& c, const Analysis& analysis, const std::string& key, const std::string& name);

// The categorical variable an optional option names (`key` for messages); nullptr when absent.
const Variable* optional_categorical(const Context& c, const Analysis& analysis, const std::string& key,
                                     const std::optional<std::string>& name);

// A kind's typed options, read from its [[analysis]] table (checked when the protocol was
// read, docs/protocols.md): each key the options list that the table has is read into its
// field; an absent key leaves the field's default. Every key of the table must be listed by
// the kind's options (or be one every analysis has: id, kind, title, figure): one the
// runner does not read would be accepted and ignored, an internal error.
struct OptionsReader {
    const Analysis& analysis;
    std::vector<std::string> listed;
    template <class T> void operator()(const char* key, T& value) {
        listed.emplace_back(key);
        const auto found = analysis.options.find(key);
        if (found != analysis.options.end()) results::decode(*found, value, "analysis." + analysis.id + "." + key);
    }
};
void check_options_read(const Analysis& analysis, const std::vector<std::string>& listed);
template <class Options> Options read_options(const Analysis& analysis) {
    Options options;
    OptionsReader reader{analysis, {}};
    options.fields(reader);
    check_options_read(analysis, reader.listed);
    return options;
}

// A variable summarised over the rows of `mask` (all rows when empty).
results::VariableSummary describe_variable(const Variable& variable, const Mask& mask);

// The rows of a categorical variable at one of its levels.
Mask rows_at_level(const Variable& variable, const std::string& level);

// A test of independence between two categorical variables, chosen by Cochran's rule.
results::ContingencyTest association_test(const TextColumn& rows_of, const std::vector<std::string>& row_levels,
                                          const TextColumn& cols_of, const std::vector<std::string>& col_levels);
// The same from the table's counts (row-major, rows x columns) and the patients left out.
results::ContingencyTest association_test(const std::vector<std::string>& row_levels, const std::vector<std::string>& col_levels,
                                          const std::vector<double>& counts, std::size_t dropped);

// x of n as a percentage with its Clopper–Pearson 95% CI.
results::Proportion proportion(double x, double n);

// Registry terms are lower case (docs/registry.md); the protocol's are matched without case.
std::string lower(const std::string& text);

// Whether any patient of the cohort has an adverse event with this (lower-case) term.
bool term_in_cohort(const StudyData& data, const std::string& term);

// Coefficient k of a proportional-hazards fit (Cox, or Fine–Gray's crr: the same columns).
template <class Fit> results::CoxCoefficient coefficient_of(const Fit& fit, std::size_t k) {
    results::CoxCoefficient coefficient;
    coefficient.name = fit.names[k];
    coefficient.coef = fit.coef[k];
    coefficient.exp_coef = fit.exp_coef[k];
    coefficient.se = fit.se[k];
    coefficient.z = fit.z[k];
    coefficient.p = fit.p[k];
    coefficient.lower = fit.lower[k];
    coefficient.upper = fit.upper[k];
    return coefficient;
}

results::CoxFit cox_fit_of(const stats::CoxRegression& fit);

// The Cox model of a two-group survival data set on its group alone (second group against
// the first, named "<second> vs <first>"), with the protocol's ties.
results::CoxFit two_group_cox_fit(const stats::SurvivalData& data, const std::string& first, const std::string& second,
                                  const Protocol& protocol);

// Covariates by ADSL name for the rows of `subjects`, row-major into `x`: numeric as they
// are; categorical as treatment-contrast dummies against the first level (NaN when
// missing). Appends each column's name and term; returns a readable label per column
// ("HR: positive vs negative").
std::vector<std::string> covariate_columns(const StudyData& data, const std::vector<std::string>& names,
                                           const std::vector<std::size_t>& subjects, std::vector<double>& x,
                                           std::vector<std::string>& column_names, std::vector<std::string>& terms);

stats::CoxTies ties_of(const std::string& name);

// The runner of each kind (analysis_<kind>.cpp).
// The model's and the balance table's columns for the patients used: a number as it is; a
// category as one 0/1 column per level present (the balance table's, named NAME_LEVEL), of
// which the model takes every level but the first present (named NAMELEVEL, as R does).
struct Columns {
    std::vector<std::string> model_names, balance_names, balance_labels;
    std::vector<std::vector<double>> model, balance;
};

Columns covariate_matrix(const StudyData& data, const std::vector<std::string>& names, const std::vector<std::size_t>& subjects);

// The E-value of a hazard ratio and its limits (VanderWeele & Ding 2017; docs/methods.md
// §8.5) for an analysis of patients with follow-up `time` and events `event` (1/0): the
// outcome is taken as common, and the HR turned into a risk ratio by the square-root
// transform, when the Kaplan–Meier risk of the event by the last follow-up time of all these
// patients is 15% or more; as rare (HR taken as the risk ratio) otherwise. Null when the HR
// or a limit is not finite and positive.
results::Nullable<results::EValue> hazard_ratio_e_value(double hr, double lower, double upper, const std::vector<double>& time,
                                                         const std::vector<double>& event);

// A bootstrap's progress on stderr, "rwe run: analysis ID: bootstrap k of B", rewritten in
// place, and erased when the last resample is done; empty (no output) when stderr is not a
// terminal.
std::function<void(std::size_t, std::size_t)> bootstrap_progress(const Analysis& analysis);

results::AttritionResult run_attrition(const Context& c, const Analysis&);
results::Table1Result run_table1(const Context& c, const Analysis& analysis);
results::KmResult run_km(const Context& c, const Analysis& analysis);
results::FollowUpResult run_followup(const Context& c, const Analysis& analysis);
results::LogRankResult run_logrank(const Context& c, const Analysis& analysis);
results::ResponseResult run_response(const Context& c, const Analysis& analysis);
results::AdverseEventsResult run_adverse_events(const Context& c, const Analysis& analysis);
results::AssociationResult run_association(const Context& c, const Analysis& analysis);
results::CoxResult run_cox(const Context& c, const Analysis& analysis);
results::LandmarkResult run_landmark(const Context& c, const Analysis& analysis);
results::CumincResult run_cuminc(const Context& c, const Analysis& analysis);
results::IptwResult run_iptw(const Context& c, const Analysis& analysis);
results::PsMatchResult run_ps_match(const Context& c, const Analysis& analysis);
results::TargetTrialResult run_target_trial(const Context& c, const Analysis& analysis);

}  // namespace rwe::study::kit
