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
    // Per covariate, each row's level (-1: missing); empty for a number.
    std::vector<std::vector<std::int32_t>> levels;
};

// The rows in one order whatever gave them: by stratum, time, event and covariates (so
// that the rows of ADTTE and the store's counts of them make the same model to the last
// bit: a sum's rounding depends on its order).
void canonical_order(CoxInput& input) {
    auto& d = input.data;
    const std::size_t rows = d.stop.size(), width = d.names.size();
    std::vector<std::size_t> order(rows);
    for (std::size_t r = 0; r < rows; ++r) order[r] = r;
    const auto less = [](double a, double b) {  // NaN (missing) after every number
        if (std::isnan(a)) return false;
        return std::isnan(b) || a < b;
    };
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (!d.stratum.empty() && d.stratum[a] != d.stratum[b]) return d.stratum[a] < d.stratum[b];
        if (d.stop[a] != d.stop[b]) return d.stop[a] < d.stop[b];
        if (d.event[a] != d.event[b]) return d.event[a] < d.event[b];
        for (std::size_t k = 0; k < width; ++k) {
            const double x = d.x[a * width + k], y = d.x[b * width + k];
            if (less(x, y)) return true;
            if (less(y, x)) return false;
        }
        for (const auto& column : input.levels) {
            if (!column.empty() && column[a] != column[b]) return column[a] < column[b];
        }
        return false;
    });
    auto permute = [&](auto& column, std::size_t stride) {
        if (column.empty()) return;
        auto copy = column;
        for (std::size_t r = 0; r < rows; ++r) {
            for (std::size_t k = 0; k < stride; ++k) column[r * stride + k] = copy[order[r] * stride + k];
        }
    };
    permute(d.stop, 1);
    permute(d.event, 1);
    permute(d.stratum, 1);
    permute(d.x, width);
    for (auto& column : input.levels) permute(column, 1);
}

