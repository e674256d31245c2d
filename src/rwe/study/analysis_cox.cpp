// Cox proportional hazards models.
#include "rwe/study/analysis_kit.hpp"

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

namespace rwe::study::kit {

namespace {

// A level's text in tables: its value label when the protocol gives one.
std::string level_text(const Variable& variable, const std::string& level) {
    auto found = variable.value_labels.find(level);
    return found == variable.value_labels.end() ? level : found->second;
}

}  // namespace

// Covariates by ADSL name: numeric as they are; categorical as treatment-contrast dummies
// against the first level. Returns a readable label per column ("HR: positive vs negative").
std::vector<std::string> covariate_columns(const StudyData& data, const std::vector<std::string>& names,
                                           const std::vector<std::size_t>& subjects, std::vector<double>& x,
                                           std::vector<std::string>& column_names, std::vector<std::string>& terms) {
    std::vector<std::string> labels;
    std::vector<std::vector<double>> columns;
    for (const auto& name : names) {
        const Variable& variable = data.adsl.at(name);
        if (variable.numeric) {
            std::vector<double> column;
            for (auto s : subjects) column.push_back(variable.numbers[s]);
            columns.push_back(std::move(column));
            column_names.push_back(name);
            terms.push_back(name);
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
            column_names.push_back(name + variable.levels[level]);
            terms.push_back(name);
            labels.push_back(variable.label + ": " + level_text(variable, variable.levels[level]) + " vs " +
                             level_text(variable, variable.levels[0]));
        }
    }
    x.resize(subjects.size() * columns.size());
    for (std::size_t row = 0; row < subjects.size(); ++row) {
        for (std::size_t k = 0; k < columns.size(); ++k) x[row * columns.size() + k] = columns[k][row];
    }
    return labels;
}

namespace {

struct CoxInput {
    stats::CoxData data;
    std::vector<std::string> labels;
};

// The model's rows: one per endpoint record, the covariates as columns, the stratum when given.
CoxInput cox_input(const Context& c, const TimeToEvent& endpoint, const std::vector<std::string>& covariates,
                   const Variable* stratum) {
    CoxInput input;
    std::vector<std::size_t> subjects;
    for (const auto& record : endpoint.records) {
        subjects.push_back(record.subject);
        input.data.stop.push_back(record.aval);
        input.data.event.push_back(record.cnsr == 0 ? 1.0 : 0.0);
    }
    input.labels = covariate_columns(c.data, covariates, subjects, input.data.x, input.data.names, input.data.terms);
    // Stratified model: a baseline hazard per level (R's strata()); a missing level drops the row.
    if (stratum != nullptr) {
        for (auto subject : subjects) {
            const auto& value = stratum->values[subject];
            auto it = std::find(stratum->levels.begin(), stratum->levels.end(), value);
            input.data.stratum.push_back(value.empty() || it == stratum->levels.end()
                                             ? -1 : static_cast<std::int32_t>(it - stratum->levels.begin()));
        }
    }
    return input;
}

json fit_json(const CoxInput& input, const stats::CoxRegression& fit) {
    json out = cox_json(fit);
    for (std::size_t k = 0; k < input.labels.size() && k < out["coefficients"].size(); ++k) {
        out["coefficients"][k]["label"] = input.labels[k];
    }
    return out;
}

// Per covariate of the model, its rows as a table shows them: a number's one coefficient, a
// category's levels (the first the reference) with the patients and events of each among the
// model's patients, and the index of each level's coefficient.
json model_terms(const Context& c, const TimeToEvent& endpoint, const std::vector<std::string>& covariates,
                 const stats::CoxData& data, const stats::CoxRegression& fit) {
    // (used_rows is empty when no row was dropped; with every row dropped, none is used)
    std::vector<bool> used(data.stop.size(), fit.used_rows.empty() && fit.dropped == 0);
    for (auto row : fit.used_rows) used[row] = true;
    json terms = json::array();
    std::size_t coefficient = 0;
    for (const auto& name : covariates) {
        const Variable& variable = c.data.adsl.at(name);
        json term{{"name", name}, {"label", variable.label}};
        if (variable.numeric) {
            term["type"] = "numeric";
            term["coefficient"] = coefficient++;
            terms.push_back(term);
            continue;
        }
        term["type"] = "categorical";
        std::vector<std::size_t> n(variable.levels.size(), 0), events(variable.levels.size(), 0);
        for (std::size_t row = 0; row < data.stop.size(); ++row) {
            if (!used[row]) continue;
            const auto& value = variable.values[endpoint.records[row].subject];
            for (std::size_t l = 0; l < variable.levels.size(); ++l) {
                if (value == variable.levels[l]) {
                    n[l] += 1;
                    events[l] += data.event[row] != 0 ? 1 : 0;
                    break;
                }
            }
        }
        json levels = json::array();
        for (std::size_t l = 0; l < variable.levels.size(); ++l) {
            json level{{"level", variable.levels[l]}, {"label", level_text(variable, variable.levels[l])},
                       {"n", n[l]}, {"events", events[l]}};
            if (l == 0) level["reference"] = true;
            else level["coefficient"] = coefficient++;
            levels.push_back(level);
        }
        term["levels"] = levels;
        terms.push_back(term);
    }
    return terms;
}

}  // namespace

json run_cox(const Context& c, const Analysis& analysis) {
    const auto& endpoint = c.data.endpoint(string_option(analysis.options, "endpoint", "OS"));
    const auto covariates = strings(analysis.options, "covariates");
    const Variable* stratum = optional_categorical(c, analysis, "strata");
    stats::CoxOptions options;
    options.ties = ties_of(string_option(analysis.options, "ties", c.protocol.stats.ties));
    const CoxInput input = cox_input(c, endpoint, covariates, stratum);
    const auto fit = stats::cox_regression(input.data, options);
    json out = fit_json(input, fit);
    out["terms"] = model_terms(c, endpoint, covariates, input.data, fit);
    out["endpoint"] = endpoint.paramcd;
    out["covariates"] = covariates;
    if (stratum != nullptr) {
        out["strata"] = stratum->name;
        out["strata_label"] = stratum->label;
    }
    // Univariable models, one per covariate on the patients with that covariate known (as
    // R's coxph with its default na.action fits each), with the same ties and strata; by
    // default when the model has more than one covariate.
    const bool univariable = analysis.options.contains("univariable") ? analysis.options["univariable"].get<bool>()
                                                                       : covariates.size() > 1;
    if (univariable && covariates.size() == 1) {
        c.warn(analysis, "univariable", "with one covariate the univariable model is the model itself; no second column", "true");
    }
    if (univariable && covariates.size() > 1) {
        json models = json::array();
        for (const auto& name : covariates) {
            const CoxInput single = cox_input(c, endpoint, {name}, stratum);
            json model = fit_json(single, stats::cox_regression(single.data, options));
            model["covariate"] = name;
            models.push_back(std::move(model));
        }
        out["univariable"] = std::move(models);
    }
    return out;
}

}  // namespace rwe::study::kit
