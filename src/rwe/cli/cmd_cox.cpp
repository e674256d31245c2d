// rwe cox: Cox proportional hazards regression from a CSV file (docs/methods.md §4).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/cli/survival_input.hpp"
#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/stats/cox_regression.hpp"
#include "rwe/stats/cox_zph.hpp"

namespace rwe::cli {

namespace {

// A covariate as written on the command line: a column, `log(column)`, or a factor.
struct CovariateSpec {
    std::string text;
    std::string column;
    bool log = false;
    bool factor = false;
    std::string reference;  // factor reference level; empty = first level
};

const char* transform_name(stats::ZphTransform t) {
    switch (t) {
        case stats::ZphTransform::km: return "km";
        case stats::ZphTransform::identity: return "identity";
        case stats::ZphTransform::rank: return "rank";
        case stats::ZphTransform::log: return "log";
    }
    return "km";
}

nlohmann::json test_json(const stats::CoxTest& t) {
    return {{"chisq", json_number(t.chisq)}, {"df", t.df}, {"p", json_number(t.p)}};
}

}  // namespace

int run_cox(int argc, char** argv) {
    CLI::App app{"Cox proportional hazards regression (R coxph), with the cox.zph test", "rwe cox"};
    std::string file, time_col, event_col, start_col, covariates_text, strata_text, cluster_col,
        weights_col, ties = "efron", format = "text", zph_transform = "km";
    std::vector<std::string> factors;
    bool zph = false, robust = false;
    double conf_level = 0.95;
    app.add_option("file", file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", time_col, "event/censoring time column (the stop time with --start)")->required();
    app.add_option("--event", event_col, "event indicator column: 1 = event, 0 = censored (also 2/1 or TRUE/FALSE, as R Surv reads them)")->required();
    app.add_option("--covariates", covariates_text,
                   "comma-separated covariates: column names or log(column)")->required();
    app.add_option("--factor", factors,
                   "name[:REF] - treat covariate `name` as categorical with reference level REF "
                   "(default: first level); repeatable or comma-separated")
        ->delimiter(',');
    app.add_option("--strata", strata_text, "stratify by these columns (comma-separated)");
    app.add_option("--cluster", cluster_col, "cluster column: robust SE summed within clusters");
    app.add_option("--weights", weights_col, "case weight column (> 0)");
    app.add_flag("--robust", robust, "robust (sandwich) standard errors, as R's robust = TRUE (implied by --cluster and by non-integer weights)");
    app.add_option("--start", start_col, "start time column: counting-process (start, stop] data");
    app.add_option("--ties", ties, "efron|breslow|exact (exact: unweighted, model-based variance)")
        ->check(CLI::IsMember({"efron", "breslow", "exact"}));
    app.add_flag("--zph", zph, "add the proportional-hazards test (R cox.zph)");
    app.add_option("--zph-transform", zph_transform, "km|identity|rank|log")
        ->check(CLI::IsMember({"km", "identity", "rank", "log"}));
    app.add_option("--conf-level", conf_level, "confidence level of the HR intervals")
        ->check(rwe::cli::confidence_level(0.5, 0.9999));
    app.add_option("--format", format, "text|json")->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return rwe::cli::parse_failure(app, e);
    }

    // Covariate specifications.
    std::vector<CovariateSpec> specs;
    for (const auto& item : split_list(covariates_text)) {
        CovariateSpec spec;
        spec.text = item;
        spec.column = item;
        if (item.size() > 5 && item.rfind("log(", 0) == 0 && item.back() == ')') {
            spec.log = true;
            spec.column = item.substr(4, item.size() - 5);
        }
        specs.push_back(spec);
    }
    if (specs.empty()) throw UsageError("--covariates: no covariate given");
    for (const auto& f : factors) {
        const auto colon = f.find(':');
        const std::string name = f.substr(0, colon);
        auto it = std::find_if(specs.begin(), specs.end(), [&](const CovariateSpec& s) { return s.text == name; });
        if (it == specs.end()) throw UsageError("--factor " + f + ": '" + name + "' is not in --covariates");
        if (it->log) throw UsageError("--factor " + f + ": a factor cannot be log-transformed");
        it->factor = true;
        if (colon != std::string::npos) it->reference = f.substr(colon + 1);
    }
    const std::vector<std::string> strata_cols = split_list(strata_text);

    // Columns to read (each once).
    std::vector<ColumnRequest> requests;
    std::set<std::string> numeric_seen, categorical_seen;
    std::set<std::string> either_seen;
    auto want = [&](const std::string& name, ColumnRequest::Kind kind) {
        auto& seen = kind == ColumnRequest::Kind::numeric       ? numeric_seen
                     : kind == ColumnRequest::Kind::categorical ? categorical_seen
                                                                : either_seen;
        if (seen.insert(name).second) requests.push_back({name, kind});
    };
    want(time_col, ColumnRequest::Kind::numeric);
    want(event_col, ColumnRequest::Kind::categorical);
    if (!start_col.empty()) want(start_col, ColumnRequest::Kind::numeric);
    if (!weights_col.empty()) want(weights_col, ColumnRequest::Kind::numeric);
    // A covariate column that holds text is a factor, as R makes a character column one.
    for (const auto& s : specs) {
        want(s.column, s.factor ? ColumnRequest::Kind::categorical
                       : s.log  ? ColumnRequest::Kind::numeric
                                : ColumnRequest::Kind::number_or_text);
    }
    for (const auto& s : strata_cols) want(s, ColumnRequest::Kind::categorical);
    if (!cluster_col.empty()) {
        want(cluster_col, ColumnRequest::Kind::categorical);
        for (auto& request : requests) {
            if (request.name == cluster_col && request.kind == ColumnRequest::Kind::categorical) request.max_levels = 0;
        }
    }
    Table table = read_table(file, requests);
    const std::size_t rows = table.rows;
    for (auto& spec : specs) {
        if (!spec.factor && !spec.log && table.is_categorical(spec.column)) spec.factor = true;
    }

    // Values no model accepts stop the work, naming the line.
    const auto& stop = table.numbers(time_col);
    std::vector<double> event = event_indicator(table, event_col);  // Surv()'s codings
    for (std::size_t row = 0; row < rows; ++row) {
        if (std::isinf(stop[row])) {
            throw InputError(file, table.line(row), time_col, "time must be finite", "Inf");
        }
        // As rwe km: a follow-up time is >= 0 (with --start, intervals may lie anywhere).
        if (start_col.empty() && stop[row] < 0) {
            throw InputError(file, table.line(row), time_col, "negative time", format_number(stop[row], 17));
        }
    }
    stats::CoxData data;
    if (!start_col.empty()) {
        const auto& start = table.numbers(start_col);
        for (std::size_t row = 0; row < rows; ++row) {
            if (!std::isnan(start[row]) && !std::isnan(stop[row]) && !(start[row] < stop[row])) {
                throw InputError(file, table.line(row), start_col, "start time must be < stop time",
                                 format_number(start[row], 17) + " >= " + format_number(stop[row], 17));
            }
        }
    }
    if (!weights_col.empty()) {
        const auto& weight = table.numbers(weights_col);
        for (std::size_t row = 0; row < rows; ++row) {
            const double w = weight[row];
            if (!std::isnan(w) && !(w > 0 && std::isfinite(w))) {
                throw InputError(file, table.line(row), weights_col, "weight must be > 0",
                                 format_number(w, 17));
            }
        }
    }
    // Design matrix, row-major, filled straight from the table's columns (no copy of a
    // column): a numeric column (its log when asked), or a factor's 0/1 dummy.
    struct DesignColumn {
        const std::vector<double>* values = nullptr;  // numeric
        bool log = false;
        const std::string* name = nullptr;
        const CategoricalColumn* factor = nullptr;    // dummy of `level`
        std::int32_t level = 0;
    };
    // Rows complete in every used column: a factor's levels are those these rows have (R
    // builds a character covariate's levels after dropping incomplete rows).
    std::vector<bool> complete(rows, true);
    {
        auto need_number = [&](const std::string& name) {
            if (name.empty()) return;
            const auto& values = table.numbers(name);
            for (std::size_t row = 0; row < rows; ++row) complete[row] = complete[row] && !std::isnan(values[row]);
        };
        auto need_code = [&](const std::string& name) {
            const auto& codes = table.category(name).codes;
            for (std::size_t row = 0; row < rows; ++row) complete[row] = complete[row] && codes[row] >= 0;
        };
        need_number(time_col);
        need_number(start_col);
        need_number(weights_col);
        for (std::size_t row = 0; row < rows; ++row) complete[row] = complete[row] && !std::isnan(event[row]);
        for (const auto& spec : specs) spec.factor ? need_code(spec.column) : need_number(spec.column);
        for (const auto& name : strata_cols) need_code(name);
        if (!cluster_col.empty()) need_code(cluster_col);
    }
    std::vector<DesignColumn> design;
    for (const auto& spec : specs) {
        if (!spec.factor) {
            design.push_back({&table.numbers(spec.column), spec.log, &spec.column, nullptr, 0});
            data.names.push_back(spec.text);
            data.terms.push_back(spec.text);
            continue;
        }
        // Treatment contrasts: one 0/1 column per non-reference level, named like R's nameLEVEL.
        const auto& column = table.category(spec.column);
        std::vector<bool> present(column.levels.size(), false);
        for (std::size_t row = 0; row < rows; ++row) {
            if (complete[row]) present[static_cast<std::size_t>(column.codes[row])] = true;
        }
        std::int32_t reference = 0;
        while (static_cast<std::size_t>(reference) + 1 < present.size() && !present[static_cast<std::size_t>(reference)]) {
            ++reference;
        }
        if (!spec.reference.empty()) {
            auto it = std::find(column.levels.begin(), column.levels.end(), spec.reference);
            if (it == column.levels.end()) {
                std::string levels;
                for (const auto& l : column.levels) levels += (levels.empty() ? "" : ", ") + l;
                throw UsageError("--factor " + spec.text + ":" + spec.reference + ": no such level (levels: " +
                                 levels + ")");
            }
            reference = static_cast<std::int32_t>(it - column.levels.begin());
        }
        for (std::size_t level = 0; level < column.levels.size(); ++level) {
            if (static_cast<std::int32_t>(level) == reference || !present[level]) continue;
            design.push_back({nullptr, false, &spec.column, &column, static_cast<std::int32_t>(level)});
            data.names.push_back(spec.text + column.levels[level]);
            data.terms.push_back(spec.text);
        }
    }
    const std::size_t p = design.size();
    // Values no covariate accepts stop the work, naming the first such line of the first
    // such column (columns in formula order).
    for (const auto& column : design) {
        if (column.values == nullptr) continue;
        const std::vector<double>& values = *column.values;
        for (std::size_t row = 0; row < rows; ++row) {
            const double v = values[row];
            if (std::isinf(v)) {
                throw InputError(file, table.line(row), *column.name, "covariate must be finite",
                                 format_number(v, 17));
            }
            if (column.log && !std::isnan(v) && !(v > 0)) {
                throw InputError(file, table.line(row), *column.name,
                                 "log() of a value that is not positive", format_number(v, 17));
            }
        }
    }
    // The fit reads each covariate in place: a numeric column straight from the table; a
    // log or a factor's dummy from a column made for it.
    std::deque<std::vector<double>> made;
    for (std::size_t k = 0; k < p; ++k) {
        const DesignColumn& column = design[k];
        if (column.values != nullptr && !column.log) {
            data.columns.emplace_back(*column.values);
            continue;
        }
        std::vector<double>& values = made.emplace_back(rows);
        if (column.values != nullptr) {
            const std::vector<double>& source = *column.values;
            for (std::size_t row = 0; row < rows; ++row) {
                values[row] = std::isnan(source[row]) ? source[row] : std::log(source[row]);
            }
        } else {
            const std::vector<std::int32_t>& codes = column.factor->codes;
            for (std::size_t row = 0; row < rows; ++row) {
                const auto code = codes[row];
                values[row] = code < 0 ? std::numeric_limits<double>::quiet_NaN() : (code == column.level ? 1.0 : 0.0);
            }
        }
        data.columns.emplace_back(values);
    }
    // Strata: the combination of the strata columns' levels.
    if (!strata_cols.empty()) {
        data.stratum.assign(rows, 0);
        std::map<std::vector<std::int32_t>, std::int32_t> codes;
        std::vector<std::int32_t> key(strata_cols.size());
        for (std::size_t row = 0; row < rows; ++row) {
            bool missing = false;
            for (std::size_t s = 0; s < strata_cols.size(); ++s) {
                key[s] = table.category(strata_cols[s]).codes[row];
                missing = missing || key[s] < 0;
            }
            data.stratum[row] =
                missing ? -1 : codes.try_emplace(key, static_cast<std::int32_t>(codes.size())).first->second;
        }
        // codes in first-seen order; renumber in sorted-key order (R's strata level order)
        std::int32_t next = 0;
        std::vector<std::int32_t> renumber(codes.size());
        for (auto& [k, code] : codes) renumber[static_cast<std::size_t>(code)] = next++;
        for (auto& s : data.stratum) {
            if (s >= 0) s = renumber[static_cast<std::size_t>(s)];
        }
    }
    if (!cluster_col.empty()) data.cluster = table.category(cluster_col).codes;
    // The time, event, start and weight columns move out of the table (no copy), unless
    // one column serves two of these roles.
    std::map<std::string, int> roles;
    for (const std::string* name : {&time_col, &start_col, &weights_col}) {
        if (!name->empty()) ++roles[*name];
    }
    auto take = [&](const std::string& name) {
        std::vector<double>& column = table.numbers(name);
        return roles[name] > 1 ? column : std::move(column);
    };
    if (!start_col.empty()) data.start = take(start_col);
    if (!weights_col.empty()) data.weight = take(weights_col);
    data.stop = take(time_col);
    data.event = std::move(event);

    stats::CoxOptions options;
    options.ties = ties == "breslow" ? stats::CoxTies::breslow : ties == "exact" ? stats::CoxTies::exact : stats::CoxTies::efron;
    if (options.ties == stats::CoxTies::exact && zph) {
        throw rwe::UsageError("--zph: not available with --ties exact (its residuals are not defined; use efron or breslow)");
    }
    options.conf_level = conf_level;
    // As R's coxph: the sandwich variance is used when asked for, and (the library's
    // automatic rule) with clusters or non-integer case weights.
    options.variance = robust ? stats::CoxVariance::robust : stats::CoxVariance::automatic;
    const stats::CoxRegression fit = stats::cox_regression(data, options);
    for (const auto& d : fit.diagnostics) {
        if (d.kind == stats::CoxDiagnostic::Kind::single_cluster) {
            throw InputError(file + ": " + (cluster_col.empty() ? std::string("--robust") : "--cluster " + cluster_col) +
                             ": the rows used form a single cluster; a robust variance needs at least two");
        }
    }
    stats::CoxZph zph_result;
    if (zph) {
        stats::CoxZphOptions zo;
        zo.transform = zph_transform == "identity" ? stats::ZphTransform::identity
                       : zph_transform == "rank"   ? stats::ZphTransform::rank
                       : zph_transform == "log"    ? stats::ZphTransform::log
                                                   : stats::ZphTransform::km;
        zph_result = stats::cox_zph(data, fit, zo);
    }

    if (format == "json") {
        nlohmann::json out;
        out["n"] = fit.n;
        out["events"] = fit.events;
        out["dropped"] = fit.dropped;
        out["ties"] = ties;
        // the variance behind z, p, the HR interval and the Wald test
        out["variance"] = fit.robust ? "robust" : "model";
        nlohmann::json coefficients = nlohmann::json::array();
        for (std::size_t k = 0; k < p; ++k) {
            coefficients.push_back({{"name", fit.names[k]},
                                    {"coef", json_number(fit.coef[k])},
                                    {"exp_coef", json_number(fit.exp_coef[k])},
                                    {"se", json_number(fit.se[k])},
                                    {"robust_se", json_number(fit.robust_se[k])},
                                    {"z", json_number(fit.z[k])},
                                    {"p", json_number(fit.p[k])},
                                    {"lower", json_number(fit.lower[k])},
                                    {"upper", json_number(fit.upper[k])}});
        }
        out["coefficients"] = coefficients;
        out["loglik"] = {json_number(fit.loglik_null), json_number(fit.loglik_final)};
        out["wald"] = test_json(fit.wald);
        out["lr"] = test_json(fit.lr);
        out["score"] = test_json(fit.score);
        if (fit.robust) {
            out["robust_wald"] = test_json(fit.robust_wald);
            out["robust_score"] = test_json(fit.robust_score);
        }
        out["concordance"] = json_number(fit.concordance);
        out["concordance_se"] = json_number(fit.concordance_se);
        out["iterations"] = fit.iterations;
        out["converged"] = fit.converged;
        nlohmann::json diagnostics = nlohmann::json::array();
        for (const auto& d : fit.diagnostics) diagnostics.push_back(d.message);
        out["diagnostics"] = diagnostics;
        if (zph) {
            nlohmann::json terms = nlohmann::json::array();
            for (const auto& t : zph_result.terms) {
                terms.push_back({{"term", t.term}, {"chisq", json_number(t.chisq)}, {"df", t.df},
                                 {"p", json_number(t.p)}});
            }
            out["zph"] = {{"transform", transform_name(zph_result.transform)},
                          {"terms", terms},
                          {"global",
                           {{"chisq", json_number(zph_result.global.chisq)},
                            {"df", zph_result.global.df},
                            {"p", json_number(zph_result.global.p)}}}};
        }
        std::cout << out.dump(2) << "\n";
        return 0;
    }

    std::cout << fmt::format("Cox proportional hazards ({}); n = {}, events = {}", ties, fit.n, fit.events);
    if (fit.dropped > 0) std::cout << fmt::format(", {} row(s) dropped for missing values", fit.dropped);
    std::cout << "\n\n";
    std::cout << fmt::format("{:<20} {:>10} {:>10} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10}\n", "covariate",
                             "coef", "exp(coef)", "se", "robust se", "z", "p", "lower", "upper");
    for (std::size_t k = 0; k < p; ++k) {
        std::cout << fmt::format("{:<20} {:>10} {:>10} {:>10} {:>10} {:>8} {:>10} {:>10} {:>10}\n", fit.names[k],
                                 format_number(fit.coef[k]), format_number(fit.exp_coef[k]),
                                 format_number(fit.se[k]), format_number(fit.robust_se[k]),
                                 format_number(fit.z[k], 3), format_number(fit.p[k], 3),
                                 format_number(fit.lower[k]), format_number(fit.upper[k]));
    }
    std::cout << fmt::format("\nlog-likelihood: null {}, final {}   ({} iterations{})\n",
                             format_number(fit.loglik_null, 8), format_number(fit.loglik_final, 8),
                             fit.iterations, fit.converged || fit.events == 0 ? "" : ", NOT converged");
    auto print_test = [](const char* name, const stats::CoxTest& t) {
        std::cout << fmt::format("{:<22} {:>10} on {} df, p = {}\n", name, format_number(t.chisq, 6), t.df,
                                 format_number(t.p, 3));
    };
    print_test("likelihood ratio test", fit.lr);
    print_test(fit.robust ? "Wald test (robust)" : "Wald test", fit.wald);
    print_test("score (log-rank) test", fit.score);
    if (fit.robust) print_test("robust score test", fit.robust_score);
    std::cout << fmt::format("concordance = {} (se = {})\n", format_number(fit.concordance),
                             format_number(fit.concordance_se, 3));
    if (fit.robust) {
        std::cout << "note: z, p, the HR interval and the Wald and robust score tests use the robust variance; "
                     "the likelihood ratio and score tests assume independent rows\n";
    }
    for (const auto& d : fit.diagnostics) std::cout << "note: " << d.message << "\n";
    if (zph) {
        std::cout << fmt::format("\nproportional-hazards test (cox.zph, transform {})\n",
                                 transform_name(zph_result.transform));
        std::cout << fmt::format("{:<20} {:>10} {:>4} {:>10}\n", "term", "chisq", "df", "p");
        for (const auto& t : zph_result.terms) {
            std::cout << fmt::format("{:<20} {:>10} {:>4} {:>10}\n", t.term, format_number(t.chisq, 5), t.df,
                                     format_number(t.p, 3));
        }
        std::cout << fmt::format("{:<20} {:>10} {:>4} {:>10}\n", "GLOBAL", format_number(zph_result.global.chisq, 5),
                                 zph_result.global.df, format_number(zph_result.global.p, 3));
    }
    return 0;
}

RWE_COMMAND(cox, "Cox proportional hazards regression (coxph), with --zph for the PH test", run_cox);

}  // namespace rwe::cli
