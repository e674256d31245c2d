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

json weight_json(const stats::WeightSummary& w) {
    return {{"rows", w.n}, {"sum", num(w.sum)}, {"min", num(w.min)}, {"max", num(w.max)}, {"ess", num(w.ess)}};
}

// The comparison the emulation replaces, beside it: the patients grouped by the
// administrations they received over their whole follow-up (>= k against fewer), compared
// from the index date by Kaplan–Meier and an unweighted Cox model. A patient must live to
// receive k administrations, so this credits the >= k group with that survival (immortal
// time); it is reported so that the two answers can be read side by side.
json as_received(const Context& c, const stats::TargetTrialData& data, int min_count) {
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
    json groups = json::array();
    for (int g = 1; g >= 0; --g) {
        json entry{{"name", fmt::format("{} {}", g == 1 ? ">=" : "<", min_count)}, {"n", 0}, {"events", 0},
                   {"median", nullptr}, {"median_lower", nullptr}, {"median_upper", nullptr}};  // null: an empty group
        std::size_t n = 0, events = 0;
        for (std::size_t i = 0; i < survival.size(); ++i) {
            if (survival.group[i] != g) continue;
            ++n;
            events += survival.event[i] ? 1 : 0;
        }
        entry["n"] = n;
        entry["events"] = events;
        for (const auto& curve : km.curves) {
            if (curve.name != survival.group_names[static_cast<std::size_t>(g)]) continue;
            const json summary = curve_summary(curve, {});
            entry["median"] = summary["median"];
            entry["median_lower"] = summary["median_lower"];
            entry["median_upper"] = summary["median_upper"];
        }
        groups.push_back(std::move(entry));
    }
    json out{{"definition", fmt::format(">= {} administrations received at any time vs fewer, from the index date", min_count)},
             {"groups", std::move(groups)}};
    cox.names = {"at least vs fewer"};
    stats::CoxOptions cox_options;
    cox_options.ties = ties_of(c.protocol.stats.ties);
    const auto fit = stats::cox_regression(cox, cox_options);
    if (fit.coef.size() == 1 && std::isfinite(fit.exp_coef[0])) {
        out["hr"] = {{"hr", num(fit.exp_coef[0])}, {"lower", num(fit.lower[0])}, {"upper", num(fit.upper[0])}, {"p", num(fit.p[0])}};
    }
    return out;
}

}  // namespace