// The model's rows: one per endpoint record, the covariates as columns, the stratum when
// given; from ADTTE, or from the store's counts; in canonical_order.
CoxInput cox_input(const Context& c, const TimeToEvent& endpoint, const std::vector<std::string>& covariates,
                   const Variable* stratum) {
    const std::vector<std::string>& used = covariates;
    CoxInput input;
    std::vector<std::size_t> subjects;
    if (c.counted == nullptr) {
        for (const auto& record : endpoint.records) {
            subjects.push_back(record.subject);
            input.data.stop.push_back(record.aval);
            input.data.event.push_back(record.cnsr == 0 ? 1.0 : 0.0);
        }
    }
    // Labels, names and terms; with the store's counts (no subjects) the columns come below.
    input.labels = covariate_columns(c.data, used, subjects, input.data.x, input.data.names, input.data.terms);
    for (const auto& name : used) {
        const Variable& variable = c.data.adsl.at(name);
        std::vector<std::int32_t> levels;
        if (!variable.numeric) {
            const auto codes = variable.values.level_index(variable.levels);
            for (auto s : subjects) levels.push_back(codes[variable.values.code(s)]);
        }
        input.levels.push_back(std::move(levels));
    }
    if (c.counted == nullptr) {
        // Stratified model: a baseline hazard per level (R's strata()); a missing level drops the row.
        if (stratum != nullptr) {
            for (auto subject : subjects) {
                const auto& value = stratum->values[subject];
                auto it = std::find(stratum->levels.begin(), stratum->levels.end(), value);
                input.data.stratum.push_back(value.empty() || it == stratum->levels.end()
                                                 ? -1 : static_cast<std::int32_t>(it - stratum->levels.begin()));
            }
        }
        canonical_order(input);
        return input;
    }
    const auto found = c.counted->patterns.find(StoreCounts::pattern_key(endpoint.paramcd, covariates, stratum ? stratum->name : ""));
    if (found == c.counted->patterns.end()) throw Error(ErrorKind::internal, "the store did not count the rows of a Cox model");
    std::vector<const Variable*> variables;
    for (const auto& name : used) variables.push_back(&c.data.adsl.at(name));
    const StoreCounts::Patterns& patterns = *found->second;
    if (patterns.width != used.size()) throw Error(ErrorKind::internal, "the store counted another Cox model");
    // Each value's level in its column, found once (store_level) and kept: per covariate,
    // then the stratum. The values of all columns share one list of texts.
    constexpr std::int32_t unknown = -2;
    std::vector<std::vector<std::int32_t>> level_of_code(used.size() + 1, std::vector<std::int32_t>(patterns.texts.size(), unknown));
    const auto level = [&](std::size_t column, const Variable& variable, std::int32_t code) {
        if (code < 0) return std::int32_t{-1};
        std::int32_t& known = level_of_code[column][static_cast<std::size_t>(code)];
        if (known == unknown) known = store_level(c, variable, patterns.texts[static_cast<std::size_t>(code)]);
        return known;
    };
    std::vector<double> row;
    std::vector<std::int32_t> levels(used.size());
    for (std::size_t p = 0; p < patterns.size(); ++p) {
        row.clear();
        for (std::size_t j = 0; j < used.size(); ++j) {
            const Variable& variable = *variables[j];
            if (variable.numeric) {
                row.push_back(patterns.numbers[p * patterns.width + j]);
                continue;
            }
            levels[j] = level(j, variable, patterns.codes[p * patterns.width + j]);
            for (std::size_t l = 1; l < variable.levels.size(); ++l) {
                row.push_back(levels[j] < 0 ? nan : (levels[j] == static_cast<std::int32_t>(l) ? 1.0 : 0.0));
            }
        }
        const std::int32_t stratum_code = stratum != nullptr ? level(used.size(), *stratum, patterns.stratum[p]) : 0;
        const double stop = static_cast<double>(patterns.days[p]) / c.protocol.days_per_unit;
        for (std::uint64_t copy = 0; copy < patterns.records[p]; ++copy) {
            input.data.stop.push_back(stop);
            input.data.event.push_back(patterns.event[p] != 0 ? 1.0 : 0.0);
            input.data.x.insert(input.data.x.end(), row.begin(), row.end());
            if (stratum != nullptr) input.data.stratum.push_back(stratum_code);
            for (std::size_t j = 0; j < used.size(); ++j) {
                if (!variables[j]->numeric) input.levels[j].push_back(levels[j]);
            }
        }
    }
    canonical_order(input);
    return input;
}

// The model of covariate j alone, on the model's rows in their order (R's coxph drops the
// rows where it is missing).
CoxInput single(const CoxInput& model, std::size_t j, const std::string& name) {
    CoxInput out;
    const auto& from = model.data;
    const std::size_t width = from.names.size(), rows = from.stop.size();
    std::vector<std::size_t> columns;
    for (std::size_t k = 0; k < width; ++k) {
        if (from.terms[k] != name) continue;
        columns.push_back(k);
        out.data.names.push_back(from.names[k]);
        out.data.terms.push_back(from.terms[k]);
        out.labels.push_back(model.labels[k]);
    }
    out.data.stop = from.stop;
    out.data.event = from.event;
    out.data.stratum = from.stratum;
    out.data.x.reserve(rows * columns.size());
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t k : columns) out.data.x.push_back(from.x[r * width + k]);
    }
    out.levels.push_back(model.levels[j]);
    return out;
}

results::CoxFit labelled_fit(const CoxInput& input, const stats::CoxRegression& fit) {
    results::CoxFit out = cox_fit_of(fit);
    for (std::size_t k = 0; k < input.labels.size() && k < out.coefficients.size(); ++k) out.coefficients[k].label = input.labels[k];
    return out;
}

