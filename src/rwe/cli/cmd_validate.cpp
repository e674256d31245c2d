// rwe validate DIR: checks a registry folder against every rule of the registry format and
// lists every error and warning (docs/registry.md). Exit 0 valid, 1 invalid, 2 usage/I/O.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <iostream>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/registry/validation_report.hpp"
#include "rwe/registry/validator.hpp"

namespace {

int run_validate(int argc, char** argv) {
    CLI::App app{"Check a registry folder against the registry format; list every error and warning"};
    app.name("rwe validate");
    std::string directory;
    std::string format = "text";
    app.add_option("dir", directory, "registry folder (patients.csv, tumors.csv, regimens.csv, ...)")->required();
    app.add_option("--format", format, "output: text (default) or json")
        ->check(CLI::IsMember({"text", "json"}));
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error) == 0 ? 0 : 2;
    }

    using rwe::registry::Diagnostic;
    rwe::registry::ValidationOptions options;
    nlohmann::json diagnostics = nlohmann::json::array();
    if (format == "text") {
        options.on_diagnostic = [](const Diagnostic& diagnostic) { std::cout << rwe::terminal_text(diagnostic.text()) << "\n"; };
    } else {
        options.on_diagnostic = [&](const Diagnostic& diagnostic) {
            diagnostics.push_back(rwe::registry::diagnostic_json(diagnostic));
        };
    }
    options.on_progress = rwe::registry::progress_printer("validate");
    const auto summary = rwe::registry::validate_registry(directory, options);
    rwe::registry::clear_progress();
    if (format == "text") {
        rwe::registry::print_validation_summary(std::cout, directory, summary);
    } else {
        nlohmann::json out = rwe::registry::validation_json(directory, summary);
        out["diagnostics"] = std::move(diagnostics);
        std::cout << out.dump(2) << "\n";
    }
    return summary.valid() ? 0 : 1;
}

}  // namespace

RWE_COMMAND(validate, "check a registry folder: every error as file:line: column: problem", run_validate);