json run_target_trial(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    const auto& days = c.data.administration_days.at(analysis.id);
    const auto covariates = strings(analysis.options, "covariates");
    const int min_count = analysis.options.value("min_count", 6);
    const int grace_days = analysis.options.value("grace_days", 126);
    const int interval_days = analysis.options.value("interval_days", 21);
    const double unit = c.protocol.days_per_unit;
    stats::TargetTrialOptions options;
    options.min_count = min_count;
    options.grace_days = grace_days / unit;
    options.interval_days = interval_days / unit;
    options.stabilize = analysis.options.value("stabilize", false);
    options.truncate = analysis.options.value("truncate", 0.0);
    if (analysis.options.contains("times")) {
        for (const auto& t : analysis.options["times"]) options.times.push_back(t.get<double>());
    }
    options.rmst_tau = analysis.options.value("rmst_tau", 0.0);

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

    json out{{"endpoint", endpoint.paramcd}, {"description", endpoint.param}, {"time_unit", c.protocol.time_unit},
             {"drugs", strings(analysis.options, "drugs")}, {"min_count", min_count}, {"grace_days", grace_days},
             {"interval_days", interval_days}, {"covariates", covariates}, {"stabilize", options.stabilize},
             {"truncate", num(options.truncate > 0 ? options.truncate : std::nan(""))},
             {"patients", subjects.size()}, {"clones", 2 * subjects.size()}, {"dropped", dropped},
             {"strategies",
              {fmt::format(">= {} administrations by day {}", min_count, grace_days),
               fmt::format("< {} administrations by day {}", min_count, grace_days)}}};
    if (subjects.empty()) {
        const std::string reason = "not estimable: no patient with the endpoint and every covariate known";
        c.warn(analysis, "endpoint", reason, endpoint.paramcd);
        out["estimable"] = false;
        out["reason"] = reason;
        return out;
    }
    out["as_received"] = as_received(c, data, min_count);
    options.keep_rows = false;  // only their count is reported
    const auto result = stats::target_trial(data, options);
    for (const auto& message : result.messages) c.warn(analysis, "min_count", message, std::to_string(min_count));

    json coefficients = json::array();
    const auto& model = result.censoring_model;
    for (std::size_t k = 0; k < model.names.size(); ++k) {
        coefficients.push_back({{"name", model.names[k]}, {"coef", num(model.coef[k])}, {"se", num(model.se[k])},
                                {"z", num(model.z[k])}, {"p", num(model.p[k])}});
    }
    out["censoring_model"] = {{"rows", result.model_rows}, {"intervals", result.intervals},
                              {"coefficients", std::move(coefficients)}, {"converged", model.converged},
                              {"iterations", model.iterations}, {"messages", model.messages}};
    out["weighting"] = {{"cap", num(std::isfinite(result.truncation_cap) ? result.truncation_cap : std::nan(""))},
                        {"truncated_rows", result.truncated_rows}, {"rows", result.row_count}};
    json arms = json::array();
    for (const auto& arm : result.arms) {
        json entry{{"name", arm.name}, {"clones", arm.clones}, {"events", arm.events},
                   {"censored_deviation", arm.censored_deviation}, {"weights", weight_json(arm.weights)}};
        if (!arm.curve.time.empty()) {
            entry["km"] = curve_summary(arm.curve, options.times);
            entry["rmst"] = num(arm.rmst.rmean);
        }
        arms.push_back(std::move(entry));
    }
    out["arms"] = std::move(arms);
    const bool estimable = result.estimable && result.arms[0].clones > 0 && result.arms[1].clones > 0;
    out["estimable"] = estimable;
    if (!estimable) {
        const std::string reason = "not estimable: " + (result.messages.empty() ? std::string("an arm is empty or has no events")
                                                                                 : result.messages.back());
        c.warn(analysis, "min_count", reason, std::to_string(min_count));
        out["reason"] = reason;
        return out;
    }
    json differences = json::array();
    for (std::size_t i = 0; i < options.times.size(); ++i) {
        differences.push_back({{"time", options.times[i]}, {"surv_difference", num(result.surv_difference[i])}});
    }
    out["differences"] = {{"at_times", std::move(differences)}, {"rmst_tau", num(options.rmst_tau > 0 ? options.rmst_tau : std::nan(""))},
                          {"rmst_difference", num(result.rmst_difference)}};
    out["hr"] = {{"name", "A vs B"}, {"hr", num(result.hr)}, {"lower", num(result.hr_lower)}, {"upper", num(result.hr_upper)},
                 {"p", num(result.hr_p)}, {"log_hr", num(result.cox.coef[0])}, {"robust_se", num(result.cox.robust_se[0])}};
    {
        std::vector<double> events(data.event.begin(), data.event.end());
        out["hr"]["e_value"] = hazard_ratio_e_value(result.hr, result.hr_lower, result.hr_upper, data.time, events);
    }
    const long long resamples = analysis.options.value("bootstrap", 0LL);
    if (resamples > 0) {
        const auto seed = static_cast<std::uint64_t>(analysis.options.value("seed", 20160101LL));
        const auto boot = stats::target_trial_bootstrap(data, options, static_cast<std::size_t>(resamples), seed, bootstrap_progress(analysis));
        json at_times = json::array();
        for (std::size_t i = 0; i < options.times.size(); ++i) {
            at_times.push_back({{"time", options.times[i]}, {"lower", num(boot.surv_difference_lower[i])},
                                {"upper", num(boot.surv_difference_upper[i])}});
        }
        out["bootstrap"] = {{"resamples", boot.resamples}, {"seed", boot.seed}, {"failed", boot.failed},
                            {"hr_lower", num(boot.hr_lower)}, {"hr_upper", num(boot.hr_upper)},
                            {"surv_difference", std::move(at_times)},
                            {"rmst_difference_lower", num(boot.rmst_difference_lower)},
                            {"rmst_difference_upper", num(boot.rmst_difference_upper)}};
        if (boot.failed > 0) {
            c.warn(analysis, "bootstrap", fmt::format("{} of {} resamples not estimable, left out of the intervals", boot.failed, resamples),
                   std::to_string(resamples));
        }
    }
    return out;
}

}  // namespace rwe::study::kit
