// rwe cuminc: cumulative incidence of each cause of a competing-risks outcome in a CSV
// file (Aalen–Johansen, as R's survfit on a multi-state status), one curve per group, with
// Gray's test between groups (as cmprsk's cuminc) (docs/methods.md §7).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/csv_reader.hpp"
#include "rwe/common/error.hpp"
#include "rwe/common/table.hpp"
#include "rwe/stats/competing_risks_data.hpp"
#include "rwe/stats/cumulative_incidence.hpp"
#include "rwe/stats/fine_gray.hpp"
#include "rwe/stats/fine_gray_crr.hpp"
#include "rwe/stats/gray_test.hpp"
#include "rwe/stats/time_fix.hpp"

namespace {

using nlohmann::json;
using rwe::cli::format_number;
using rwe::cli::json_number;
namespace stats = rwe::stats;

struct CumincOptions {
    std::string file;
    std::string time, status, group, stratum;
    std::string censor = "0";
    double conf_level = 0.95;
    double rho = 0;
    std::string times;
    std::string format = "text";
};

// The status column: `censor` is the censoring code; every other value is a cause, causes in
// ascending order of their values (numerically when all are numbers), as R's factor(status)
// with the censoring code as its first level. Rows with a missing time, status, group or
// stratum are dropped and counted; a bad time is an InputError naming file:line: column.
stats::CompetingRisksData read_competing_risks(const CumincOptions& options, const std::vector<std::string>& covariates = {},
                                               std::vector<double>* x = nullptr) {
    std::vector<rwe::ColumnRequest> requests{{options.time}, {options.status, rwe::ColumnRequest::Kind::categorical}};
    for (const auto& name : covariates) requests.push_back({name});
    if (!options.group.empty()) requests.push_back({options.group, rwe::ColumnRequest::Kind::categorical});
    if (!options.stratum.empty()) requests.push_back({options.stratum, rwe::ColumnRequest::Kind::categorical});
    const rwe::Table table = rwe::read_table(options.file, requests);
    const auto& time = table.numbers(options.time);
    const auto& status = table.category(options.status);
    const rwe::CategoricalColumn* group = options.group.empty() ? nullptr : &table.category(options.group);
    const rwe::CategoricalColumn* stratum = options.stratum.empty() ? nullptr : &table.category(options.stratum);

    // Status levels: the censoring code, then the causes.
    std::vector<std::int32_t> cause_of_level(status.levels.size(), -1);
    stats::CompetingRisksData data;
    for (std::size_t level = 0; level < status.levels.size(); ++level) {
        const std::string& text = status.levels[level];
        double a = 0, b = 0;
        const bool censoring = text == options.censor ||
                               (status.numeric && rwe::parse_double(text, a) && rwe::parse_double(options.censor, b) && a == b);
        if (censoring) {
            cause_of_level[level] = 0;
        } else {
            data.cause_names.push_back(text);
            cause_of_level[level] = static_cast<std::int32_t>(data.cause_names.size());
        }
    }
    // Levels present only in dropped rows are left out below (compact).
    std::vector<std::size_t> kept;
    for (std::size_t row = 0; row < table.rows; ++row) {
        const double t = time[row];
        bool missing = std::isnan(t) || status.codes[row] < 0 || (group && group->codes[row] < 0) ||
                       (stratum && stratum->codes[row] < 0);
        if (!std::isnan(t) && !std::isfinite(t)) {
            throw rwe::InputError(table.path, table.line(row), options.time, "time must be a finite number", fmt::format("{}", t));
        }
        if (!std::isnan(t) && t < 0) {
            throw rwe::InputError(table.path, table.line(row), options.time, "negative time", fmt::format("{}", t));
        }
        if (!missing) kept.push_back(row);
    }
    data.dropped = table.rows - kept.size();
    auto compact = [&](const rwe::CategoricalColumn& column, std::vector<std::int32_t>& codes, std::vector<std::string>& names) {
        std::vector<std::int32_t> code(column.levels.size(), -1);
        for (std::size_t row : kept) code[static_cast<std::size_t>(column.codes[row])] = 0;
        std::int32_t next = 0;
        for (std::size_t level = 0; level < column.levels.size(); ++level) {
            if (code[level] == 0) code[level] = next++, names.push_back(column.levels[level]);
        }
        for (std::size_t row : kept) codes.push_back(code[static_cast<std::size_t>(column.codes[row])]);
    };
    // Causes that occur in kept rows only, renumbered in order.
    std::vector<std::int32_t> cause_code(data.cause_names.size() + 1, -1);
    cause_code[0] = 0;
    for (std::size_t row : kept) {
        const auto cause = cause_of_level[static_cast<std::size_t>(status.codes[row])];
        if (cause > 0) cause_code[static_cast<std::size_t>(cause)] = 1;
    }
    std::vector<std::string> causes;
    for (std::size_t cause = 1; cause < cause_code.size(); ++cause) {
        if (cause_code[cause] == 1) {
            causes.push_back(data.cause_names[cause - 1]);
            cause_code[cause] = static_cast<std::int32_t>(causes.size());
        }
    }
    if (causes.empty()) {
        throw rwe::InputError(table.path + ": " + options.status + ": no event of any cause: every status is the censoring code or missing (" + options.censor + ")");
    }
    data.cause_names = causes;
    for (std::size_t row : kept) {
        data.time.push_back(time[row]);
        data.status.push_back(cause_code[static_cast<std::size_t>(cause_of_level[static_cast<std::size_t>(status.codes[row])])]);
    }
    if (group) compact(*group, data.group, data.group_names);
    if (stratum) compact(*stratum, data.stratum, data.stratum_names);
    if (x != nullptr) {  // row-major; NaN (missing) rows are dropped by the fit and counted there
        for (std::size_t row : kept) {
            for (const auto& name : covariates) {
                const double value = table.numbers(name)[row];
                if (!std::isnan(value) && !std::isfinite(value)) {
                    throw rwe::InputError(table.path, table.line(row), name, "covariate must be a finite number", fmt::format("{}", value));
                }
                x->push_back(value);
            }
        }
    }
    stats::merge_near_equal_times(data.time);
    return data;
}

void print_columns(std::ostream& out, const std::vector<std::vector<std::string>>& grid) {
    if (grid.empty()) return;
    std::vector<std::size_t> width(grid.front().size(), 0);
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) width[i] = std::max(width[i], line[i].size());
    }
    for (const auto& line : grid) {
        for (std::size_t i = 0; i < line.size(); ++i) out << (i == 0 ? "" : "  ") << fmt::format("{:>{}}", line[i], width[i]);
        out << "\n";
    }
}

