// rwe evalue: the E-value of an observed hazard ratio and its confidence interval
// (VanderWeele & Ding 2017; docs/methods.md §8.5).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/error.hpp"
#include "rwe/stats/e_value.hpp"

namespace rwe::cli {

int run_evalue(int argc, char** argv) {
    CLI::App app{"E-value of a hazard ratio and its confidence interval (VanderWeele & Ding 2017)", "rwe evalue"};
    double hr = 0, lower = 0, upper = 0;
    bool rare = false, common = false;
    std::string format = "text";
    app.add_option("--hr", hr, "the observed hazard ratio (> 0)")->required();
    app.add_option("--lower", lower, "lower confidence limit of the HR (> 0)")->required();
    app.add_option("--upper", upper, "upper confidence limit of the HR")->required();
    app.add_flag("--rare", rare, "the outcome is rare (< 15% by the end of follow-up): HR ~ RR");
    app.add_flag("--common", common, "the outcome is common: RR = (1 - 0.5^sqrt(HR)) / (1 - 0.5^sqrt(1/HR))");
    app.add_option("--format", format, "text | json")->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return parse_failure(app, e);
    }
    if (rare == common) {
        throw UsageError("--rare or --common: say whether the outcome is rare (< 15% by the end of follow-up, HR taken as the "
                         "risk ratio) or common (the square-root transform); the E-value depends on it");
    }
    for (const auto& [name, value] : {std::pair{"--hr", hr}, std::pair{"--lower", lower}, std::pair{"--upper", upper}}) {
        if (!(value > 0 && std::isfinite(value))) {
            throw UsageError(std::string(name) + ": a hazard ratio must be a positive finite number (" + format_number(value, 17) + ")");
        }
    }
    if (!(lower <= hr && hr <= upper)) {
        throw UsageError("--lower, --hr, --upper: the limits must enclose the estimate (" + format_number(lower, 17) + ", " +
                         format_number(hr, 17) + ", " + format_number(upper, 17) + ")");
    }
    const stats::EValue e = stats::e_value_hazard_ratio(hr, lower, upper, rare);
    if (format == "json") {
        const nlohmann::json doc{{"hr", json_number(hr)}, {"lower", json_number(lower)}, {"upper", json_number(upper)},
                                 {"outcome", rare ? "rare" : "common"}, {"rr", json_number(e.rr)},
                                 {"rr_lower", json_number(e.rr_lower)}, {"rr_upper", json_number(e.rr_upper)},
                                 {"e_value", json_number(e.point)}, {"e_value_limit", json_number(e.limit)}};
        std::cout << doc.dump(2) << "\n";
        return 0;
    }
    std::cout << fmt::format("E-value of HR {} ({}, {}), {} outcome{}\n", format_number(hr, 6), format_number(lower, 6),
                             format_number(upper, 6), rare ? "rare" : "common",
                             rare ? " (HR taken as the risk ratio)"
                                  : fmt::format(" (risk ratio {} ({}, {}) by the square-root transform)", format_number(e.rr, 6),
                                                format_number(e.rr_lower, 6), format_number(e.rr_upper, 6)));
    std::cout << fmt::format("  estimate: {}\n  confidence limit nearer 1: {}{}\n", format_number(e.point, 6), format_number(e.limit, 6),
                             e.limit == 1 ? " (the interval contains 1)" : "");
    return 0;
}

}  // namespace rwe::cli

RWE_COMMAND(evalue, "E-value of a hazard ratio and its confidence interval (VanderWeele & Ding 2017)", rwe::cli::run_evalue);
