// Confounding-adjusted comparison of two groups of a binary variable by inverse probability
// of treatment weighting (kind iptw, docs/methods.md §8.6) or nearest-neighbour matching
// (kind ps_match, §8.9): the propensity score of the second level (R's glm(family =
// binomial)), its weights or matched sets, the covariates' balance before and after, and
// Kaplan–Meier curves and a Cox hazard ratio of the two groups, unadjusted and adjusted.
#include "rwe/study/analysis_kit.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "rwe/common/error.hpp"
#include "rwe/common/parallel.hpp"
#include "rwe/common/text.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/stats/covariate_balance.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/logistic_regression.hpp"
#include "rwe/stats/propensity_matching.hpp"
#include "rwe/stats/propensity_weights.hpp"
#include "rwe/stats/bootstrap.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/time_fix.hpp"

namespace rwe::study::kit {

namespace {

[[noreturn]] void refuse(const Context& c, const Analysis& analysis, const std::string& key, const std::string& problem,
                         const std::string& value) {
    throw InputError(c.protocol.path, analysis_line(analysis, key), "analysis." + analysis.id + "." + key, problem, value);
}

std::string level_text(const Variable& variable, const std::string& level) {
    auto found = variable.value_labels.find(level);
    return found == variable.value_labels.end() ? level : found->second;
}

std::string join_names(const std::vector<std::string>& names, const char* separator) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : separator) + name;
    return out;
}

std::vector<double> row_major(const std::vector<std::vector<double>>& columns, std::size_t rows) {
    std::vector<double> x(rows * columns.size());
    for (std::size_t i = 0; i < rows; ++i) {
        for (std::size_t k = 0; k < columns.size(); ++k) x[i * columns.size() + k] = columns[k][i];
    }
    return x;
}

results::GroupWeights weight_summary(const std::vector<double>& treated, const std::vector<double>& weight, double group) {
    const auto w = stats::summarize_weights(weight, treated, group);
    return {w.n, w.n_weighted, w.sum, w.min, w.max, w.ess};
}

results::WeightsByGroup weights_by_group(const std::vector<double>& treated, const std::vector<double>& weight) {
    return {weight_summary(treated, weight, 1), weight_summary(treated, weight, 0)};
}

