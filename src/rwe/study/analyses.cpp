#include "rwe/study/analyses.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "rwe/common/error.hpp"
#include "rwe/study/analysis_options.hpp"
#include "rwe/study/published_comparison.hpp"
#include "rwe/stats/binomial_ci.hpp"
#include "rwe/stats/chi_square_test.hpp"
#include "rwe/stats/contingency_table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/descriptive.hpp"
#include "rwe/stats/fisher_exact_test.hpp"
#include "rwe/stats/frequency_table.hpp"
#include "rwe/stats/kaplan_meier.hpp"
#include "rwe/stats/log_rank.hpp"
#include "rwe/stats/restricted_mean.hpp"
#include "rwe/stats/survival_at_times.hpp"
#include "rwe/stats/survival_quantiles.hpp"
#include "rwe/stats/test_choice.hpp"

namespace rwe::study {

namespace {

using nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

json num(double value) {
    if (std::isnan(value) || std::isinf(value)) return nullptr;
    return value;
}

json percent(double part, double whole) { return whole > 0 ? num(100.0 * part / whole) : json(nullptr); }

std::vector<std::string> strings(const json& options, const char* key) {
    std::vector<std::string> out;
    if (options.contains(key)) {
        for (const auto& item : options[key]) out.push_back(item.get<std::string>());
    }
    return out;
}

std::string string_option(const json& options, const char* key, const std::string& fallback) {
    return options.contains(key) ? options[key].get<std::string>() : fallback;
}

// Subjects selected by a mask (empty mask = everyone).
using Mask = std::vector<bool>;

// Survival data for an endpoint, optionally grouped and stratified by ADSL variables and
// restricted to a subset of subjects; subjects with a missing group or stratum value are
// dropped and counted.
stats::SurvivalData survival_data(const TimeToEvent& endpoint, const Variable* group, const Mask& mask = {},
                                  const Variable* stratum = nullptr) {
    stats::SurvivalData out;
    std::vector<std::int32_t> group_codes, stratum_codes;
    if (group != nullptr) out.group_names = group->levels;
    if (stratum != nullptr) out.stratum_names = stratum->levels;
    auto code_of = [](const Variable& variable, std::size_t subject) -> std::int32_t {
        const std::string& value = variable.values[subject];
        auto it = std::find(variable.levels.begin(), variable.levels.end(), value);
        return value.empty() || it == variable.levels.end() ? -1 : static_cast<std::int32_t>(it - variable.levels.begin());
    };
    for (const auto& record : endpoint.records) {
        if (!mask.empty() && !mask[record.subject]) continue;
        const std::int32_t group_code = group != nullptr ? code_of(*group, record.subject) : 0;
        const std::int32_t stratum_code = stratum != nullptr ? code_of(*stratum, record.subject) : 0;
        if (group_code < 0 || stratum_code < 0) {
            ++out.dropped;
            continue;
        }
        out.time.push_back(record.aval);
        out.event.push_back(record.cnsr == 0 ? 1 : 0);
        group_codes.push_back(group_code);
        stratum_codes.push_back(stratum_code);
    }
    if (group != nullptr) out.group = std::move(group_codes);
    if (stratum != nullptr) out.stratum = std::move(stratum_codes);
    stats::merge_survival_times(out);
    return out;
}

stats::ConfType conf_type_of(const std::string& name) {
    auto type = stats::conf_type_from_name(name);
    if (!type) throw UsageError("unknown conf_type '" + name + "'");
    return *type;
}

// Per group: n, events and the median with its CI; and the log-rank test when there are
// two groups or more.
json grouped_medians(const stats::SurvivalData& data, const Protocol& protocol) {
    json out{{"strata", json::array()}};
    if (data.size() == 0) return out;
    const auto km = stats::kaplan_meier(data, {.conf_type = conf_type_of(protocol.stats.conf_type)});
    for (const auto& curve : km.curves) {
        const auto median = stats::median_survival(curve);
        out["strata"].push_back({{"name", curve.name}, {"n", curve.n}, {"events", curve.events},
                                 {"median", num(median.estimate)}, {"median_lower", num(median.lower)},
                                 {"median_upper", num(median.upper)}});
    }
    if (km.curves.size() > 1) {
        const auto test = stats::log_rank_test(data);
        out["log_rank"] = {{"chisq", num(test.chisq)}, {"df", test.df}, {"p", num(test.p)}};
    }
    return out;
}

json curve_summary(const stats::KaplanMeierCurve& curve, const std::vector<double>& times) {
    const auto median = stats::median_survival(curve);
    const auto spss = stats::spss_median(curve);
    json out{{"name", curve.name},
             {"n", curve.n},
             {"events", curve.events},
             {"median", num(median.estimate)},
             {"median_lower", num(median.lower)},
             {"median_upper", num(median.upper)},
             {"median_spss", {{"estimate", num(spss.estimate)}, {"std_err", num(spss.std_err)},
                              {"lower", num(spss.lower)}, {"upper", num(spss.upper)}}}};
    json at = json::array();
    const auto at_times = stats::survival_at_times(curve, times);
    for (const auto& row : at_times.rows) {
        at.push_back({{"time", row.time}, {"n_risk", row.n_risk}, {"surv", num(row.surv)},
                      {"std_err", num(row.std_err_surv)}, {"lower", num(row.lower)}, {"upper", num(row.upper)}});
    }
    out["at_times"] = at;
    if (!at_times.beyond_follow_up.empty()) out["times_beyond_follow_up"] = at_times.beyond_follow_up;
    // The curve itself, for figures: steps, censoring marks and bands.
    json steps = json::array();
    for (std::size_t row = 0; row < curve.rows(); ++row) {
        steps.push_back({curve.time[row], curve.n_risk[row], curve.n_event[row], curve.n_censor[row],
                         num(curve.surv[row]), num(curve.lower[row]), num(curve.upper[row])});
    }
    out["curve"] = {{"columns", {"time", "n_risk", "n_event", "n_censor", "surv", "lower", "upper"}},
                    {"rows", steps}};
    return out;
}

// Median with its CI by the method the protocol's convention uses, and the other one.
json primary_median(const json& summary, const Protocol& protocol, const json& options) {
    const std::string method = string_option(options, "median_ci", protocol.stats.median_ci);
    if (method == "spss") {
        const auto& m = summary["median_spss"];
        return {{"method", "spss"}, {"estimate", m["estimate"]}, {"lower", m["lower"]}, {"upper", m["upper"]}};
    }
    return {{"method", "r"}, {"estimate", summary["median"]}, {"lower", summary["median_lower"]},
            {"upper", summary["median_upper"]}};
}

struct Context {
    const StudyData& data;
    const Protocol& protocol;
    std::vector<std::string>& warnings;