// Per covariate of the model, its rows as a table shows them: a number's one coefficient, a
// category's levels (the first the reference) with the patients and events of each among the
// model's patients, and the index of each level's coefficient.
std::vector<results::CoxTerm> model_terms(const Context& c, const std::vector<std::string>& covariates, const CoxInput& input,
                                          const stats::CoxRegression& fit) {
    const stats::CoxData& data = input.data;
    // (used_rows is empty when no row was dropped; with every row dropped, none is used)
    std::vector<bool> used(data.stop.size(), fit.used_rows.empty() && fit.dropped == 0);
    for (auto row : fit.used_rows) used[row] = true;
    std::vector<results::CoxTerm> terms;
    std::size_t coefficient = 0;
    for (std::size_t j = 0; j < covariates.size(); ++j) {
        const std::string& name = covariates[j];
        const Variable& variable = c.data.adsl.at(name);
        results::CoxTerm term;
        term.name = name;
        term.label = variable.label;
        if (variable.numeric) {
            term.type = "numeric";
            term.coefficient = coefficient++;
            terms.push_back(std::move(term));
            continue;
        }
        term.type = "categorical";
        std::vector<std::size_t> n(variable.levels.size(), 0), events(variable.levels.size(), 0);
        for (std::size_t row = 0; row < data.stop.size(); ++row) {
            const std::int32_t level = input.levels[j][row];
            if (!used[row] || level < 0) continue;
            n[static_cast<std::size_t>(level)] += 1;
            events[static_cast<std::size_t>(level)] += data.event[row] != 0 ? 1 : 0;
        }
        term.levels.emplace();
        for (std::size_t l = 0; l < variable.levels.size(); ++l) {
            results::CoxLevel level;
            level.level = variable.levels[l];
            level.label = level_text(variable, variable.levels[l]);
            level.n = n[l];
            level.events = events[l];
            if (l == 0) level.reference = true;
            else level.coefficient = coefficient++;
            term.levels->push_back(std::move(level));
        }
        terms.push_back(std::move(term));
    }
    return terms;
}

struct CoxOptions {
    std::string endpoint = "OS";
    std::vector<std::string> covariates;
    std::optional<std::string> ties;  // the protocol's when absent
    std::optional<std::string> strata;
    std::optional<bool> univariable;  // by default with two covariates or more
    template <class V> void fields(V& v) {
        v("endpoint", endpoint);
        v("covariates", covariates);
        v("ties", ties);
        v("strata", strata);
        v("univariable", univariable);
    }
};

}  // namespace

results::CoxResult run_cox(const Context& c, const Analysis& analysis) {
    const auto options_read = read_options<CoxOptions>(analysis);
    const auto& endpoint = c.data.endpoint(options_read.endpoint);
    const auto& covariates = options_read.covariates;
    const Variable* stratum = optional_categorical(c, analysis, "strata", options_read.strata);
    stats::CoxOptions options;
    options.ties = ties_of(options_read.ties.value_or(c.protocol.stats.ties));
    const CoxInput input = cox_input(c, endpoint, covariates, stratum);
    const auto fit = stats::cox_regression(input.data, options);
    results::CoxResult out;
    out.fit = labelled_fit(input, fit);
    out.terms = model_terms(c, covariates, input, fit);
    out.endpoint = endpoint.paramcd;
    out.covariates = covariates;
    if (stratum != nullptr) {
        out.strata = stratum->name;
        out.strata_label = stratum->label;
    }
    // Univariable models, one per covariate on the patients with that covariate known (as
    // R's coxph with its default na.action fits each), with the same ties and strata; by
    // default when the model has more than one covariate.
    const bool univariable = options_read.univariable.value_or(covariates.size() > 1);
    if (univariable && covariates.size() == 1) {
        c.warn(analysis, "univariable", "with one covariate the univariable model is the model itself; no second column", "true");
    }
    if (univariable && covariates.size() > 1) {
        out.univariable.emplace();
        for (std::size_t j = 0; j < covariates.size(); ++j) {
            const std::string& name = covariates[j];
            const CoxInput alone = single(input, j, name);
            out.univariable->push_back({labelled_fit(alone, stats::cox_regression(alone.data, options)), name});
        }
    }
    return out;
}

}  // namespace rwe::study::kit
