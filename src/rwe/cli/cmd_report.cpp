// rwe report RESULTS.json --out DIR: the report of a study run again from its results.json
// alone (report.html, figures/, tables/), written all together or not at all.
#include <CLI/CLI.hpp>

#include <iostream>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/report/study_report.hpp"

namespace {

int run_report(int argc, char** argv) {
    CLI::App app{"Render the report of a study run again from its results.json: report.html, figures/, tables/"};
    app.name("rwe report");
    std::string results, out;
    app.add_option("RESULTS", results, "results.json written by rwe run")->required();
    app.add_option("--out", out, "output folder (created; files replaced all together)")->required();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error) == 0 ? 0 : 2;
    }
    const auto files = rwe::report::render_study_report(results, out);
    for (const auto& note : files.notes) std::cerr << "rwe report: note: " << note << "\n";
    std::cout << "rwe report: " << files.figures << " figures and " << files.tables << " tables written to " << out
              << "/report.html" << (files.docx ? " and report.docx" : "") << "\n";
    return 0;
}

}  // namespace

RWE_COMMAND(report, "render report.html, figures and tables again from a results.json", run_report);