    void warn(const Analysis& analysis, const std::string& key, const std::string& problem, const std::string& value) const {
        warnings.push_back(analysis_warning(protocol.path, analysis, key, problem, value));
    }
};

// An ADSL variable that defines groups (or a categorical outcome): numeric variables have
// no levels, so every patient would silently drop out.
const Variable& categorical(const Context& c, const Analysis& analysis, const std::string& key, const std::string& name) {
    const Variable& variable = c.data.adsl.at(name);
    if (variable.numeric) {
        throw UsageError(where_what(c.protocol.path, analysis_line(analysis, key), "analysis." + analysis.id + "." + key,
                                    key == "outcomes" ? "numeric variable used as an outcome; define a band"
                                                      : "numeric variable used as a group; define a band",
                                    name));
    }
    return variable;
}

const Variable* optional_categorical(const Context& c, const Analysis& analysis, const std::string& key) {
    const std::string name = string_option(analysis.options, key.c_str(), "");
    return name.empty() ? nullptr : &categorical(c, analysis, key, name);
}

json run_attrition(const Context& c, const Analysis&) {
    json steps = json::array();
    for (const auto& step : c.data.attrition) {
        steps.push_back({{"criterion", step.criterion}, {"reason", step.reason}, {"excluded", step.excluded},
                         {"remaining", step.remaining}});
    }
    return {{"steps", steps}, {"n", c.data.adsl.size()}};
}

json describe_variable(const Variable& variable, const Mask& mask) {
    if (variable.numeric) {
        std::vector<double> values;
        for (std::size_t row = 0; row < variable.numbers.size(); ++row) {
            if (mask.empty() || mask[row]) values.push_back(variable.numbers[row]);
        }
        const auto s = stats::describe_numeric(values);
        return {{"type", "numeric"}, {"n", s.n}, {"missing", s.missing}, {"mean", num(s.mean)},
                {"sd", num(s.sd)}, {"median", num(s.median)}, {"q1", num(s.q1)}, {"q3", num(s.q3)},
                {"min", num(s.min)}, {"max", num(s.max)}};
    }
    std::vector<std::int32_t> codes;
    for (std::size_t row = 0; row < variable.values.size(); ++row) {
        if (!mask.empty() && !mask[row]) continue;
        auto it = std::find(variable.levels.begin(), variable.levels.end(), variable.values[row]);
        codes.push_back(it == variable.levels.end() ? -1 : static_cast<std::int32_t>(it - variable.levels.begin()));
    }
    const auto table = stats::frequency_table(codes, variable.levels);
    json levels = json::array();
    for (const auto& level : table.levels) {
        json entry{{"level", level.level}, {"n", level.n}, {"percent", num(level.percent)}};
        if (auto label = variable.value_labels.find(level.level); label != variable.value_labels.end()) {
            entry["label"] = label->second;  // the protocol's value label, for tables
        }
        levels.push_back(std::move(entry));
    }
    return {{"type", "categorical"}, {"levels", levels}, {"missing", table.missing.n}, {"denominator", table.denominator}};
}

// A test of independence between two categorical variables, chosen by Cochran's rule.
json association_test(const std::vector<std::string>& rows_of, const std::vector<std::string>& row_levels,
                      const std::vector<std::string>& cols_of, const std::vector<std::string>& col_levels) {
    std::vector<double> counts(row_levels.size() * col_levels.size(), 0.0);
    std::size_t dropped = 0;
    for (std::size_t i = 0; i < rows_of.size(); ++i) {
        auto r = std::find(row_levels.begin(), row_levels.end(), rows_of[i]);
        auto k = std::find(col_levels.begin(), col_levels.end(), cols_of[i]);
        if (rows_of[i].empty() || cols_of[i].empty() || r == row_levels.end() || k == col_levels.end()) {
            ++dropped;
            continue;
        }
        counts[static_cast<std::size_t>(r - row_levels.begin()) * col_levels.size() +
               static_cast<std::size_t>(k - col_levels.begin())] += 1;
    }
    json out{{"rows", row_levels}, {"columns", col_levels}, {"dropped", dropped}};
    json matrix = json::array();
    for (std::size_t r = 0; r < row_levels.size(); ++r) {
        json row = json::array();
        for (std::size_t k = 0; k < col_levels.size(); ++k) row.push_back(counts[r * col_levels.size() + k]);
        matrix.push_back(row);
    }
    out["counts"] = matrix;
    if (row_levels.size() < 2 || col_levels.size() < 2) {
        out["test"] = "none";
        out["p"] = nullptr;
        out["note"] = "fewer than two levels present: no test";
        return out;
    }
    const stats::ContingencyTable table = stats::drop_empty_margins(
        stats::contingency_table(row_levels.size(), col_levels.size(), counts, row_levels, col_levels));
    const auto choice = stats::choose_test(table);
    const auto chi = stats::chi_square_test(table, {.continuity_correction = false});
    const auto fisher = stats::fisher_exact_test(table);
    out["chi_square"] = {{"statistic", num(chi.statistic)}, {"df", chi.df}, {"p", num(chi.p)}};
    out["fisher_p"] = num(fisher.p);
    out["test"] = stats::to_string(choice.test);
    out["test_reason"] = choice.reason;
    out["p"] = choice.test == stats::ChosenTest::fisher ? num(fisher.p) : num(chi.p);
    return out;
}

json run_table1(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const Variable* group = optional_categorical(c, analysis, "by");
    json rows = json::array();
    for (const auto& name : strings(analysis.options, "variables")) {
        const Variable& variable = adsl.at(name);
        json row{{"variable", name}, {"label", variable.label}, {"overall", describe_variable(variable, {})}};
        if (group != nullptr) {
            json by_group = json::object();
            for (const auto& level : group->levels) {
                Mask mask(adsl.size());
                for (std::size_t i = 0; i < adsl.size(); ++i) mask[i] = group->values[i] == level;
                by_group[level] = describe_variable(variable, mask);
            }
            row["by_group"] = by_group;
            if (!variable.numeric) {
                row["comparison"] = association_test(variable.values, variable.levels, group->values, group->levels);
            }
        }
        rows.push_back(row);
    }
    return {{"n", adsl.size()}, {"rows", rows}};
}

json run_km(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    const Variable* group = optional_categorical(c, analysis, "by");
    std::vector<double> times;
    if (analysis.options.contains("times")) {
        for (const auto& t : analysis.options["times"]) times.push_back(t.get<double>());
    }
    const auto data = survival_data(endpoint, group);
    const std::string conf = string_option(analysis.options, "conf_type", c.protocol.stats.conf_type);
    stats::KaplanMeierOptions options;
    options.conf_type = conf_type_of(conf);
    json out{{"endpoint", endpoint.paramcd}, {"description", endpoint.param}, {"time_unit", c.protocol.time_unit},
             {"conf_type", conf}, {"dropped", data.dropped}};
    if (group != nullptr) {
        out["by"] = group->name;
        out["by_label"] = group->label;
    }
    const bool with_rmst = analysis.options.contains("rmst_tau");
    json strata = json::array();
    if (data.size() > 0) {
        const auto km = stats::kaplan_meier(data, options);
        for (const auto& curve : km.curves) {
            json summary = curve_summary(curve, times);
            summary["median_primary"] = primary_median(summary, c.protocol, analysis.options);
            if (with_rmst) {
                // RMST up to tau with a normal-approximation CI (docs/methods.md §1.8).
                const auto rmst = stats::restricted_mean(curve, analysis.options["rmst_tau"].get<double>());
                summary["rmst"] = {{"tau", rmst.tau}, {"rmean", num(rmst.rmean)}, {"se", num(rmst.se)},
                                   {"lower", num(rmst.rmean - km.z * rmst.se)}, {"upper", num(rmst.rmean + km.z * rmst.se)},
                                   {"beyond_follow_up", curve.rows() > 0 && rmst.tau > curve.time.back()}};
            }
            strata.push_back(summary);
        }
    }
    out["strata"] = strata;
    if (group != nullptr && data.size() > 0) {
        const auto test = stats::log_rank_test(data);
        out["log_rank"] = {{"chisq", num(test.chisq)}, {"df", test.df}, {"p", num(test.p)}};
    }
    return out;
}

json run_followup(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    std::vector<double> observed;
    for (const auto& record : endpoint.records) observed.push_back(record.aval);
    const auto s = stats::describe_numeric(observed);
    json out{{"endpoint", endpoint.paramcd},
             {"observed", {{"method", "median and range of observed times (death or last contact)"},
                           {"n", s.n}, {"median", num(s.median)}, {"min", num(s.min)}, {"max", num(s.max)}}}};
    const auto data = survival_data(endpoint, nullptr);
    if (data.size() > 0) {
        stats::KaplanMeierOptions options;
        options.reverse = true;
        const auto km = stats::kaplan_meier(data, options);
        const auto median = stats::median_survival(km.curves.front());
        out["reverse_km"] = {{"method", "reverse Kaplan-Meier (censoring as the event; Schemper & Smith 1996)"},
                             {"median", num(median.estimate)}, {"lower", num(median.lower)}, {"upper", num(median.upper)}};
    }
    return out;
}

json run_logrank(const Context& c, const Analysis& analysis) {
    const Variable* stratum = optional_categorical(c, analysis, "strata");
    json tests = json::array();
    for (const auto& paramcd : strings(analysis.options, "endpoints")) {
        const auto& endpoint = c.data.endpoint(paramcd);
        for (const auto& by : strings(analysis.options, "by")) {
            const Variable& group = categorical(c, analysis, "by", by);
            const auto data = survival_data(endpoint, &group, {}, stratum);
            json test{{"endpoint", paramcd}, {"by", by}, {"label", group.label}, {"dropped", data.dropped}};
            if (stratum != nullptr) test["strata"] = stratum->name;
            if (group.levels.size() < 2 || data.size() == 0) {
                test["p"] = nullptr;
                test["note"] = "fewer than two groups present";
                tests.push_back(test);
                continue;
            }
            stats::LogRankOptions options;
            if (analysis.options.contains("rho")) {
                options.weight = stats::LogRankWeight::fleming_harrington;
                options.fh_p = analysis.options["rho"].get<double>();
            }
            const auto result = stats::log_rank_test(data, options);
            // Medians per group over all strata (the rows the test used).
            stats::SurvivalData pooled = data;
            pooled.stratum.clear();
            pooled.stratum_names.clear();
            const auto km = stats::kaplan_meier(pooled, {.conf_type = conf_type_of(c.protocol.stats.conf_type)});
            json groups = json::array();
            for (std::size_t g = 0; g < result.groups.size(); ++g) {
                json entry{{"name", result.groups[g].name}, {"n", result.groups[g].n}, {"events", result.groups[g].events},
                           {"observed", result.groups[g].observed}, {"expected", result.groups[g].expected}};
                for (const auto& curve : km.curves) {
                    if (curve.name == result.groups[g].name) {
                        const auto median = stats::median_survival(curve);
                        entry["median"] = num(median.estimate);
                        entry["median_lower"] = num(median.lower);
                        entry["median_upper"] = num(median.upper);
                    }
                }
                groups.push_back(entry);
            }
            test["groups"] = groups;
            test["method"] = result.method;
            test["chisq"] = num(result.chisq);
            test["df"] = result.df;
            test["p"] = num(result.p);
            tests.push_back(test);
        }
    }
    return {{"tests", tests}};
}

json proportion(double x, double n) {
    const auto ci = stats::binomial_ci(x, n);
    return {{"n", x}, {"of", n}, {"percent", percent(x, n)}, {"lower", num(100 * ci.lower)}, {"upper", num(100 * ci.upper)}};
}

// Best overall response counts of the subjects selected by `mask` (measurable disease only).
json response_counts(const Variable& bor, const Mask& mask) {
    std::map<std::string, double> counts;
    double measurable = 0;
    for (std::size_t i = 0; i < bor.values.size(); ++i) {
        if (bor.values[i].empty() || (!mask.empty() && !mask[i])) continue;
        ++measurable;
        ++counts[bor.values[i]];
    }
    json categories = json::object();
    for (const char* level : {"CR", "PR", "SD", "PD", "NE"}) categories[level] = proportion(counts[level], measurable);
    return {{"measurable", measurable},
            {"best_response", categories},
            {"orr", proportion(counts["CR"] + counts["PR"], measurable)},
            {"cr_rate", proportion(counts["CR"], measurable)},
            {"dcr", proportion(counts["CR"] + counts["PR"] + counts["SD"], measurable)}};
}

json run_response(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const Variable& bor = adsl.at(string_option(analysis.options, "variable", "BOR"));
    json out = response_counts(bor, {});
    out["not_measurable"] = static_cast<double>(adsl.size()) - out["measurable"].get<double>();
    out["ci_method"] = "Clopper-Pearson exact 95% CI, percent";
    json by = json::array();
    for (const auto& name : strings(analysis.options, "by")) {
        const Variable& group = categorical(c, analysis, "by", name);
        json levels = json::array();
        std::vector<std::string> responders;
        for (std::size_t i = 0; i < adsl.size(); ++i) {
            responders.push_back(bor.values[i].empty() ? "" : (bor.values[i] == "CR" || bor.values[i] == "PR" ? "Y" : "N"));
        }
        for (const auto& level : group.levels) {
            Mask mask(adsl.size());
            for (std::size_t i = 0; i < adsl.size(); ++i) mask[i] = group.values[i] == level;
            json entry = response_counts(bor, mask);
            entry["level"] = level;
            levels.push_back(entry);
        }
        by.push_back({{"by", name}, {"label", group.label}, {"levels", levels},
                      {"orr_test", association_test(group.values, group.levels, responders, {"Y", "N"})}});
    }
    if (!by.empty()) out["by"] = by;
    return out;
}

// Registry terms are lower case (docs/registry.md); the protocol's are matched without case.
std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
    return text;
}

bool term_in_cohort(const StudyData& data, const std::string& term) {
    return std::any_of(data.adae.begin(), data.adae.end(), [&](const AdverseEventRecord& record) { return record.term == term; });
}

json run_adverse_events(const Context& c, const Analysis& analysis) {
    const double n = static_cast<double>(c.data.adsl.size());
    std::vector<std::string> terms = strings(analysis.options, "terms");
    for (auto& term : terms) term = lower(term);
    if (terms.empty()) {
        std::set<std::string> seen;
        for (const auto& record : c.data.adae) seen.insert(record.term);
        terms.assign(seen.begin(), seen.end());
    }
    json rows = json::array();
    for (const auto& term : terms) {
        std::map<int, double> by_grade;
        std::map<std::string, double> actions;
        for (const auto& record : c.data.adae) {
            if (record.term != term) continue;
            ++by_grade[record.worst_grade];
            if (record.action != "none" && !record.action.empty()) ++actions[record.action];
        }
        if (by_grade.empty()) c.warn(analysis, "terms", "no adverse event with this term in the cohort", term);
        const double g12 = by_grade[1] + by_grade[2], g3 = by_grade[3], g4 = by_grade[4], g5 = by_grade[5];
        auto cell = [&](double count) { return json{{"n", count}, {"percent", percent(count, n)}}; };
        rows.push_back({{"term", term}, {"any", cell(g12 + g3 + g4 + g5)}, {"grade_1_2", cell(g12)}, {"grade_3", cell(g3)},
                        {"grade_4", cell(g4)}, {"grade_3_4", cell(g3 + g4)}, {"grade_5", cell(g5)},
                        {"grade_3_plus", cell(g3 + g4 + g5)}, {"actions", actions}});
    }
    const std::string scale = string_option(analysis.options, "grading", "CTCAE");
    return {{"n", n},
            {"grading_scale", scale},
            {"grading", fmt::format("worst {} grade per patient and term, events of the index line", scale)},
            {"terms", rows}};
}

json run_association(const Context& c, const Analysis& analysis) {
    const auto& adsl = c.data.adsl;
    const Variable& by = categorical(c, analysis, "by", string_option(analysis.options, "by", ""));
    json tests = json::array();
    for (const auto& outcome : strings(analysis.options, "outcomes")) {
        // "term:k" = worst grade >= k of that term (k checked when the protocol is read); a
        // plain ADSL name is used as it is.
        const auto colon = outcome.rfind(':');
        std::vector<std::string> values(adsl.size(), "N");
        std::vector<std::string> levels{"Y", "N"};
        if (colon != std::string::npos) {
            const std::string term = lower(outcome.substr(0, colon));
            const int grade = std::stoi(outcome.substr(colon + 1));
            if (!term_in_cohort(c.data, term)) c.warn(analysis, "outcomes", "no adverse event with this term in the cohort", term);
            for (const auto& record : c.data.adae) {
                if (record.term == term && record.worst_grade >= grade) values[record.subject] = "Y";
            }
        } else {
            const Variable& variable = categorical(c, analysis, "outcomes", outcome);
            values = variable.values;
            levels = variable.levels;
        }
        json test = association_test(by.values, by.levels, values, levels);
        test["outcome"] = outcome;
        test["by"] = by.name;
        tests.push_back(test);
    }
    return {{"tests", tests}};
}

json cox_json(const stats::CoxRegression& fit) {
    json coefficients = json::array();
    for (std::size_t k = 0; k < fit.names.size(); ++k) {
        coefficients.push_back({{"name", fit.names[k]}, {"coef", num(fit.coef[k])}, {"exp_coef", num(fit.exp_coef[k])},
                                {"se", num(fit.se[k])}, {"z", num(fit.z[k])}, {"p", num(fit.p[k])},
                                {"lower", num(fit.lower[k])}, {"upper", num(fit.upper[k])}});
    }
    json diagnostics = json::array();
    for (const auto& d : fit.diagnostics) diagnostics.push_back(d.message);
    auto test = [](const stats::CoxTest& t) { return json{{"chisq", num(t.chisq)}, {"df", t.df}, {"p", num(t.p)}}; };
    return {{"n", fit.n}, {"events", fit.events}, {"dropped", fit.dropped}, {"coefficients", coefficients},
            {"loglik", {num(fit.loglik_null), num(fit.loglik_final)}}, {"wald", test(fit.wald)}, {"lr", test(fit.lr)},
            {"score", test(fit.score)}, {"concordance", num(fit.concordance)}, {"concordance_se", num(fit.concordance_se)},
            {"iterations", fit.iterations}, {"converged", fit.converged}, {"ties", fit.ties == stats::CoxTies::efron ? "efron" : "breslow"},
            {"diagnostics", diagnostics}};
}

// Covariates by ADSL name: numeric as they are; categorical as treatment-contrast dummies
// against the first level.
// Returns a readable label per column ("HR: positive vs negative").
std::vector<std::string> add_covariates(const StudyData& data, const std::vector<std::string>& names,
                                        const std::vector<std::size_t>& subjects, stats::CoxData& cox) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> columns;
    for (const auto& name : names) {
        const Variable& variable = data.adsl.at(name);
        if (variable.numeric) {
            std::vector<double> column;
            for (auto s : subjects) column.push_back(variable.numbers[s]);
            columns.push_back(std::move(column));
            cox.names.push_back(name);
            cox.terms.push_back(name);
            labels.push_back(variable.label + " (per unit)");
            continue;
        }
        for (std::size_t level = 1; level < variable.levels.size(); ++level) {
            std::vector<double> column;
            for (auto s : subjects) {
                const auto& value = variable.values[s];
                column.push_back(value.empty() ? nan : (value == variable.levels[level] ? 1.0 : 0.0));
            }
            columns.push_back(std::move(column));
            cox.names.push_back(name + variable.levels[level]);
            cox.terms.push_back(name);
            labels.push_back(variable.label + ": " + variable.levels[level] + " vs " + variable.levels[0]);
        }
    }
    cox.x.resize(subjects.size() * columns.size());
    for (std::size_t row = 0; row < subjects.size(); ++row) {
        for (std::size_t k = 0; k < columns.size(); ++k) cox.x[row * columns.size() + k] = columns[k][row];
    }
    return labels;
}

