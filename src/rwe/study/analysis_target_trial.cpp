// Target trial emulation of "at least min_count administrations of the drugs by grace_days"
// against fewer, by cloning, artificial censoring at deviation and inverse probability of
// censoring weights (docs/methods.md §8.7; rwe/stats/target_trial.hpp).
#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "rwe/study/analysis_options.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/survival_data.hpp"
#include "rwe/stats/target_trial.hpp"

namespace rwe::study::kit {

namespace {

results::WeightSummary weight_summary_of(const stats::WeightSummary& w) { return {w.n, w.sum, w.min, w.max, w.ess}; }

// The comparison the emulation replaces, beside it: the patients grouped by the
// administrations they received over their whole follow-up (>= k against fewer), compared
// from the index date by Kaplan–Meier and an unweighted Cox model. A patient must live to
// receive k administrations, so this credits the >= k group with that survival (immortal
// time); it is reported so that the two answers can be read side by side.
results::AsReceived as_received(const Context& c, const stats::TargetTrialData& data, int min_count) {
    stats::SurvivalData survival;
    survival.group_names = {"fewer", "at least"};
    stats::CoxData cox;
    for (std::size_t i = 0; i < data.time.size(); ++i) {
        std::vector<double> days(data.administrations[i].begin(), data.administrations[i].end());
        std::sort(days.begin(), days.end());
        days.erase(std::unique(days.begin(), days.end()), days.end());
        const int group = static_cast<int>(days.size()) >= min_count ? 1 : 0;
        survival.time.push_back(data.time[i]);
        survival.event.push_back(data.event[i]);
        survival.group.push_back(group);
        cox.stop.push_back(data.time[i]);
        cox.event.push_back(data.event[i]);
        cox.x.push_back(group);
    }
    stats::merge_survival_times(survival);
    stats::KaplanMeierOptions options;
    options.conf_type = conf_type_of(c.protocol.stats.conf_type);
    const auto km = stats::kaplan_meier(survival, options);
    results::AsReceived out;
    out.definition = fmt::format(">= {} administrations received at any time vs fewer, from the index date", min_count);
    for (int g = 1; g >= 0; --g) {
        results::AsReceivedGroup entry;  // medians null: an empty group
        entry.name = fmt::format("{} {}", g == 1 ? ">=" : "<", min_count);
        std::size_t n = 0, events = 0;
        for (std::size_t i = 0; i < survival.size(); ++i) {
            if (survival.group[i] != g) continue;
            ++n;
            events += survival.event[i] ? 1 : 0;
        }
        entry.n = n;
        entry.events = events;
        for (const auto& curve : km.curves) {
            if (curve.name != survival.group_names[static_cast<std::size_t>(g)]) continue;
            const auto median = stats::median_survival(curve);
            entry.median = median.estimate;
            entry.median_lower = median.lower;
            entry.median_upper = median.upper;
        }
        out.groups.push_back(std::move(entry));
    }
    cox.names = {"at least vs fewer"};
    stats::CoxOptions cox_options;
    cox_options.ties = ties_of(c.protocol.stats.ties);
    const auto fit = stats::cox_regression(cox, cox_options);
    if (fit.coef.size() == 1 && std::isfinite(fit.exp_coef[0])) {
        out.hr = results::HazardRatioEstimate{fit.exp_coef[0], fit.lower[0], fit.upper[0], fit.p[0]};
    }
    return out;
}

// (drugs: the administrations counted, read with the study data: StudyData::administration_days)
struct TargetTrialOptions {
    std::string endpoint = "OS";
    std::vector<std::string> drugs;
    long min_count = 0;
    long grace_days = 0;
    long interval_days = 21;
    std::vector<std::string> covariates;
    double truncate = 0;  // none when 0
    bool stabilize = false;
    std::vector<double> times;
    double rmst_tau = 0;  // none when 0
    long bootstrap = 0;   // resamples
    std::uint64_t seed = 20160101;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("drugs", drugs);
        v("min_count", min_count);
        v("grace_days", grace_days);
        v("interval_days", interval_days);
        v("covariates", covariates);
        v("truncate", truncate);
        v("stabilize", stabilize);
        v("times", times);
        v("rmst_tau", rmst_tau);
        v("bootstrap", bootstrap);
        v("seed", seed);
    }
};

}  // namespace

