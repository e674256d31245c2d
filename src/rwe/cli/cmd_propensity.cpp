// rwe propensity: a propensity-score model of a binary treatment on covariates (R's
// glm(family = binomial)), inverse-probability weights or nearest-neighbour matching
// (MatchIt's method = "nearest"), and the balance table before and after
// (docs/methods.md §8).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/report/figure.hpp"
#include "rwe/report/love_plot.hpp"
#include "rwe/stats/covariate_balance.hpp"
#include "rwe/stats/logistic_regression.hpp"
#include "rwe/stats/propensity_matching.hpp"
#include "rwe/stats/propensity_weights.hpp"

namespace rwe::cli {

namespace {

using nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct CovariateSpec {
    std::string column;
    bool factor = false;
    std::string reference;  // empty: the first level present
};

// The treatment column as 1 (treated) / 0 (control) / NaN (missing): 0/1 or TRUE/FALSE
// (also T/F, true/false); any other value is an InputError naming the line.
std::vector<double> treatment_indicator(const Table& table, const std::string& file, const std::string& column) {
    const auto& category = table.category(column);
    std::vector<double> level_value(category.levels.size(), nan);
    for (std::size_t level = 0; level < category.levels.size(); ++level) {
        const std::string& text = category.levels[level];
        if (text == "1" || text == "TRUE" || text == "T" || text == "true" || text == "True") level_value[level] = 1;
        if (text == "0" || text == "FALSE" || text == "F" || text == "false" || text == "False") level_value[level] = 0;
        if (category.numeric && std::isnan(level_value[level])) {
            double v = 0;
            try {
                v = std::stod(text);
            } catch (const std::exception&) {
                v = nan;
            }
            if (v == 1 || v == 0) level_value[level] = v;
        }
    }
    std::vector<double> out(table.rows, nan);
    for (std::size_t row = 0; row < table.rows; ++row) {
        const auto code = category.codes[row];
        if (code < 0) continue;
        const double v = level_value[static_cast<std::size_t>(code)];
        if (std::isnan(v)) {
            throw InputError(file, table.line(row), column, "treatment must be 1 (treated) or 0 (control), or TRUE/FALSE",
                             category.levels[static_cast<std::size_t>(code)]);
        }
        out[row] = v;
    }
    return out;
}

std::string number_text(double value) {
    if (std::isnan(value)) return "NA";
    return fmt::format("{:.17g}", value);
}

json group_summary(const std::vector<double>& treated, const std::vector<double>& weight, double group) {
    const auto w = stats::summarize_weights(weight, treated, group);
    return {{"n", w.n}, {"n_weighted", w.n_weighted}, {"sum", json_number(w.sum)}, {"min", json_number(w.min)}, {"max", json_number(w.max)}, {"ess", json_number(w.ess)}};
}

}  // namespace

int run_propensity(int argc, char** argv) {
    CLI::App app{"Propensity scores (R glm binomial), weights or nearest-neighbour matching (MatchIt), balance table",
                 "rwe propensity"};
    std::string file, treatment_col, covariates_text, ps_col, estimand_text = "ate", format = "text", weights_out,
                                                                order_text = "largest";
    std::vector<std::string> factors;
    bool stabilize = false, replace = false;
    double trim = 0, truncate = 0, caliper = 0, conf_level = 0.95;
    std::size_t ratio = 0;
    app.add_option("file", file, "CSV file (plain or .gz)")->required();
    app.add_option("--treatment", treatment_col, "treatment column: 1 = treated, 0 = control (or TRUE/FALSE)")->required();
    app.add_option("--covariates", covariates_text,
                   "comma-separated covariates of the model and the balance table; a text column is a factor")
        ->required();
    app.add_option("--factor", factors,
                   "name[:REF] - treat covariate `name` as categorical with reference level REF (default: first level); "
                   "repeatable or comma-separated")
        ->delimiter(',');
    app.add_option("--ps", ps_col, "a propensity-score column (values in (0, 1)) to use instead of fitting the model");
    app.add_option("--estimand", estimand_text, "ate | att (weights; matching estimates the ATT)")
        ->check(CLI::IsMember({"ate", "att"}));
    app.add_flag("--stabilize", stabilize, "stabilized weights (marginal treatment probability in the numerator)");
    app.add_option("--trim", trim, "drop units with a propensity score outside [A, 1 - A] (0 < A < 0.5)");
    app.add_option("--truncate", truncate, "cap weights at their P-th quantile (0 < P < 1, e.g. 0.99)");
    app.add_option("--match", ratio, "nearest-neighbour matching, K controls per treated unit (MatchIt method = \"nearest\")");
    app.add_option("--caliper", caliper, "matching caliper in SDs of the propensity score (MatchIt's std.caliper = TRUE)");
    app.add_flag("--replace", replace, "match with replacement");
    app.add_option("--order", order_text, "matching order: largest (MatchIt's default) | smallest | data")
        ->check(CLI::IsMember({"largest", "smallest", "data"}));
    app.add_option("--conf-level", conf_level, "confidence level of the coefficients' intervals")
        ->check(confidence_level(0.0, 1.0, true));
    app.add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
    app.add_option("--weights-out", weights_out, "write row, treatment, propensity score and weight of every unit to this CSV file");
    std::string plot;
    app.add_option("--plot", plot,
                   "write the Love plot (absolute standardized differences before and after, dashed line at 0.1) to this "
                   ".svg, .pdf or .png file");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return parse_failure(app, e);
    }
    const std::string plot_extension = std::filesystem::path(plot).extension().string();
    if (!plot.empty() && plot_extension != ".svg" && plot_extension != ".pdf" && plot_extension != ".png") {
        throw UsageError("--plot: the file name must end in .svg, .pdf or .png (" + plot + ")");
    }

