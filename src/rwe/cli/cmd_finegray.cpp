// rwe finegray: Fine–Gray regression of one cause of a competing-risks outcome in a CSV file
// on numeric covariates, as survival::finegray + coxph or as cmprsk::crr (docs/methods.md §7.3–7.4).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/cli/competing_risks_input.hpp"
#include "rwe/common/error.hpp"
#include "rwe/stats/fine_gray.hpp"
#include "rwe/stats/fine_gray_crr.hpp"

namespace {

using nlohmann::json;
using rwe::cli::format_number;
using rwe::cli::json_number;
namespace stats = rwe::stats;
using rwe::cli::print_columns;

struct FineGrayCommand {
    rwe::cli::CompetingRisksColumns columns;
    double conf_level = 0.95;
    std::string format = "text";
};


int run_finegray(int argc, char** argv) {
    FineGrayCommand options;
    std::string covariate_list, cause, ties = "efron", method = "finegray";
    bool cluster = false;
    CLI::App app{"Fine–Gray regression (subdistribution hazards) of one cause, as survival::finegray + coxph", "rwe finegray"};
    app.add_option("file", options.columns.file, "CSV file (plain or .gz)")->required();
    app.add_option("--time", options.columns.time, "follow-up time column")->required();
    app.add_option("--status", options.columns.status, "status column: the censoring code (--censor) or the cause of the event")->required();
    app.add_option("--censor", options.columns.censor, "the status value that means censored (default 0)");
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
    const stats::CompetingRisksData data = rwe::cli::read_competing_risks(options.columns, covariates, &x);
    stats::FineGrayOptions fg;
    const auto found = std::find(data.cause_names.begin(), data.cause_names.end(), cause);
    if (found == data.cause_names.end()) {
        std::string known;
        for (const auto& name : data.cause_names) known += (known.empty() ? "" : ", ") + name;
        throw rwe::UsageError("--cause: no event with this status in " + options.columns.file + " (causes: " + known + ") (" + cause + ")");
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
                                 crr.cause, options.columns.file, crr.events, crr.n, crr.dropped + data.dropped);
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
                             result.cause, options.columns.file, options.columns.time, options.columns.status, f.events, result.subjects,
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

RWE_COMMAND(finegray, "Fine–Gray subdistribution hazards regression (survival::finegray + coxph, or cmprsk::crr)", run_finegray);