stats::CoxTies ties_of(const std::string& name) {
    if (name == "efron") return stats::CoxTies::efron;
    if (name == "breslow") return stats::CoxTies::breslow;
    throw UsageError("unknown ties '" + name + "' (efron or breslow)");
}

json run_cox(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    stats::CoxData cox;
    std::vector<std::size_t> subjects;
    for (const auto& record : endpoint.records) {
        subjects.push_back(record.subject);
        cox.stop.push_back(record.aval);
        cox.event.push_back(record.cnsr == 0 ? 1.0 : 0.0);
    }
    const auto covariates = strings(analysis.options, "covariates");
    const auto labels = add_covariates(c.data, covariates, subjects, cox);
    // Stratified model: a baseline hazard per level (R's strata()); a missing level drops the row.
    const Variable* stratum = optional_categorical(c, analysis, "strata");
    if (stratum != nullptr) {
        for (auto subject : subjects) {
            const auto& value = stratum->values[subject];
            auto it = std::find(stratum->levels.begin(), stratum->levels.end(), value);
            cox.stratum.push_back(value.empty() || it == stratum->levels.end() ? -1
                                                                                : static_cast<std::int32_t>(it - stratum->levels.begin()));
        }
    }
    stats::CoxOptions options;
    options.ties = ties_of(string_option(analysis.options, "ties", c.protocol.stats.ties));
    json out = cox_json(stats::cox_regression(cox, options));
    for (std::size_t k = 0; k < labels.size() && k < out["coefficients"].size(); ++k) out["coefficients"][k]["label"] = labels[k];
    out["endpoint"] = endpoint.paramcd;
    out["covariates"] = covariates;
    if (stratum != nullptr) {
        out["strata"] = stratum->name;
        out["strata_label"] = stratum->label;
    }
    return out;
}