    // Options that go together, and their ranges.
    const bool matching = app.count("--match") > 0;
    if (matching) {
        if (ratio < 1) throw UsageError("--match: the number of controls per treated unit must be at least 1 (" + std::to_string(ratio) + ")");
        if (app.count("--estimand") && estimand_text != "att") {
            throw UsageError("--estimand " + estimand_text + ": nearest-neighbour matching estimates the ATT (MatchIt's estimand = \"ATT\")");
        }
        for (const char* option : {"--stabilize", "--trim", "--truncate"}) {
            if (app.count(option)) throw UsageError(std::string(option) + ": applies to weighting, not to --match");
        }
        estimand_text = "att";
    } else {
        for (const char* option : {"--caliper", "--replace", "--order"}) {
            if (app.count(option)) throw UsageError(std::string(option) + ": applies only with --match K");
        }
    }
    if (app.count("--trim") && !(trim > 0 && trim < 0.5)) {
        throw UsageError("--trim: must be a number strictly between 0 and 0.5 (" + format_number(trim, 17) + ")");
    }
    if (app.count("--truncate") && !(truncate > 0 && truncate < 1)) {
        throw UsageError("--truncate: must be a quantile strictly between 0 and 1 (" + format_number(truncate, 17) + ")");
    }
    if (app.count("--caliper") && !(caliper > 0 && std::isfinite(caliper))) {
        throw UsageError("--caliper: must be a positive number of standard deviations (" + format_number(caliper, 17) + ")");
    }
    const stats::Estimand estimand = estimand_text == "att" ? stats::Estimand::att : stats::Estimand::ate;

    std::vector<CovariateSpec> specs;
    for (const auto& name : split_list(covariates_text)) {
        if (std::any_of(specs.begin(), specs.end(), [&](const CovariateSpec& s) { return s.column == name; })) {
            throw UsageError("--covariates: " + name + " is named twice");
        }
        if (name == treatment_col) throw UsageError("--covariates: " + name + " is the treatment column");
        specs.push_back({name, false, {}});
    }
    if (specs.empty()) throw UsageError("--covariates: no column named");
    for (const auto& f : factors) {
        const auto colon = f.find(':');
        const std::string name = f.substr(0, colon);
        auto it = std::find_if(specs.begin(), specs.end(), [&](const CovariateSpec& s) { return s.column == name; });
        if (it == specs.end()) throw UsageError("--factor " + f + ": '" + name + "' is not in --covariates");
        it->factor = true;
        if (colon != std::string::npos) it->reference = f.substr(colon + 1);
    }