// One comparison (unadjusted or weighted) of the rows with a positive weight: a Kaplan–Meier
// curve per group with its median, and the Cox hazard ratio of the treated against the
// controls (robust variance when weighted, as R's coxph(weights =, robust = TRUE); summed
// within `cluster`, when given, as coxph(cluster =)).
results::GroupComparison comparison(const Context& c, const std::vector<double>& time, const std::vector<double>& event,
                const std::vector<double>& treated, const std::vector<double>* weight, const Variable& treatment,
                const std::vector<std::string>& levels, const std::vector<std::int32_t>* cluster = nullptr) {
    stats::SurvivalData data;
    data.group_names = levels;
    stats::CoxData cox;
    for (std::size_t i = 0; i < time.size(); ++i) {
        if (weight != nullptr && !((*weight)[i] > 0)) continue;
        data.time.push_back(time[i]);
        data.event.push_back(static_cast<std::uint8_t>(event[i] != 0 ? 1 : 0));
        data.group.push_back(treated[i] == 1 ? 1 : 0);
        cox.stop.push_back(time[i]);
        cox.event.push_back(event[i]);
        cox.x.push_back(treated[i]);
        if (weight != nullptr) {
            data.weight.push_back((*weight)[i]);
            cox.weight.push_back((*weight)[i]);
        }
        if (cluster != nullptr) cox.cluster.push_back((*cluster)[i]);
    }
    stats::merge_survival_times(data);
    const std::string conf = c.protocol.stats.conf_type;
    stats::KaplanMeierOptions options;
    options.conf_type = conf_type_of(conf);
    const auto km = stats::kaplan_meier(data, options);
    results::GroupComparison out;
    out.weighted = weight != nullptr;
    out.robust_km = km.robust;
    for (const auto& curve : km.curves) {
        const results::CurveSummary summary = curve_summary_of(curve, {});
        results::ComparisonStratum stratum;
        stratum.name = summary.name;
        stratum.n = summary.n;
        stratum.median = summary.median;
        stratum.median_lower = summary.median_lower;
        stratum.median_upper = summary.median_upper;
        stratum.median_spss = summary.median_spss;
        stratum.median_primary = primary_median_of(summary, c.protocol.stats.median_ci);
        stratum.curve = summary.curve;
        const std::size_t g = curve.name == levels[1] ? 1 : 0;
        stratum.label = level_text(treatment, levels[g]);
        std::size_t events = 0;
        for (std::size_t i = 0; i < data.size(); ++i) events += data.group[i] == static_cast<std::int32_t>(g) && data.event[i] ? 1 : 0;
        stratum.events = events;  // patients with the event; the weighted sum is weighted_events
        if (weight != nullptr) {
            double sum = 0;
            for (std::size_t i = 0; i < data.size(); ++i) sum += data.group[i] == static_cast<std::int32_t>(g) ? data.weight[i] : 0;
            stratum.weighted_n = sum;
            stratum.weighted_events = curve.events;
        }
        out.strata.push_back(std::move(stratum));
    }
    cox.names = {levels[1] + " vs " + levels[0]};
    stats::CoxOptions cox_options;
    cox_options.ties = ties_of(c.protocol.stats.ties);
    cox_options.variance = weight != nullptr ? stats::CoxVariance::robust : stats::CoxVariance::model;
    const auto fit = stats::cox_regression(cox, cox_options);
    results::ComparisonHazardRatio& hr = out.hazard_ratio;
    for (const auto& d : fit.diagnostics) hr.diagnostics.push_back(d.message);
    hr.estimate = coefficient_of(fit, 0);
    hr.n = fit.n;
    hr.events = fit.events;
    hr.robust = fit.robust;
    hr.ties = fit.ties == stats::CoxTies::efron ? "efron" : "breslow";
    if (fit.robust) hr.robust_se = fit.robust_se[0];
    if (cluster != nullptr) {
        std::vector<std::int32_t> used = cox.cluster;
        std::sort(used.begin(), used.end());
        hr.clusters = static_cast<std::size_t>(std::unique(used.begin(), used.end()) - used.begin());
    }
    if (!km.messages.empty()) out.messages = km.messages;
    return out;
}


// The weighted Kaplan–Meier curves' survival at `times` and restricted mean to `tau` of the
// treated (1) and control (0) rows with a positive weight (all rows when `weight` is null):
// the quantities whose differences the bootstrap gives intervals for.
struct Contrast {
    bool estimable = false;              // both groups have rows
    std::vector<double> surv[2];         // per group, at each time
    double rmst[2] = {NAN, NAN};         // per group, when tau > 0
};

Contrast contrast(const std::vector<double>& time, const std::vector<double>& event, const std::vector<double>& treated,
                  const std::vector<double>* weight, const std::vector<double>& times, double tau, bool time_fix = true) {
    stats::SurvivalData data;
    data.group_names = {"0", "1"};
    for (std::size_t i = 0; i < time.size(); ++i) {
        if (weight != nullptr && !((*weight)[i] > 0)) continue;
        data.time.push_back(time[i]);
        data.event.push_back(static_cast<std::uint8_t>(event[i] != 0 ? 1 : 0));
        data.group.push_back(treated[i] == 1 ? 1 : 0);
        if (weight != nullptr) data.weight.push_back((*weight)[i]);
    }
    if (time_fix) stats::merge_survival_times(data);
    stats::KaplanMeierOptions options;
    options.variance = stats::KmVariance::greenwood;
    const auto km = stats::kaplan_meier(data, options);
    Contrast out;
    int found = 0;
    for (const auto& curve : km.curves) {
        const int g = curve.name == "1" ? 1 : 0;
        ++found;
        for (double t : times) out.surv[g].push_back(stats::survival_value_at(curve, t));
        if (tau > 0) out.rmst[g] = stats::restricted_mean(curve, tau).rmean;
    }
    out.estimable = found == 2;
    return out;
}