// Cox model with "min_cycles received" as a time-varying covariate, in counting-process
// form: each patient is unexposed on (0, t_k] and exposed on (t_k, T], t_k the day of the
// k-th cycle (Mantel & Byar 1974; docs/methods.md §5). Uses every patient and all follow-up.
json time_dependent_cycles_cox(const Context& c, const std::vector<std::vector<int>>& cycle_days,
                               const TimeToEvent& endpoint, int min_cycles) {
    stats::CoxData cox;
    for (const auto& record : endpoint.records) {
        const auto& days = cycle_days[record.subject];
        const double end = record.aval;
        const int event = record.cnsr == 0 ? 1 : 0;
        double switch_time = -1;
        if (static_cast<int>(days.size()) >= min_cycles) {
            switch_time = days[static_cast<std::size_t>(min_cycles - 1)] / c.protocol.days_per_unit;
        }
        if (switch_time > 0 && switch_time < end) {
            cox.start.insert(cox.start.end(), {0.0, switch_time});
            cox.stop.insert(cox.stop.end(), {switch_time, end});
            cox.event.insert(cox.event.end(), {0.0, static_cast<double>(event)});
            cox.x.insert(cox.x.end(), {0.0, 1.0});
        } else {
            // Never reached the k-th cycle before the end (or reached it on day 0).
            const bool exposed = switch_time == 0;
            if (end <= 0) continue;  // no time at risk: (0, 0] is empty
            cox.start.push_back(0.0);
            cox.stop.push_back(end);
            cox.event.push_back(event);
            cox.x.push_back(exposed ? 1.0 : 0.0);
        }
    }
    cox.names = {fmt::format(">= {} cycles received (time-varying)", min_cycles)};
    json out = cox_json(stats::cox_regression(cox, {.ties = ties_of(c.protocol.stats.ties)}));
    out["method"] = "Cox model with the cycles received as a time-varying covariate (counting process)";
    return out;
}