json curve_json(const stats::CumulativeIncidenceCurve& c, const std::vector<std::string>& causes,
                const std::vector<double>& times) {
    json out{{"name", c.name}, {"n", c.n}};
    json table = json::array();
    for (std::size_t row = 0; row < c.rows(); ++row) {
        table.push_back({{"time", json_number(c.time[row])},
                         {"n_risk", json_number(c.n_risk[row])},
                         {"n_censor", json_number(c.n_censor[row])},
                         {"event_free", json_number(c.event_free[row])},
                         {"event_free_std_err", json_number(c.event_free_std_err[row])}});
    }
    out["table"] = std::move(table);
    json per_cause = json::array();
    for (std::size_t cause = 0; cause < causes.size(); ++cause) {
        json values{{"cause", causes[cause]}, {"events", json_number(c.events[cause])}};
        for (const char* key : {"n_event", "incidence", "std_err", "lower", "upper"}) values[key] = json::array();
        for (std::size_t row = 0; row < c.rows(); ++row) {
            values["n_event"].push_back(json_number(c.n_event[cause][row]));
            values["incidence"].push_back(json_number(c.incidence[cause][row]));
            values["std_err"].push_back(json_number(c.std_err[cause][row]));
            values["lower"].push_back(json_number(c.lower[cause][row]));
            values["upper"].push_back(json_number(c.upper[cause][row]));
        }
        json at = json::array();
        for (double t : times) {
            const auto value = stats::incidence_at(c, cause, t);
            at.push_back({{"time", json_number(t)}, {"n_risk", json_number(value.n_risk)},
                          {"incidence", json_number(value.incidence)}, {"std_err", json_number(value.std_err)},
                          {"lower", json_number(value.lower)}, {"upper", json_number(value.upper)}});
        }
        values["at_times"] = std::move(at);
        per_cause.push_back(std::move(values));
    }
    out["causes"] = std::move(per_cause);
    return out;
}

