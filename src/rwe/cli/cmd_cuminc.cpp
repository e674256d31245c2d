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
#include "rwe/cli/competing_risks_input.hpp"
#include "rwe/common/error.hpp"
#include "rwe/stats/competing_risks_data.hpp"
#include "rwe/stats/cumulative_incidence.hpp"
#include "rwe/stats/gray_test.hpp"

namespace {

using nlohmann::json;
using rwe::cli::format_number;
using rwe::cli::json_number;
namespace stats = rwe::stats;
using rwe::cli::print_columns;

struct CumincOptions {
    rwe::cli::CompetingRisksColumns columns;
    double conf_level = 0.95;
    double rho = 0;
    std::string times;
    std::string format = "text";
};


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
    app.add_option("file", options.columns.file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", options.columns.time, "follow-up time column")->required();
    app.add_option("--status", options.columns.status,
                   "status column: the censoring code (--censor) or the cause of the event")
        ->required();
    app.add_option("--censor", options.columns.censor, "the status value that means censored (default 0)");
    app.add_option("--group", options.columns.group, "one set of curves per value of this column; Gray's test between them");
    app.add_option("--strata", options.columns.stratum, "Gray's test stratified by this column (the curves are not)");
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
    if (!options.columns.stratum.empty() && options.columns.group.empty()) throw rwe::UsageError("--strata needs --group (it stratifies Gray's test)");
    const std::vector<double> times = rwe::cli::parse_number_list("--times", options.times);
    const stats::CompetingRisksData data = rwe::cli::read_competing_risks(options.columns);
    stats::CumulativeIncidenceOptions ci_options;
    ci_options.conf_level = options.conf_level;
    const auto incidence = stats::cumulative_incidence(data, ci_options);
    std::vector<stats::GrayTest> tests;
    if (!options.columns.group.empty() && incidence.curves.size() >= 2) {
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
                             options.columns.file, options.columns.time, options.columns.status, options.columns.censor, data.size(), data.dropped);
    const std::string level = fmt::format("{:g}%", 100 * incidence.conf_level);
    for (const auto& c : incidence.curves) {
        std::cout << "\n" << (c.name.empty() ? std::string("All subjects") : options.columns.group + " = " + c.name) << "\n";
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
        std::cout << fmt::format("\nGray's test{} (rho = {}):\n", options.columns.stratum.empty() ? "" : ", stratified by " + options.columns.stratum,
                                 format_number(options.rho, 6));
        for (const auto& test : tests) {
            std::cout << fmt::format("  cause {}: chi-square = {} on {} df, p = {}\n", test.cause,
                                     format_number(test.statistic, 6), test.df, format_number(test.p, 4));
            for (const auto& message : test.messages) std::cout << "  note: " << message << "\n";
        }
    }
    return 0;
}

}  // namespace

RWE_COMMAND(cuminc, "cumulative incidence of competing risks (Aalen–Johansen) and Gray's test", run_cuminc);