// Whether a resample of these times could hold near-equal times that R's time fix merges
// (methods §1.1): not when every gap between distinct times exceeds the tolerance both
// absolutely and relative to the largest |time|, which bounds the mean |time| of any
// resample (a resample's gaps are sums of these). Then the resamples skip the time fix.
bool resamples_need_time_fix(const std::vector<double>& time) {
    std::vector<double> distinct;
    for (double t : time) {
        if (std::isfinite(t)) distinct.push_back(t);
    }
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    double largest = 0;
    for (double t : distinct) largest = std::max(largest, std::fabs(t));
    for (std::size_t k = 1; k < distinct.size(); ++k) {
        const double gap = distinct[k] - distinct[k - 1];
        if (!(gap > stats::time_fix_tolerance && gap > stats::time_fix_tolerance * largest)) return true;
    }
    return false;
}

}  // namespace

Columns covariate_matrix(const StudyData& data, const std::vector<std::string>& names, const std::vector<std::size_t>& subjects) {
    Columns out;
    for (const auto& name : names) {
        const Variable& variable = data.adsl.at(name);
        if (variable.numeric) {
            std::vector<double> column;
            for (auto s : subjects) column.push_back(variable.numbers[s]);
            out.model_names.push_back(name);
            out.balance_names.push_back(name);
            out.balance_labels.push_back(variable.label);
            out.model.push_back(column);
            out.balance.push_back(std::move(column));
            continue;
        }
        bool first = true;
        for (const auto& level : variable.levels) {
            std::vector<double> column;
            bool present = false;
            for (auto s : subjects) {
                const bool at = variable.values[s] == level;
                present |= at;
                column.push_back(at ? 1.0 : 0.0);
            }
            if (!present) continue;
            out.balance_names.push_back(name + "_" + level);
            out.balance_labels.push_back(variable.label + ": " + level_text(variable, level));
            out.balance.push_back(column);
            if (first) {
                first = false;
                continue;
            }
            out.model_names.push_back(name + level);
            out.model.push_back(std::move(column));
        }
    }
    return out;
}

namespace {

// The patients of a propensity-score comparison (kinds iptw and ps_match): those with the
// endpoint, one of the treatment's two levels and every covariate known; the second level
// present is "treated". `estimable` is false (with the reason in `out`) when the cohort lacks
// a group.
struct Prepared {
    bool estimable = false;
    const TimeToEvent* endpoint = nullptr;
    const Variable* treatment = nullptr;
    std::vector<std::string> covariates, levels;
    std::vector<std::size_t> subjects;
    std::vector<double> time, event, treated;
    std::size_t n = 0;
    Columns columns;
    stats::LogisticRegression model;
};

// What iptw and ps_match share in their options.
struct PropensityOptions {
    std::string endpoint = "OS";
    std::string treatment;
    std::vector<std::string> covariates;
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("treatment", treatment);
        v("covariates", covariates);
    }
};