    std::vector<ColumnRequest> requests;
    std::set<std::string> seen;
    auto want = [&](const std::string& name, ColumnRequest::Kind kind) {
        if (seen.insert(name).second) requests.push_back({name, kind});
    };
    want(treatment_col, ColumnRequest::Kind::categorical);
    if (!ps_col.empty()) want(ps_col, ColumnRequest::Kind::numeric);
    for (const auto& s : specs) want(s.column, s.factor ? ColumnRequest::Kind::categorical : ColumnRequest::Kind::number_or_text);
    Table table = read_table(file, requests);
    const std::size_t rows = table.rows;
    for (auto& spec : specs) {
        if (!spec.factor && table.is_categorical(spec.column)) spec.factor = true;
    }
    const std::vector<double> treatment = treatment_indicator(table, file, treatment_col);

    // Rows complete in every used column; values no model accepts stop the work.
    std::vector<bool> complete(rows, true);
    for (std::size_t row = 0; row < rows; ++row) complete[row] = !std::isnan(treatment[row]);
    for (const auto& spec : specs) {
        if (spec.factor) {
            const auto& codes = table.category(spec.column).codes;
            for (std::size_t row = 0; row < rows; ++row) complete[row] = complete[row] && codes[row] >= 0;
            continue;
        }
        const auto& values = table.numbers(spec.column);
        for (std::size_t row = 0; row < rows; ++row) {
            if (std::isinf(values[row])) throw InputError(file, table.line(row), spec.column, "covariate must be finite", format_number(values[row], 17));
            complete[row] = complete[row] && !std::isnan(values[row]);
        }
    }
    if (!ps_col.empty()) {
        const auto& values = table.numbers(ps_col);
        for (std::size_t row = 0; row < rows; ++row) {
            if (!std::isnan(values[row]) && !(values[row] > 0 && values[row] < 1)) {
                throw InputError(file, table.line(row), ps_col, "a propensity score must lie strictly between 0 and 1",
                                 format_number(values[row], 17));
            }
            complete[row] = complete[row] && !std::isnan(values[row]);
        }
    }
    std::vector<std::size_t> used;
    for (std::size_t row = 0; row < rows; ++row) {
        if (complete[row]) used.push_back(row);
    }
    const std::size_t n = used.size();
    const std::size_t dropped = rows - n;
    std::vector<double> treated(n);
    std::size_t n_treated = 0;
    for (std::size_t i = 0; i < n; ++i) {
        treated[i] = treatment[used[i]];
        if (treated[i] == 1) ++n_treated;
    }
    if (n == 0) {
        throw InputError(file + ": no row has both the treatment and every covariate (" + std::to_string(dropped) +
                         " rows, all dropped)");
    }
    if (n_treated == 0 || n_treated == n) {
        throw InputError(file + ": " + treatment_col + ": the " + std::to_string(n) + " complete rows are all " +
                         (n_treated ? "treated" : "controls") + "; a propensity score needs both groups");
    }