results::TargetTrialResult run_target_trial(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<TargetTrialOptions>(analysis);
    const auto& endpoint = c.data.endpoint(options_read.endpoint);
    const auto& days = c.data.administration_days.at(analysis.id);
    const auto& covariates = options_read.covariates;
    const int min_count = static_cast<int>(options_read.min_count);
    const int grace_days = static_cast<int>(options_read.grace_days);
    const int interval_days = static_cast<int>(options_read.interval_days);
    const double unit = c.protocol.days_per_unit;
    stats::TargetTrialOptions options;
    options.min_count = min_count;
    options.grace_days = grace_days / unit;
    options.interval_days = interval_days / unit;
    options.stabilize = options_read.stabilize;
    options.truncate = options_read.truncate;
    options.times = options_read.times;
    options.rmst_tau = options_read.rmst_tau;

    // The patients with the endpoint and every covariate known; times in the protocol's unit.
    std::vector<std::size_t> subjects;
    stats::TargetTrialData data;
    std::size_t dropped = 0;
    for (const auto& record : endpoint.records) {
        const std::size_t s = record.subject;
        bool complete = !std::isnan(record.aval) && record.aval >= 0;
        for (const auto& name : covariates) {
            const Variable& variable = c.data.adsl.at(name);
            complete = complete && (variable.numeric ? !std::isnan(variable.numbers[s]) : !variable.values[s].empty());
        }
        if (!complete) {
            ++dropped;
            continue;
        }
        subjects.push_back(s);
        data.time.push_back(record.aval);
        data.event.push_back(record.cnsr == 0 ? 1 : 0);
        std::vector<double> given;
        for (const int day : days[s]) given.push_back(day / unit);
        data.administrations.push_back(given);
    }
    {  // the columns are released once copied into the model's rows
        const Columns columns = covariate_matrix(c.data, covariates, subjects);
        data.names = columns.model_names;
        data.x.resize(subjects.size() * columns.model.size());
        for (std::size_t row = 0; row < subjects.size(); ++row) {
            for (std::size_t k = 0; k < columns.model.size(); ++k) data.x[row * columns.model.size() + k] = columns.model[k][row];
        }
    }

    results::TargetTrialResult out;
    out.endpoint = endpoint.paramcd;
    out.description = endpoint.param;
    out.time_unit = c.protocol.time_unit;
    out.drugs = options_read.drugs;
    out.min_count = min_count;
    out.grace_days = grace_days;
    out.interval_days = interval_days;
    out.covariates = covariates;
    out.stabilize = options.stabilize;
    out.truncate = options.truncate > 0 ? options.truncate : std::nan("");
    out.patients = subjects.size();
    out.clones = 2 * subjects.size();
    out.dropped = dropped;
    out.strategies = {fmt::format(">= {} administrations by day {}", min_count, grace_days),
                      fmt::format("< {} administrations by day {}", min_count, grace_days)};
    if (subjects.empty()) {
        const std::string reason = "not estimable: no patient with the endpoint and every covariate known";
        c.warn(analysis, "endpoint", reason, endpoint.paramcd);
        out.estimable = false;
        out.reason = reason;
        return out;
    }
    out.as_received = as_received(c, data, min_count);
    options.keep_rows = false;  // only their count is reported
    const auto result = stats::target_trial(data, options);
    for (const auto& message : result.messages) c.warn(analysis, "min_count", message, std::to_string(min_count));

    const auto& model = result.censoring_model;
    results::CensoringModel censoring{result.model_rows, result.intervals, {}, model.converged, model.iterations, model.messages};
    for (std::size_t k = 0; k < model.names.size(); ++k) {
        censoring.coefficients.push_back({model.names[k], model.coef[k], model.se[k], model.z[k], model.p[k]});
    }
    out.censoring_model = std::move(censoring);
    out.weighting = results::TrialWeighting{std::isfinite(result.truncation_cap) ? result.truncation_cap : std::nan(""),
                                            result.truncated_rows, result.row_count};
    out.arms.emplace();
    for (const auto& arm : result.arms) {
        results::TrialArm entry;
        entry.name = arm.name;
        entry.clones = arm.clones;
        entry.events = arm.events;
        entry.censored_deviation = arm.censored_deviation;
        entry.weights = weight_summary_of(arm.weights);
        if (!arm.curve.time.empty()) {
            entry.km = curve_summary_of(arm.curve, options.times);
            entry.rmst = arm.rmst.rmean;
        }
        out.arms->push_back(std::move(entry));
    }
    const bool estimable = result.estimable && result.arms[0].clones > 0 && result.arms[1].clones > 0;
    out.estimable = estimable;
    if (!estimable) {
        const std::string reason = "not estimable: " + (result.messages.empty() ? std::string("an arm is empty or has no events")
                                                                                 : result.messages.back());
        c.warn(analysis, "min_count", reason, std::to_string(min_count));
        out.reason = reason;
        return out;
    }
    results::TrialDifferences differences;
    for (std::size_t i = 0; i < options.times.size(); ++i) differences.at_times.push_back({options.times[i], result.surv_difference[i]});
    differences.rmst_tau = options.rmst_tau > 0 ? options.rmst_tau : std::nan("");
    differences.rmst_difference = result.rmst_difference;
    out.differences = std::move(differences);
    results::TrialHazardRatio hr{"A vs B", result.hr, result.hr_lower, result.hr_upper, result.hr_p, result.cox.coef[0], result.cox.robust_se[0], {}};
    {
        std::vector<double> events(data.event.begin(), data.event.end());
        hr.e_value = hazard_ratio_e_value(result.hr, result.hr_lower, result.hr_upper, data.time, events);
    }
    out.hr = std::move(hr);
    const long long resamples = options_read.bootstrap;
    if (resamples > 0) {
        const auto seed = options_read.seed;
        const auto boot = stats::target_trial_bootstrap(data, options, static_cast<std::size_t>(resamples), seed, bootstrap_progress(analysis));
        results::TrialBootstrap bootstrap;
        bootstrap.resamples = boot.resamples;
        bootstrap.seed = boot.seed;
        bootstrap.failed = boot.failed;
        bootstrap.hr_lower = boot.hr_lower;
        bootstrap.hr_upper = boot.hr_upper;
        for (std::size_t i = 0; i < options.times.size(); ++i) {
            bootstrap.surv_difference.push_back({options.times[i], boot.surv_difference_lower[i], boot.surv_difference_upper[i]});
        }
        bootstrap.rmst_difference_lower = boot.rmst_difference_lower;
        bootstrap.rmst_difference_upper = boot.rmst_difference_upper;
        out.bootstrap = std::move(bootstrap);
        if (boot.failed > 0) {
            c.warn(analysis, "bootstrap", fmt::format("{} of {} resamples not estimable, left out of the intervals", boot.failed, resamples),
                   std::to_string(resamples));
        }
    }
    return out;
}

}  // namespace rwe::study::kit