int run_cuminc(int argc, char** argv) {
    CumincOptions options;
    CLI::App app{"Cumulative incidence of competing risks (Aalen–Johansen) with Gray's test between groups", "rwe cuminc"};
    app.add_option("file", options.file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", options.time, "follow-up time column")->required();
    app.add_option("--status", options.status,
                   "status column: the censoring code (--censor) or the cause of the event")
        ->required();
    app.add_option("--censor", options.censor, "the status value that means censored (default 0)");
    app.add_option("--group", options.group, "one set of curves per value of this column; Gray's test between them");
    app.add_option("--strata", options.stratum, "Gray's test stratified by this column (the curves are not)");
    app.add_option("--rho", options.rho, "Gray's test weight (1 - F(t-))^rho (cmprsk's rho; default 0)")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--conf-level", options.conf_level, "confidence level")
        ->check(rwe::cli::confidence_level(0.0, 1.0, true));
    app.add_option("--times", options.times, "comma-separated times for the incidence of each cause");
    app.add_option("--format", options.format, "text | json")->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return rwe::cli::parse_failure(app, e);
    } catch (const CLI::ParseError& e) {
        throw rwe::UsageError(e.what());
    }
    if (!std::isfinite(options.rho)) throw rwe::UsageError("--rho: must be a finite number >= 0");
    if (!options.stratum.empty() && options.group.empty()) throw rwe::UsageError("--strata needs --group (it stratifies Gray's test)");
    const std::vector<double> times = rwe::cli::parse_number_list("--times", options.times);
    const stats::CompetingRisksData data = read_competing_risks(options);
    stats::CumulativeIncidenceOptions ci_options;
    ci_options.conf_level = options.conf_level;
    const auto incidence = stats::cumulative_incidence(data, ci_options);
    std::vector<stats::GrayTest> tests;
    if (!options.group.empty() && incidence.curves.size() >= 2) {
        stats::GrayTestOptions gray;
        gray.rho = options.rho;
        tests = stats::gray_test(data, gray);
    }

    if (options.format == "json") {
        json curves = json::array();
        for (const auto& curve : incidence.curves) curves.push_back(curve_json(curve, incidence.cause_names, times));
        json gray = json::array();
        for (const auto& test : tests) {
            gray.push_back({{"cause", test.cause}, {"groups", test.groups}, {"statistic", json_number(test.statistic)},
                            {"df", test.df}, {"p", json_number(test.p)}, {"score", test.score},
                            {"variance", test.variance}, {"messages", test.messages}});
        }
        json doc{{"causes", incidence.cause_names}, {"curves", std::move(curves)}, {"gray_test", std::move(gray)},
                 {"dropped", data.dropped}, {"conf_type", "log"}, {"conf_level", incidence.conf_level}, {"rho", options.rho}};
        std::cout << doc.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("Cumulative incidence (Aalen–Johansen): {} (time {}, status {}, censored = {}); "
                             "{} rows used, {} dropped (missing value)\n",
                             options.file, options.time, options.status, options.censor, data.size(), data.dropped);
    const std::string level = fmt::format("{:g}%", 100 * incidence.conf_level);
    for (const auto& c : incidence.curves) {
        std::cout << "\n" << (c.name.empty() ? std::string("All subjects") : options.group + " = " + c.name) << "\n";
        for (std::size_t cause = 0; cause < incidence.cause_names.size(); ++cause) {
            std::cout << fmt::format("  cause {}: n = {}, events = {}\n", incidence.cause_names[cause], c.n,
                                     format_number(c.events[cause], 10));
        }
        std::vector<std::string> header{"time", "n_risk", "n_censor"};
        for (const auto& name : incidence.cause_names) {
            for (const char* what : {"n_event", "cif", "std_err", "lower", "upper"}) header.push_back(fmt::format("{}:{}", what, name));
        }
        std::vector<std::vector<std::string>> grid{header};
        for (std::size_t row = 0; row < c.rows(); ++row) {
            std::vector<std::string> line{format_number(c.time[row], 8), format_number(c.n_risk[row], 8),
                                          format_number(c.n_censor[row], 8)};
            for (std::size_t cause = 0; cause < incidence.cause_names.size(); ++cause) {
                line.push_back(format_number(c.n_event[cause][row], 8));
                line.push_back(format_number(c.incidence[cause][row]));
                line.push_back(format_number(c.std_err[cause][row]));
                line.push_back(format_number(c.lower[cause][row]));
                line.push_back(format_number(c.upper[cause][row]));
            }
            grid.push_back(std::move(line));
        }
        print_columns(std::cout, grid);
        if (!times.empty()) {
            std::cout << fmt::format("\n  incidence at chosen times ({} CI)\n", level);
            std::vector<std::vector<std::string>> at{{"cause", "time", "n_risk", "cif", "std_err", "lower", "upper"}};
            for (std::size_t cause = 0; cause < incidence.cause_names.size(); ++cause) {
                for (double t : times) {
                    const auto v = stats::incidence_at(c, cause, t);
                    at.push_back({incidence.cause_names[cause], format_number(t, 8), format_number(v.n_risk, 8),
                                  format_number(v.incidence), format_number(v.std_err), format_number(v.lower),
                                  format_number(v.upper)});
                }
            }
            print_columns(std::cout, at);
        }
    }
    if (!tests.empty()) {
        std::cout << fmt::format("\nGray's test{} (rho = {}):\n", options.stratum.empty() ? "" : ", stratified by " + options.stratum,
                                 format_number(options.rho, 6));
        for (const auto& test : tests) {
            std::cout << fmt::format("  cause {}: chi-square = {} on {} df, p = {}\n", test.cause,
                                     format_number(test.statistic, 6), test.df, format_number(test.p, 4));
            for (const auto& message : test.messages) std::cout << "  note: " << message << "\n";
        }
    }
    return 0;
}

// rwe finegray: Fine–Gray regression of one cause on numeric covariates (docs/methods.md §7.3).
int run_finegray(int argc, char** argv) {
    CumincOptions options;
    std::string covariate_list, cause, ties = "efron", method = "finegray";
    bool cluster = false;
    CLI::App app{"Fine–Gray regression (subdistribution hazards) of one cause, as survival::finegray + coxph", "rwe finegray"};
    app.add_option("file", options.file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", options.time, "follow-up time column")->required();
    app.add_option("--status", options.status, "status column: the censoring code (--censor) or the cause of the event")->required();
    app.add_option("--censor", options.censor, "the status value that means censored (default 0)");
    app.add_option("--cause", cause, "the status value of the event of interest")->required();
    app.add_option("--covariates", covariate_list, "comma-separated numeric covariate columns")->required();
    app.add_option("--ties", ties, "efron (R's default) | breslow")->check(CLI::IsMember({"efron", "breslow"}));
    app.add_flag("--cluster-by-subject", cluster, "robust variance clustered by subject (R's + cluster(id))");
    app.add_option("--method", method,
                   "finegray (survival::finegray + coxph, default) | crr (cmprsk::crr: Breslow, Fine & Gray's variance)")
        ->check(CLI::IsMember({"finegray", "crr"}));
    app.add_option("--conf-level", options.conf_level, "confidence level")->check(rwe::cli::confidence_level(0.0, 1.0, true));
    app.add_option("--format", options.format, "text | json")->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return rwe::cli::parse_failure(app, e);
    } catch (const CLI::ParseError& e) {
        throw rwe::UsageError(e.what());
    }
    const std::vector<std::string> covariates = rwe::cli::split_list(covariate_list);
    if (covariates.empty()) throw rwe::UsageError("--covariates: no column named");
    std::vector<double> x;
    const stats::CompetingRisksData data = read_competing_risks(options, covariates, &x);
    stats::FineGrayOptions fg;
    const auto found = std::find(data.cause_names.begin(), data.cause_names.end(), cause);
    if (found == data.cause_names.end()) {
        std::string known;
        for (const auto& name : data.cause_names) known += (known.empty() ? "" : ", ") + name;
        throw rwe::UsageError("--cause: no event with this status in " + options.file + " (causes: " + known + ") (" + cause + ")");
    }
    fg.cause = static_cast<std::size_t>(found - data.cause_names.begin()) + 1;
    if (method == "crr") {
        if (cluster || app.count("--ties")) throw rwe::UsageError("--method crr: --ties and --cluster-by-subject do not apply (crr uses Breslow ties and its own variance)");
        stats::CrrOptions crr_options;
        crr_options.cause = fg.cause;
        crr_options.conf_level = options.conf_level;
        const auto crr = stats::fine_gray_crr(data, x, covariates, crr_options);
        if (options.format == "json") {
            json coefficients = json::array();
            for (std::size_t k = 0; k < crr.names.size(); ++k) {
                coefficients.push_back({{"name", crr.names[k]}, {"coef", json_number(crr.coef[k])}, {"exp_coef", json_number(crr.exp_coef[k])},
                                        {"se", json_number(crr.se[k])}, {"z", json_number(crr.z[k])}, {"p", json_number(crr.p[k])},
                                        {"lower", json_number(crr.lower[k])}, {"upper", json_number(crr.upper[k])}});
            }
            json doc{{"method", "crr"}, {"cause", crr.cause}, {"n", crr.n}, {"dropped", crr.dropped + data.dropped},
                     {"events", crr.events}, {"loglik", {json_number(crr.loglik_null), json_number(crr.loglik)}},
                     {"iterations", crr.iterations}, {"converged", crr.converged}, {"coefficients", std::move(coefficients)},
                     {"messages", crr.messages}};
            std::cout << doc.dump(2) << "\n";
            return 0;
        }
        std::cout << fmt::format("Fine–Gray regression of cause {} (cmprsk::crr's estimator): {}; {} events, {} rows used ({} dropped)\n\n",
                                 crr.cause, options.file, crr.events, crr.n, crr.dropped + data.dropped);
        std::vector<std::vector<std::string>> grid{{"covariate", "coef", "sHR", "se", "z", "p", "lower", "upper"}};
        for (std::size_t k = 0; k < crr.names.size(); ++k) {
            grid.push_back({crr.names[k], format_number(crr.coef[k], 6), format_number(crr.exp_coef[k], 6), format_number(crr.se[k], 6),
                            format_number(crr.z[k], 6), format_number(crr.p[k], 4), format_number(crr.lower[k], 6),
                            format_number(crr.upper[k], 6)});
        }
        print_columns(std::cout, grid);
        for (const auto& message : crr.messages) std::cout << "note: " << message << "\n";
        return 0;
    }
    fg.ties = ties == "breslow" ? stats::CoxTies::breslow : stats::CoxTies::efron;
    fg.cluster_by_subject = cluster;
    fg.conf_level = options.conf_level;
    const auto result = stats::fine_gray(data, x, covariates, fg);
    const auto& f = result.fit;
    std::vector<std::string> messages;
    for (const auto& d : f.diagnostics) messages.push_back(d.message);
    if (options.format == "json") {
        json coefficients = json::array();
        for (std::size_t k = 0; k < f.names.size(); ++k) {
            coefficients.push_back({{"name", f.names[k]}, {"coef", json_number(f.coef[k])}, {"exp_coef", json_number(f.exp_coef[k])},
                                    {"se", json_number(f.robust ? f.robust_se[k] : f.se[k])}, {"naive_se", json_number(f.se[k])},
                                    {"z", json_number(f.z[k])}, {"p", json_number(f.p[k])},
                                    {"lower", json_number(f.lower[k])}, {"upper", json_number(f.upper[k])}});
        }
        json doc{{"method", "finegray"}, {"cause", result.cause}, {"n", result.subjects}, {"dropped", result.dropped + data.dropped},
                 {"expanded_rows", result.expanded_rows}, {"events", f.events}, {"ties", ties}, {"robust", f.robust},
                 {"cluster_by_subject", cluster}, {"loglik", {json_number(f.loglik_null), json_number(f.loglik_final)}},
                 {"iterations", f.iterations}, {"coefficients", std::move(coefficients)}, {"messages", messages}};
        std::cout << doc.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("Fine–Gray regression of cause {}: {} (time {}, status {}); {} events, {} rows used ({} dropped) "
                             "expanded to {}; ties {}, {} variance\n\n",
                             result.cause, options.file, options.time, options.status, f.events, result.subjects,
                             result.dropped + data.dropped,
                             result.expanded_rows, ties, f.robust ? (cluster ? "robust (by subject)" : "robust (by row, as R)") : "model-based");
    std::vector<std::vector<std::string>> grid{{"covariate", "coef", "sHR", "se", "z", "p", "lower", "upper"}};
    for (std::size_t k = 0; k < f.names.size(); ++k) {
        grid.push_back({f.names[k], format_number(f.coef[k], 6), format_number(f.exp_coef[k], 6),
                        format_number(f.robust ? f.robust_se[k] : f.se[k], 6), format_number(f.z[k], 6), format_number(f.p[k], 4),
                        format_number(f.lower[k], 6), format_number(f.upper[k], 6)});
    }
    print_columns(std::cout, grid);
    for (const auto& message : messages) std::cout << "note: " << message << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(finegray, "Fine–Gray subdistribution hazards regression (survival::finegray + coxph)", run_finegray);
RWE_COMMAND(cuminc, "cumulative incidence of competing risks (Aalen–Johansen) and Gray's test", run_cuminc);