json run_landmark(const Context& c, const Analysis& analysis) {
    const int landmark = analysis.options.value("landmark_days", 105);
    const int min_cycles = analysis.options.value("min_count", 6);
    const auto& cycle_days = c.data.administration_days.at(analysis.id);
    const double landmark_time = landmark / c.protocol.days_per_unit;
    json out{{"landmark_days", landmark}, {"landmark_time", landmark_time}, {"min_cycles", min_cycles},
             {"explanation",
              fmt::format("Patients who die or progress early cannot receive many cycles, so comparing patients by the "
                          "number of cycles they eventually received credits the long-cycle group with survival time "
                          "during which it was guaranteed to be alive (immortal-time bias). Here groups are fixed at a "
                          "landmark, day {} after the index date, by the cycles received by then (>= {} or fewer), and "
                          "only patients still event-free at the landmark are compared, from the landmark onwards.",
                          landmark, min_cycles)}};
    json results = json::array();
    Variable group;
    group.name = "LMGROUP";
    group.label = "cycles by the landmark";
    group.levels = {fmt::format(">={}", min_cycles), fmt::format("<{}", min_cycles)};
    group.values.resize(c.data.adsl.size());
    for (std::size_t s = 0; s < c.data.adsl.size(); ++s) {
        const auto& days = cycle_days[s];
        const auto received = std::count_if(days.begin(), days.end(), [&](int d) { return d <= landmark; });
        group.values[s] = received >= min_cycles ? group.levels[0] : group.levels[1];
    }
    for (const auto& paramcd : strings(analysis.options, "endpoints")) {
        const auto& endpoint = c.data.endpoint(paramcd);
        // Event-free at the landmark; time measured from it.
        TimeToEvent shifted{endpoint.paramcd, endpoint.param, {}};
        std::size_t excluded = 0;
        for (auto record : endpoint.records) {
            if (record.aval <= landmark_time) {
                ++excluded;
                continue;
            }
            record.aval -= landmark_time;
            shifted.records.push_back(record);
        }
        const auto data = survival_data(shifted, &group);
        json entry{{"endpoint", paramcd}, {"at_risk_at_landmark", data.size()}, {"excluded_before_landmark", excluded}};
        const json medians = grouped_medians(data, c.protocol);
        entry["strata"] = medians["strata"];
        if (medians.contains("log_rank")) {
            entry["log_rank"] = medians["log_rank"];
            stats::CoxData cox;
            for (std::size_t row = 0; row < data.size(); ++row) {
                cox.stop.push_back(data.time[row]);
                cox.event.push_back(data.event[row]);
                cox.x.push_back(data.group[row] == 1 ? 1.0 : 0.0);
            }
            cox.names = {group.levels[1] + " vs " + group.levels[0]};
            entry["cox"] = cox_json(stats::cox_regression(cox, {.ties = ties_of(c.protocol.stats.ties)}));
        }
        entry["time_dependent_cox"] = time_dependent_cycles_cox(c, cycle_days, endpoint, min_cycles);
        results.push_back(entry);
    }
    out["results"] = results;
    return out;
}