    // Model matrix (treatment contrasts: one 0/1 column per non-reference level, named like
    // R's nameLEVEL) and the balance columns (every level of a factor, named name_LEVEL, as
    // cobalt shows them).
    std::vector<std::string> model_names, balance_names;
    std::vector<std::vector<double>> model_columns, balance_columns;
    for (const auto& spec : specs) {
        if (!spec.factor) {
            const auto& values = table.numbers(spec.column);
            std::vector<double> column(n);
            for (std::size_t i = 0; i < n; ++i) column[i] = values[used[i]];
            model_names.push_back(spec.column);
            balance_names.push_back(spec.column);
            model_columns.push_back(column);
            balance_columns.push_back(std::move(column));
            continue;
        }
        const auto& category = table.category(spec.column);
        std::vector<bool> present(category.levels.size(), false);
        for (std::size_t row : used) present[static_cast<std::size_t>(category.codes[row])] = true;
        std::size_t reference = 0;
        while (reference + 1 < present.size() && !present[reference]) ++reference;
        if (!spec.reference.empty()) {
            auto it = std::find(category.levels.begin(), category.levels.end(), spec.reference);
            if (it == category.levels.end() || !present[static_cast<std::size_t>(it - category.levels.begin())]) {
                std::string levels;
                for (std::size_t level = 0; level < category.levels.size(); ++level) {
                    if (present[level]) levels += (levels.empty() ? "" : ", ") + category.levels[level];
                }
                throw UsageError("--factor " + spec.column + ":" + spec.reference + ": no such level in the rows used (levels: " + levels + ")");
            }
            reference = static_cast<std::size_t>(it - category.levels.begin());
        }
        for (std::size_t level = 0; level < category.levels.size(); ++level) {
            if (!present[level]) continue;
            std::vector<double> column(n);
            for (std::size_t i = 0; i < n; ++i) column[i] = category.codes[used[i]] == static_cast<std::int32_t>(level) ? 1 : 0;
            balance_names.push_back(spec.column + "_" + category.levels[level]);
            balance_columns.push_back(column);
            if (level == reference) continue;
            model_names.push_back(spec.column + category.levels[level]);
            model_columns.push_back(std::move(column));
        }
    }
    auto row_major = [n](const std::vector<std::vector<double>>& columns) {
        std::vector<double> x(n * columns.size());
        for (std::size_t i = 0; i < n; ++i) {
            for (std::size_t k = 0; k < columns.size(); ++k) x[i * columns.size() + k] = columns[k][i];
        }
        return x;
    };

    std::vector<std::string> messages;
    stats::LogisticRegression model;
    std::vector<double> ps(n);
    if (ps_col.empty()) {
        stats::LogisticOptions logistic_options;
        logistic_options.conf_level = conf_level;
        model = stats::logistic_regression(treated, row_major(model_columns), model_names, logistic_options);
        ps = model.fitted;
        messages = model.messages;
    } else {
        const auto& values = table.numbers(ps_col);
        for (std::size_t i = 0; i < n; ++i) ps[i] = values[used[i]];
    }