Prepared prepare(const Context& c, const Analysis& analysis, const PropensityOptions& options, results::PropensityComparison& out) {
    Prepared p;
    const auto& endpoint = c.data.endpoint(options.endpoint);
    const Variable& treatment = categorical(c, analysis, "treatment", options.treatment);
    const auto& covariates = options.covariates;
    if (std::find(covariates.begin(), covariates.end(), treatment.name) != covariates.end()) {
        refuse(c, analysis, "covariates", "the treatment cannot be its own covariate", treatment.name);
    }
    // The two levels present, in the variable's order: the second is "treated".
    std::vector<std::string> levels;
    for (const auto& level : treatment.levels) {
        for (std::size_t s = 0; s < treatment.values.size(); ++s) {
            if (treatment.values[s] == level) {
                levels.push_back(level);
                break;
            }
        }
    }
    if (levels.size() > 2) {
        std::string list;
        for (const auto& level : levels) list += (list.empty() ? "" : ", ") + level;
        refuse(c, analysis, "treatment",
               fmt::format("needs at most two levels present (the second is the treated group); the cohort has {} ({}); "
                           "choose two with where", levels.size(), list),
               treatment.name);
    }

    // The patients with the endpoint, the treatment and every covariate known.
    std::vector<std::size_t> subjects;
    std::vector<double> time, event, treated;
    std::size_t dropped = 0;
    for (const auto& record : endpoint.records) {
        const std::size_t s = record.subject;
        bool complete = std::find(levels.begin(), levels.end(), treatment.values[s]) != levels.end();
        for (const auto& name : covariates) {
            const Variable& variable = c.data.adsl.at(name);
            complete = complete && (variable.numeric ? !std::isnan(variable.numbers[s]) : !variable.values[s].empty());
        }
        if (!complete || std::isnan(record.aval)) {
            ++dropped;
            continue;
        }
        subjects.push_back(s);
        time.push_back(record.aval);
        event.push_back(record.cnsr == 0 ? 1.0 : 0.0);
        treated.push_back(levels.size() == 2 && treatment.values[s] == levels[1] ? 1.0 : 0.0);
    }
    const std::size_t n = subjects.size();
    const std::size_t n_treated = static_cast<std::size_t>(std::count(treated.begin(), treated.end(), 1.0));
    out.endpoint = endpoint.paramcd;
    out.description = endpoint.param;
    out.time_unit = c.protocol.time_unit;
    out.conf_type = c.protocol.stats.conf_type;
    out.treatment = treatment.name;
    out.treatment_label = treatment.label;
    out.levels = levels;
    out.covariates = covariates;
    out.n = n;
    out.dropped = dropped;
    out.treated = n_treated;
    out.controls = n - n_treated;
    // A cohort (or analysis population) without both groups has no comparison: a result that
    // says so, and a warning, rather than a stopped run (the same protocol serves other cuts).
    if (levels.size() < 2 || n_treated == 0 || n_treated == n) {
        std::string present;
        for (const auto& level : levels) present += (present.empty() ? "" : ", ") + level_text(treatment, level);
        const std::string reason =
            levels.size() < 2
                ? fmt::format("not estimable: the cohort has {} of the treatment's levels{}; a comparison needs two", levels.size(),
                              present.empty() ? "" : " (" + present + ")")
                : fmt::format("not estimable: the {} patients with the endpoint, the treatment and every covariate known are all {}; "
                              "a propensity score needs both groups",
                              n, level_text(treatment, n_treated ? levels[1] : levels[0]));
        c.warn(analysis, "treatment", reason, treatment.name);
        out.estimable = false;
        out.reason = reason;
        return p;
    }
    out.estimable = true;
    out.covariate_labels.emplace();
    for (const auto& name : covariates) {
        const Variable& variable = c.data.adsl.at(name);
        out.covariate_labels->push_back(variable.label.empty() ? name : variable.label);
    }
    out.level_labels = std::vector<std::string>{level_text(treatment, levels[0]), level_text(treatment, levels[1])};

    p.columns = covariate_matrix(c.data, covariates, subjects);
    p.model = stats::logistic_regression(treated, row_major(p.columns.model, n), p.columns.model_names);
    for (const auto& message : p.model.messages) c.warn(analysis, "covariates", "propensity model: " + message, join_names(covariates, ", "));
    const auto& model = p.model;
    results::PropensityModel fitted{{}, model.null_deviance, model.deviance, model.aic, model.iterations, model.converged, model.messages};
    for (std::size_t k = 0; k < model.names.size(); ++k) {
        fitted.coefficients.push_back({model.names[k], model.coef[k], model.se[k], model.z[k], model.p[k], model.lower[k], model.upper[k]});
    }
    out.model = std::move(fitted);
    p.estimable = true;
    p.endpoint = &endpoint;
    p.treatment = &treatment;
    p.covariates = covariates;
    p.levels = levels;
    p.subjects = std::move(subjects);
    p.time = std::move(time);
    p.event = std::move(event);
    p.treated = std::move(treated);
    p.n = n;
    return p;
}