using Runner = json (*)(const Context&, const Analysis&);

// The runner of each kind; every kind of analysis_kinds() has one (tests/analysis_kinds_test.cpp).
const std::map<std::string, Runner>& runners() {
    static const std::map<std::string, Runner> table{
        {"attrition", run_attrition},   {"table1", run_table1},
        {"followup", run_followup},     {"km", run_km},
        {"logrank", run_logrank},       {"response", run_response},
        {"adverse_events", run_adverse_events},
        {"association", run_association},
        {"cox", run_cox},               {"landmark", run_landmark},
    };
    return table;
}

// The study data of the patients an analysis's `where` keeps: ADSL rows and every record
// of those patients, renumbered.
StudyData subset(const StudyData& data, const std::vector<bool>& keep) {
    StudyData out;
    out.attrition = data.attrition;
    std::vector<std::size_t> renumbered(data.adsl.size(), 0);
    std::size_t kept = 0;
    for (std::size_t row = 0; row < data.adsl.size(); ++row) {
        if (!keep[row]) continue;
        renumbered[row] = kept++;
        out.adsl.usubjid.push_back(data.adsl.usubjid[row]);
        out.adsl.index_date.push_back(data.adsl.index_date[row]);
    }
    for (const auto& variable : data.adsl.variables) {
        Variable copy = variable;
        copy.numbers.clear();
        copy.values.clear();
        for (std::size_t row = 0; row < data.adsl.size(); ++row) {
            if (!keep[row]) continue;
            if (variable.numeric) copy.numbers.push_back(variable.numbers[row]);
            else copy.values.push_back(variable.values[row]);
        }
        if (!copy.numeric && copy.type != ValueType::date) {
            // Only the levels that still occur, in their order.
            std::vector<std::string> present;
            for (const auto& level : copy.levels) {
                if (std::find(copy.values.begin(), copy.values.end(), level) != copy.values.end()) present.push_back(level);
            }
            copy.levels = std::move(present);
        }
        out.adsl.variables.push_back(std::move(copy));
    }
    for (const auto& parameter : data.adtte) {
        TimeToEvent copy{parameter.paramcd, parameter.param, {}};
        for (auto record : parameter.records) {
            if (!keep[record.subject]) continue;
            record.subject = renumbered[record.subject];
            copy.records.push_back(std::move(record));
        }
        out.adtte.push_back(std::move(copy));
    }
    for (auto record : data.adrs) {
        if (keep[record.subject]) record.subject = renumbered[record.subject], out.adrs.push_back(std::move(record));
    }
    for (auto record : data.adae) {
        if (keep[record.subject]) record.subject = renumbered[record.subject], out.adae.push_back(std::move(record));
    }
    for (const auto& [id, days] : data.administration_days) {
        auto& copy = out.administration_days[id];
        for (std::size_t row = 0; row < days.size(); ++row) {
            if (keep[row]) copy.push_back(days[row]);
        }
    }
    return out;
}

}  // namespace

bool has_analysis_runner(const std::string& kind) { return runners().count(kind) > 0; }

json run_analyses(const StudyData& data, const Protocol& protocol, std::vector<std::string>& warnings) {
    const Context context{data, protocol, warnings};
    json out = json::array();
    for (const auto& analysis : protocol.analyses) {
        const auto runner = runners().find(analysis.kind);
        if (runner == runners().end()) throw Error(ErrorKind::internal, "analysis kind without a runner: " + analysis.kind);
        json result;
        if (analysis.where) {
            const auto keep = select_rows(data.adsl, analysis.where, protocol);
            const StudyData population = subset(data, keep);
            result = runner->second(Context{population, protocol, warnings}, analysis);
            result["population"] = {{"where", analysis.where->text()}, {"n", population.adsl.size()}};
        } else {
            result = runner->second(context, analysis);
        }
        json entry{{"id", analysis.id}, {"kind", analysis.kind}, {"result", result}};
        if (analysis.options.contains("title")) entry["title"] = analysis.options["title"];
        if (!analysis.published.empty()) {
            entry["published"] = analysis.published;
            entry["comparison"] = compare_with_published(analysis, result, protocol.path, warnings);
        }
        out.push_back(entry);
    }
    return out;
}

}  // namespace rwe::study