    std::vector<double> weight;
    stats::PropensityWeights weighting;
    stats::Matching matched;
    stats::MatchingOptions matching_options;
    if (matching) {
        matching_options.ratio = ratio;
        matching_options.caliper = caliper;
        matching_options.replace = replace;
        matching_options.order = order_text == "smallest" ? stats::MatchOrder::smallest
                                 : order_text == "data"   ? stats::MatchOrder::data
                                                          : stats::MatchOrder::largest;
        matched = stats::nearest_neighbour_matching(treated, ps, matching_options);
        if (matched.matched_treated == 0) {
            throw InputError(file + ": no treated unit found a control" + std::string(caliper > 0 ? " within the caliper" : ""));
        }
        if (matched.unmatched_treated > 0) {
            messages.push_back(std::to_string(matched.unmatched_treated) + " treated units found no control" +
                               (caliper > 0 ? " within the caliper" : "") + " and are left out: the estimand is the ATT of the matched treated units");
        }
        weight = matched.weight;
    } else {
        stats::PropensityWeightOptions weight_options;
        weight_options.estimand = estimand;
        weight_options.stabilize = stabilize;
        weight_options.trim = trim;
        weight_options.truncate = truncate;
        weighting = stats::propensity_weights(treated, ps, weight_options);
        std::size_t kept_treated = 0, kept_controls = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (weighting.trimmed[i]) continue;
            (treated[i] == 1 ? kept_treated : kept_controls) += 1;
        }
        if (kept_treated == 0 || kept_controls == 0) {
            throw InputError(file + ": --trim " + format_number(trim, 17) + ": no " + (kept_treated ? "control" : "treated") +
                             " unit has a propensity score inside the trimming bounds");
        }
        weight = weighting.weight;
    }
    const stats::BalanceTable balance = stats::covariate_balance(treated, row_major(balance_columns), balance_names, weight, estimand);

    if (!weights_out.empty()) {
        std::string text = "row,treatment,ps,weight\n";
        for (std::size_t i = 0; i < n; ++i) {
            text += fmt::format("{},{},{},{}\n", used[i] + 1, treated[i] == 1 ? 1 : 0, number_text(ps[i]), number_text(weight[i]));
        }
        report::write_file_atomic(weights_out, text);
    }

    if (!plot.empty()) {
        report::LovePlotInput love;
        love.after_label = matching ? "Matched" : std::string(estimand == stats::Estimand::att ? "Weighted (ATT)" : "Weighted (ATE)");
        for (const auto& row : balance.rows) love.rows.push_back({row.name, row.smd, row.smd_adjusted});
        const report::Figure drawn = report::love_plot(love);
        report::write_file_atomic(plot, plot_extension == ".svg"   ? report::render_svg(drawn)
                                        : plot_extension == ".pdf" ? report::render_pdf(drawn)
                                                                   : report::render_png(drawn));
    }

    json balance_rows = json::array();
    for (const auto& row : balance.rows) {
        balance_rows.push_back({{"name", row.name}, {"binary", row.binary},
                                {"mean_treated", json_number(row.mean_treated)}, {"mean_control", json_number(row.mean_control)},
                                {"smd", json_number(row.smd)}, {"variance_ratio", json_number(row.variance_ratio)},
                                {"mean_treated_adjusted", json_number(row.mean_treated_adjusted)},
                                {"mean_control_adjusted", json_number(row.mean_control_adjusted)},
                                {"smd_adjusted", json_number(row.smd_adjusted)},
                                {"variance_ratio_adjusted", json_number(row.variance_ratio_adjusted)},
                                {"sd_denominator", json_number(row.sd_denominator)}});
    }
    json doc{{"file", file}, {"treatment", treatment_col}, {"n", n}, {"dropped", dropped}, {"treated", n_treated},
             {"controls", n - n_treated}, {"estimand", estimand_text},
             {"smd_denominator", estimand == stats::Estimand::att ? "treated" : "pooled"}};
    if (ps_col.empty()) {
        json coefficients = json::array();
        for (std::size_t k = 0; k < model.names.size(); ++k) {
            coefficients.push_back({{"name", model.names[k]}, {"coef", json_number(model.coef[k])}, {"se", json_number(model.se[k])},
                                    {"z", json_number(model.z[k])}, {"p", json_number(model.p[k])},
                                    {"lower", json_number(model.lower[k])}, {"upper", json_number(model.upper[k])}});
        }
        doc["model"] = {{"coefficients", std::move(coefficients)}, {"null_deviance", json_number(model.null_deviance)},
                        {"deviance", json_number(model.deviance)}, {"aic", json_number(model.aic)},
                        {"df_null", model.df_null}, {"df_residual", model.df_residual}, {"iterations", model.iterations},
                        {"converged", model.converged}};
    } else {
        doc["ps_column"] = ps_col;
    }
    if (matching) {
        json sets = json::array();
        for (std::size_t i = 0; i < matched.treated_units.size(); ++i) {
            json controls = json::array();
            for (std::size_t control : matched.matches[i]) controls.push_back(used[control] + 1);
            sets.push_back({{"treated", used[matched.treated_units[i]] + 1}, {"controls", std::move(controls)}});
        }
        doc["matching"] = {{"ratio", ratio}, {"caliper", json_number(caliper > 0 ? caliper : nan)},
                           {"caliper_distance", json_number(matched.caliper_distance)}, {"replace", replace},
                           {"order", order_text}, {"matched_treated", matched.matched_treated},
                           {"matched_controls", matched.matched_controls}, {"unmatched_treated", matched.unmatched_treated},
                           {"sets", std::move(sets)}};
    } else {
        doc["weighting"] = {{"stabilize", stabilize}, {"trim", json_number(trim > 0 ? trim : nan)},
                            {"truncate", json_number(truncate > 0 ? truncate : nan)}, {"trimmed", weighting.n_trimmed},
                            {"truncated", weighting.n_truncated}, {"cap", json_number(weighting.cap)},
                            {"treated_share", json_number(weighting.treated_share)}};
    }
    doc["weights"] = {{"treated", group_summary(treated, weight, 1)}, {"control", group_summary(treated, weight, 0)}};
    doc["balance"] = std::move(balance_rows);
    doc["messages"] = messages;
    if (format == "json") {
        std::cout << doc.dump(2) << "\n";
        return 0;
    }

    std::cout << fmt::format("Propensity score of {}: {}; {} rows used ({} dropped), {} treated, {} controls\n\n", treatment_col, file, n,
                             dropped, n_treated, n - n_treated);
    if (ps_col.empty()) {
        std::cout << fmt::format("Logistic regression (R glm binomial): deviance {} on {} df (null {} on {} df), AIC {}, {} iterations{}\n",
                                 format_number(model.deviance, 8), model.df_residual, format_number(model.null_deviance, 8),
                                 model.df_null, format_number(model.aic, 8), model.iterations,
                                 model.converged ? "" : " (not converged)");
        std::vector<std::vector<std::string>> grid{{"covariate", "coef", "se", "z", "p", "lower", "upper"}};
        for (std::size_t k = 0; k < model.names.size(); ++k) {
            grid.push_back({model.names[k], format_number(model.coef[k], 6), format_number(model.se[k], 6), format_number(model.z[k], 6),
                            format_number(model.p[k], 4), format_number(model.lower[k], 6), format_number(model.upper[k], 6)});
        }
        print_columns(std::cout, grid);
    } else {
        std::cout << "Propensity score from column " << ps_col << "\n";
    }
    if (matching) {
        std::cout << fmt::format("\nNearest-neighbour matching 1:{} {} replacement, order {}{}: {} treated matched ({} unmatched), {} controls\n",
                                 ratio, replace ? "with" : "without", order_text,
                                 caliper > 0 ? fmt::format(", caliper {} SD = {}", format_number(caliper), format_number(matched.caliper_distance, 6)) : "",
                                 matched.matched_treated, matched.unmatched_treated, matched.matched_controls);
    } else {
        std::cout << fmt::format("\n{} weights{}{}{}\n", estimand == stats::Estimand::att ? "ATT" : "ATE", stabilize ? ", stabilized" : "",
                                 trim > 0 ? fmt::format(", trimmed at [{}, {}] ({} units dropped)", format_number(trim), format_number(1 - trim), weighting.n_trimmed) : "",
                                 truncate > 0 ? fmt::format(", truncated at the {} quantile {} ({} weights capped)", format_number(truncate),
                                                            format_number(weighting.cap, 6), weighting.n_truncated)
                                              : "");
    }
    std::vector<std::vector<std::string>> weights_grid{{"group", "n", "weighted", "sum", "min", "max", "ESS"}};
    for (const auto& [label, key] : {std::pair{"treated", "treated"}, std::pair{"control", "control"}}) {
        const json& g = doc["weights"][key];
        auto number = [](const json& v) { return v.is_number() ? format_number(v.get<double>(), 6) : std::string("NA"); };
        weights_grid.push_back({label, std::to_string(g["n"].get<std::size_t>()), std::to_string(g["n_weighted"].get<std::size_t>()),
                                number(g["sum"]), number(g["min"]), number(g["max"]), number(g["ess"])});
    }
    print_columns(std::cout, weights_grid);
    std::cout << fmt::format("\nBalance (SMD denominator: {}, unweighted; T treated, C control, VR variance ratio)\n",
                             estimand == stats::Estimand::att ? "SD of the treated group" : "pooled SD of the two groups");
    std::vector<std::vector<std::string>> grid{{"covariate", "mean T", "mean C", "SMD", "VR", "adj mean T", "adj mean C", "adj SMD", "adj VR"}};
    for (const auto& row : balance.rows) {
        grid.push_back({row.name, format_number(row.mean_treated, 5), format_number(row.mean_control, 5), format_number(row.smd, 4),
                        format_number(row.variance_ratio, 4), format_number(row.mean_treated_adjusted, 5),
                        format_number(row.mean_control_adjusted, 5), format_number(row.smd_adjusted, 4),
                        format_number(row.variance_ratio_adjusted, 4)});
    }
    print_columns(std::cout, grid);
    for (const auto& message : messages) std::cout << "note: " << message << "\n";
    return 0;
}

}  // namespace rwe::cli

RWE_COMMAND(propensity, "propensity scores: logistic model, IPT weights or 1:k matching, balance table (glm, MatchIt)",
            rwe::cli::run_propensity);
