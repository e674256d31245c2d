// Kind cox: the model's table (per covariate, or per level with its patients and events;
// univariable beside multivariable) and its forest plot.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "rwe/report/disclosure_control.hpp"
#include "rwe/report/forest_plot.hpp"
#include "rwe/report/report_cells.hpp"
#include "rwe/report/report_kinds.hpp"

namespace rwe::report {

namespace {

bool same_count(const results::Count& a, const results::Count& b) {
    return !a.is_suppressed() && !b.is_suppressed() && a.value() == b.value();
}

// The rows of a Cox table as gtsummary's tbl_regression lays them out: a number on one
// row; a category as a heading and a row per level, the first the reference ("—"), with
// the patients and events of each level among the model's patients. With univariable
// models, their HR and p in two columns before the multivariable model's.
void cox_term_rows(const results::CoxResult& r, Table& table, std::set<std::string>& explained) {
    const results::CoxFit& fit = r.fit;
    const bool univariable = r.univariable && !r.univariable->empty();
    table.columns = {"Characteristic", "N", "Events"};
    if (univariable) table.columns.insert(table.columns.end(), {"Univariable HR (95% CI)", "p"});
    table.columns.insert(table.columns.end(), {univariable ? "Multivariable HR (95% CI)" : "HR (95% CI)", "p"});
    std::vector<std::string> not_estimable;
    auto hr = [&](const results::CoxCoefficient& c, const std::string& label, const std::string& model, std::vector<std::string>& row) {
        if (c.not_estimable) {
            row.insert(row.end(), {"NE", ""});
            not_estimable.push_back(fmt::format("{}{}: {}", label, model, *c.not_estimable));
            explained.insert(c.name);
            return;
        }
        row.insert(row.end(), {estimate_ci(c.exp_coef, c.lower, c.upper, 2), p_cell(c.p)});
    };
    std::vector<std::string> univariable_n;
    for (const auto& term : *r.terms) {
        const results::CoxFit* single = nullptr;
        if (univariable) {
            for (const auto& model : *r.univariable) {
                if (model.covariate == term.name) single = &model.fit;
            }
            if (single != nullptr && !single->n.is_suppressed() && !fit.n.is_suppressed() && !same_count(single->n, fit.n)) {
                univariable_n.push_back(fmt::format("{} n = {} ({} events)", term.label, count_only(single->n), count_only(single->events)));
            }
        }
        if (term.type == "numeric") {
            std::vector<std::string> row{term.label, count_only(fit.n), count_only(fit.events)};
            if (single != nullptr) hr(single->coefficients.at(0), term.label, " (univariable)", row);
            hr(fit.coefficients.at(term.coefficient.value()), term.label, univariable ? " (multivariable)" : "", row);
            if (single == nullptr && univariable) row.insert(row.begin() + 3, {"", ""});
            table.rows.push_back(std::move(row));
            table.indent.push_back(0);
            continue;
        }
        table.rows.push_back(std::vector<std::string>(table.columns.size(), ""));
        table.rows.back()[0] = term.label;
        table.indent.push_back(0);
        const auto& levels = term.levels.value();
        for (std::size_t l = 0; l < levels.size(); ++l) {
            const results::CoxLevel& level = levels[l];
            std::vector<std::string> row{level.label, count_only(level.n), count_only(level.events)};
            if (level.reference.value_or(false)) {
                for (int model = 0; model < (single != nullptr ? 2 : 1); ++model) row.insert(row.end(), {"\u2014", ""});
            } else {
                const std::string named = term.label + ": " + level.label;
                if (single != nullptr) hr(single->coefficients.at(l - 1), named, " (univariable)", row);
                hr(fit.coefficients.at(level.coefficient.value()), named, univariable ? " (multivariable)" : "", row);
            }
            if (single == nullptr && univariable) row.insert(row.begin() + 3, {"", ""});
            table.rows.push_back(std::move(row));
            table.indent.push_back(1);
        }
    }
    table.footnotes.push_back("HR: hazard ratio; CI: confidence interval (Wald); p: Wald test; \u2014: reference level. "
                              "A number's HR is per unit increase.");
    if (univariable) {
        table.footnotes.push_back(fmt::format("Univariable: a model of each covariate alone; multivariable: all covariates together "
                                              "(n = {}, {} events). N and Events: patients and events in each level among the multivariable model's patients.",
                                              count_only(fit.n), count_only(fit.events)));
        if (!univariable_n.empty()) {
            std::string list;
            for (const auto& item : univariable_n) list += (list.empty() ? "" : "; ") + item;
            table.footnotes.push_back("Univariable models use the patients with the covariate recorded: " + list + ".");
        }
    } else {
        table.footnotes.push_back("N and Events: patients and events in each level among the model's patients.");
    }
    for (const auto& note : not_estimable) table.footnotes.push_back("NE, not estimable: " + note + ".");
}

}  // namespace

void report_cox(ReportContext& context, const std::string& id, const results::CoxResult& r) {
    const results::CoxFit& fit = r.fit;
    Section& s = context.section("cox", "Multivariable Cox models");
    const std::string strata = r.strata ? fmt::format("; stratified by {}", r.strata_label.value_or(*r.strata)) : "";
    Table table{id, fmt::format("Cox model for {} (n = {}, {} events; ties {}{})", r.endpoint, count_only(fit.n), count_only(fit.events), fit.ties, strata),
                {"Covariate", "HR (95% CI)", "p"}, {}, {}, {}, {}};
    ForestPlotInput forest;
    forest.label_header = "Covariate";
    for (const auto& c : fit.coefficients) {
        ForestRow row;
        row.label = c.label.value_or(c.name);
        row.estimate = c.exp_coef.value();
        row.lower = c.lower.value();
        row.upper = c.upper.value();
        row.p = c.p.value();
        if (c.not_estimable || !(row.lower > 0) || !std::isfinite(row.upper)) {
            row.estimate = row.lower = row.upper = std::numeric_limits<double>::quiet_NaN();
            row.note = "not estimable";
        }
        forest.rows.push_back(row);
    }
    std::set<std::string> explained;  // coefficient names whose diagnostic a not-estimable note replaces
    if (r.terms) {
        cox_term_rows(r, table, explained);
    } else {  // results of an earlier version: one row per coefficient
        for (const auto& c : fit.coefficients) {
            table.rows.push_back({c.label.value_or(c.name), estimate_ci(c.exp_coef, c.lower, c.upper, 2), p_cell(c.p)});
        }
    }
    const std::string lr = fit.lr.is_suppressed() ? suppressed_cell : p_phrase(fit.lr->p);
    table.footnotes.push_back(fmt::format("Likelihood-ratio test {} on {} df; concordance {}.", lr, fit.lr->df, fixed(fit.concordance, 3)));
    for (const auto& text : fit.diagnostics) {
        const bool repeated = std::any_of(explained.begin(), explained.end(),
                                          [&](const std::string& name) { return text.find("'" + name + "'") != std::string::npos; });
        if (!repeated) table.footnotes.push_back(text);
    }
    context.add_table(s, table);
    const bool any_estimable = std::any_of(forest.rows.begin(), forest.rows.end(), [](const ForestRow& row) { return std::isfinite(row.estimate); });
    if (any_estimable) {
        const FigureOptions& figure = context.figure_options();
        if (figure.x_label) forest.x_label = *figure.x_label;
        if (!figure.colours.empty()) forest.colour = figure.colours.front();
        forest.p_column = figure.p_value.value_or(true);
        context.add_figure(s, "fig-" + id,
                           fmt::format("Hazard ratios (squares) with 95% confidence intervals (lines) of the {}Cox model for {} (n = {}, {} events{}), "
                                       "on a log scale; the dashed line marks a hazard ratio of 1{}.",
                                       r.univariable ? "multivariable " : "", r.endpoint, count_only(fit.n), count_only(fit.events), strata,
                                       forest.p_column ? "; p: Wald test" : ""),
                           forest_plot(forest));
    }
}

}  // namespace rwe::report