// The balance table: per column (a numeric covariate, or a level of a category) the group
// means, SMD and variance ratio before and after.
std::vector<results::BalanceRow> balance_rows(const stats::BalanceTable& balance, const Columns& columns) {
    std::vector<results::BalanceRow> rows;
    for (std::size_t k = 0; k < balance.rows.size(); ++k) {
        const auto& row = balance.rows[k];
        rows.push_back({row.name, columns.balance_labels[k], row.binary, row.mean_treated, row.mean_control, row.smd, row.variance_ratio,
                        row.mean_treated_adjusted, row.mean_control_adjusted, row.smd_adjusted, row.variance_ratio_adjusted});
    }
    return rows;
}

}  // namespace

namespace {

struct IptwOptions {
    PropensityOptions comparison;
    std::string estimand = "ate";
    bool stabilize = true;
    double trim = 0;      // none when 0
    double truncate = 0;  // none when 0
    std::vector<double> times;
    double rmst_tau = 0;  // none when 0
    long bootstrap = 0;   // resamples
    std::uint64_t seed = 1;
    template <class V> void fields(V& v) {
        comparison.fields(v);
        v("estimand", estimand);
        v("stabilize", stabilize);
        v("trim", trim);
        v("truncate", truncate);
        v("times", times);
        v("rmst_tau", rmst_tau);
        v("bootstrap", bootstrap);
        v("seed", seed);
    }
};

struct PsMatchOptions {
    PropensityOptions comparison;
    long ratio = 1;
    double caliper = 0;  // none when 0
    bool replace = false;
    std::string order = "largest";
    std::string distance = "score";
    template <class V> void fields(V& v) {
        comparison.fields(v);
        v("ratio", ratio);
        v("caliper", caliper);
        v("replace", replace);
        v("order", order);
        v("distance", distance);
    }
};

}  // namespace

