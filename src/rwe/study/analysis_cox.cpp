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
            labels.push_back(variable.label + ": " + variable.levels[level] + " vs " + variable.levels[0]);
        }
    }
    x.resize(subjects.size() * columns.size());
    for (std::size_t row = 0; row < subjects.size(); ++row) {
        for (std::size_t k = 0; k < columns.size(); ++k) x[row * columns.size() + k] = columns[k][row];
    }
    return labels;
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
    const auto labels = covariate_columns(c.data, covariates, subjects, cox.x, cox.names, cox.terms);
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

}  // namespace rwe::study::kit