results::IptwResult run_iptw(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<IptwOptions>(analysis);
    const std::string& estimand_text = options_read.estimand;
    const stats::Estimand estimand = estimand_text == "att" ? stats::Estimand::att : stats::Estimand::ate;
    const bool stabilize = options_read.stabilize;
    const double trim = options_read.trim;
    const double truncate = options_read.truncate;
    results::IptwResult out;
    out.comparison.estimand = estimand_text;
    out.stabilize = stabilize;
    out.trim = trim > 0 ? trim : nan;
    out.truncate = truncate > 0 ? truncate : nan;
    out.comparison.smd_denominator = estimand == stats::Estimand::att ? "treated" : "pooled";
    const Prepared p = prepare(c, analysis, options_read.comparison, out.comparison);
    if (!p.estimable) return out;
    const Variable& treatment = *p.treatment;
    const auto& levels = p.levels;
    const auto& time = p.time;
    const auto& event = p.event;
    const auto& treated = p.treated;
    const auto& columns = p.columns;
    const auto& model = p.model;
    const std::size_t n = p.n;

    stats::PropensityWeightOptions weight_options;
    weight_options.estimand = estimand;
    weight_options.stabilize = stabilize;
    weight_options.trim = trim;
    weight_options.truncate = truncate;
    const auto weighting = stats::propensity_weights(treated, model.fitted, weight_options);
    std::size_t kept_treated = 0, kept_controls = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!weighting.trimmed[i]) (treated[i] == 1 ? kept_treated : kept_controls) += 1;
    }
    if (kept_treated == 0 || kept_controls == 0) {
        refuse(c, analysis, "trim",
               std::string("no ") + (kept_treated ? "control" : "treated") + " patient has a propensity score inside the trimming bounds",
               fmt::format("{}", trim));
    }
    const auto balance = stats::covariate_balance(treated, row_major(columns.balance, n), columns.balance_names, weighting.weight, estimand);

    // The patients a trim left out, and their events, per group (the unadjusted groups less
    // the weighted ones).
    std::map<std::string, results::LeftOut> trimmed_by_group;
    std::size_t trimmed_events = 0;
    for (double group : {0.0, 1.0}) {
        std::size_t count = 0, events = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (treated[i] != group || !weighting.trimmed[i]) continue;
            ++count;
            events += event[i] != 0 ? 1 : 0;
        }
        trimmed_by_group[group == 1 ? "treated" : "control"] = {count, events};
        trimmed_events += events;
    }
    out.weighting = results::IptwWeighting{weighting.n_trimmed, trimmed_events, std::move(trimmed_by_group), weighting.n_truncated,
                                           weighting.cap, weighting.treated_share};
    out.comparison.weights = weights_by_group(treated, weighting.weight);
    out.comparison.balance = balance_rows(balance, columns);
    out.comparison.unadjusted = comparison(c, time, event, treated, nullptr, treatment, levels);
    out.weighted = comparison(c, time, event, treated, &weighting.weight, treatment, levels);
    {
        // How strong an unmeasured confounder would have to be to explain the weighted HR away.
        auto& hr = out.weighted->hazard_ratio;
        hr.e_value = hazard_ratio_e_value(hr.estimate.exp_coef.value(), hr.estimate.lower.value(), hr.estimate.upper.value(), time, event);
    }

    // Differences of the weighted curves, treated minus control: survival at `times` and the
    // restricted mean to `rmst_tau`, with percentile intervals from `bootstrap` resamples of
    // the patients, each refitting the propensity model and its weights (docs/methods.md §8.6).
    const std::vector<double>& times = options_read.times;
    const double tau = options_read.rmst_tau;
    const int replicates = static_cast<int>(options_read.bootstrap);
    if (!times.empty() || tau > 0) {
        const Contrast point = contrast(time, event, treated, &weighting.weight, times, tau);
        const bool time_fix = replicates > 0 && resamples_need_time_fix(time);
        std::vector<std::vector<double>> draws(times.size() + 1);  // per time, then the RMST difference
        std::size_t failed = 0;
        const std::uint64_t seed = options_read.seed;
        // Resample b = i + 1 on two threads; the differences are gathered in resample order.
        std::vector<std::optional<Contrast>> replicate(static_cast<std::size_t>(std::max(replicates, 0)));
        const auto progress = bootstrap_progress(analysis);
        std::mutex reporting;
        std::size_t done = 0;
        for_each_index_on_two_threads(replicate.size(), [&](std::size_t i) {
            const auto pick = stats::bootstrap_resample(seed, static_cast<std::uint64_t>(i + 1), n);
            std::vector<double> t_b(n), e_b(n), z_b(n);
            std::vector<std::vector<double>> columns_b(columns.model.size(), std::vector<double>(n));
            for (std::size_t j = 0; j < n; ++j) {
                t_b[j] = time[pick[j]];
                e_b[j] = event[pick[j]];
                z_b[j] = treated[pick[j]];
                for (std::size_t k = 0; k < columns.model.size(); ++k) columns_b[k][j] = columns.model[k][pick[j]];
            }
            const auto treated_b = static_cast<std::size_t>(std::count(z_b.begin(), z_b.end(), 1.0));
            if (treated_b > 0 && treated_b < n) {
                const auto model_b = stats::logistic_regression(z_b, row_major(columns_b, n), columns.model_names);
                const auto weights_b = stats::propensity_weights(z_b, model_b.fitted, weight_options);
                Contrast r = contrast(t_b, e_b, z_b, &weights_b.weight, times, tau, time_fix);
                if (r.estimable) replicate[i] = std::move(r);
            }
            const std::lock_guard<std::mutex> lock(reporting);
            ++done;
            if (progress) progress(done, replicate.size());
        });
        for (const auto& r : replicate) {
            if (!r) {
                ++failed;
                continue;
            }
            for (std::size_t k = 0; k < times.size(); ++k) draws[k].push_back(r->surv[1][k] - r->surv[0][k]);
            if (tau > 0) draws.back().push_back(r->rmst[1] - r->rmst[0]);
        }
        const double alpha = 0.05;
        auto interval = [&](results::WeightedDifference& entry, const std::vector<double>& values) {
            const auto limits = stats::percentile_interval(values, 1 - alpha);
            entry.lower = limits.lower;
            entry.upper = limits.upper;
        };
        results::WeightedDifferences differences;
        differences.bootstrap = {replicates, seed, failed, "percentile (R quantile type 7)", 1 - alpha};
        for (std::size_t k = 0; k < times.size(); ++k) {
            results::WeightedDifference entry;
            entry.time = times[k];
            entry.treated = point.surv[1][k];
            entry.control = point.surv[0][k];
            entry.difference = point.surv[1][k] - point.surv[0][k];
            interval(entry, draws[k]);
            differences.survival.push_back(std::move(entry));
        }
        if (tau > 0) {
            results::WeightedDifference entry;
            entry.tau = tau;
            entry.treated = point.rmst[1];
            entry.control = point.rmst[0];
            entry.difference = point.rmst[1] - point.rmst[0];
            interval(entry, draws.back());
            differences.rmst = std::move(entry);
        }
        if (replicates > 0 && failed * 10 > static_cast<std::size_t>(replicates)) {
            c.warn(analysis, "bootstrap", fmt::format("{} of {} resamples had one group only and were left out", failed, replicates),
                   std::to_string(replicates));
        }
        out.differences = std::move(differences);
    }
    return out;
}

// Nearest-neighbour matching on the propensity score (docs/methods.md §8.3, §8.9): the ATT
// of the matched treated patients, MatchIt's matching weights, the balance before and after,
// and the groups' Kaplan–Meier curves and Cox hazard ratio unadjusted and in the matched
// sample (weighted by the matching weights; robust variance clustered by matched set without
// replacement, by patient with it, as MatchIt's documentation advises).
results::PsMatchResult run_ps_match(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<PsMatchOptions>(analysis);
    stats::MatchingOptions options;
    options.ratio = static_cast<std::size_t>(options_read.ratio);
    options.caliper = options_read.caliper;
    options.replace = options_read.replace;
    const std::string& order = options_read.order;
    options.order = order == "smallest" ? stats::MatchOrder::smallest : order == "data" ? stats::MatchOrder::data : stats::MatchOrder::largest;
    const std::string& distance_text = options_read.distance;
    results::PsMatchResult out;
    out.comparison.estimand = "att";
    out.comparison.smd_denominator = "treated";
    const Prepared p = prepare(c, analysis, options_read.comparison, out.comparison);
    if (!p.estimable) return out;
    const std::size_t n = p.n;
    const auto& treated = p.treated;
    const auto& time = p.time;
    const auto& event = p.event;
    const std::vector<double>& distance = distance_text == "logit" ? p.model.linear_predictor : p.model.fitted;
    const auto matching = stats::nearest_neighbour_matching(treated, distance, options);
    if (matching.matched_treated == 0) {
        refuse(c, analysis, options.caliper > 0 ? "caliper" : "treatment",
               std::string("no treated patient found a control") + (options.caliper > 0 ? " within the caliper" : ""),
               options.caliper > 0 ? fmt::format("{:g}", options.caliper) : p.treatment->name);
    }
    if (matching.unmatched_treated > 0) {
        const std::size_t n_treated = matching.unmatched_treated + matching.matched_treated;
        // Without a caliper only running out of controls leaves a treated patient unmatched.
        const std::string why = options.caliper > 0
                                    ? " within the caliper"
                                    : fmt::format(" (the {} controls ran out; replace = true lets a control serve several treated patients)",
                                                  n - n_treated);
        c.warn(analysis, options.caliper > 0 ? "caliper" : "replace",
               fmt::format("{} of {} treated patients found no control{} and are left out: the estimate is the ATT of the matched "
                           "treated patients", matching.unmatched_treated, n_treated, why),
               options.caliper > 0 ? fmt::format("{:g}", options.caliper) : "false");
    }
    const std::vector<double>& weight = matching.weight;
    // Matched sets without replacement: set k (1, 2, ... in the data order of the treated)
    // holds a treated patient and its controls, as MatchIt's subclass.
    // With replacement a control may be in several sets: `sets` lists them all.
    std::vector<std::int32_t> subclass(n, 0);
    std::vector<std::string> sets(n);
    {
        std::int32_t next = 0;
        for (std::size_t t = 0; t < matching.treated_units.size(); ++t) {
            if (matching.matches[t].empty()) continue;
            ++next;
            subclass[matching.treated_units[t]] = next;
            sets[matching.treated_units[t]] = std::to_string(next);
            for (auto unit : matching.matches[t]) {
                subclass[unit] = next;
                sets[unit] += (sets[unit].empty() ? "" : " ") + std::to_string(next);
            }
        }
    }
    std::map<std::string, results::LeftOut> left_out;
    std::size_t unmatched = 0, unmatched_events = 0;
    for (double group : {0.0, 1.0}) {
        std::size_t count = 0, events = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (treated[i] != group || weight[i] > 0) continue;
            ++count;
            events += event[i] != 0 ? 1 : 0;
        }
        left_out[group == 1 ? "treated" : "control"] = {count, events};
        unmatched += count;
        unmatched_events += events;
    }
    out.matching = results::Matching{options.ratio, options.caliper > 0 ? options.caliper : nan, matching.caliper_distance, options.replace,
                                     order, distance_text, unmatched, unmatched_events, std::move(left_out)};
    out.comparison.weights = weights_by_group(treated, weight);
    const auto balance = stats::covariate_balance(treated, row_major(p.columns.balance, n), p.columns.balance_names, weight, stats::Estimand::att);
    out.comparison.balance = balance_rows(balance, p.columns);
    out.comparison.unadjusted = comparison(c, time, event, treated, nullptr, *p.treatment, p.levels);
    out.matched = comparison(c, time, event, treated, &weight, *p.treatment, p.levels, options.replace ? nullptr : &subclass);
    {
        std::vector<double> matched_time, matched_event;
        for (std::size_t i = 0; i < n; ++i) {
            if (!(weight[i] > 0)) continue;
            matched_time.push_back(time[i]);
            matched_event.push_back(event[i]);
        }
        auto& hr = out.matched->hazard_ratio;
        hr.e_value = hazard_ratio_e_value(hr.estimate.exp_coef.value(), hr.estimate.lower.value(), hr.estimate.upper.value(), matched_time, matched_event);
    }
    if (c.datasets != nullptr) {
        // The matched data, as MatchIt's match.data() with the unmatched kept (weight 0): one
        // row per patient of the analysis; SUBCLASS is the matched set (with replacement, a
        // control's sets separated by spaces).
        AnalysisDataset dataset{"matched_" + analysis.id + ".csv", {}};
        std::string& csv = dataset.csv;
        csv = "USUBJID," + p.treatment->name + ",TREATED,PS,DISTANCE,WEIGHT,SUBCLASS\n";
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t s = p.subjects[i];
            csv += fmt::format("{},{},{},{},{},{},{}\n", csv_cell(c.data.adsl.usubjid[s]), csv_cell(p.treatment->values[s]),
                               treated[i] == 1 ? 1 : 0, p.model.fitted[i], distance[i], weight[i], sets[i]);
        }
        c.datasets->push_back(std::move(dataset));
    }
    return out;
}

}  // namespace rwe::study::kit
