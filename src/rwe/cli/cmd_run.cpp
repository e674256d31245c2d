// rwe run: a study protocol on a registry store.
#include <CLI/CLI.hpp>

#include <iostream>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/common/error.hpp"
#include "rwe/study/run_study.hpp"

namespace {

int run_run(int argc, char** argv) {
    CLI::App app{"Run a study protocol on a registry store: results.json and the analysis datasets"};
    app.name("rwe run");
    std::string protocol, database, out;
    app.add_option("PROTOCOL", protocol, "study protocol (TOML, docs/protocols.md)")->required();
    app.add_option("--db", database, "registry store written by rwe import: SQLite file or postgresql:// URI")->required();
    app.add_option("--out", out, "output folder (created; files replaced all together)")->required();
    std::string derive = "rwe";
    app.add_option("--derive", derive,
                   "where the analysis datasets are derived: rwe (from the registry rows, the faster on one machine) or "
                   "store (SQL generated from the protocol, run by the store: only the datasets leave it); the same datasets either way")
        ->check(CLI::IsMember({"rwe", "store"}))
        ->default_str("rwe");
    std::string reduce = "rwe";
    app.add_option("--reduce", reduce,
                       "where the analyses' inputs are reduced: rwe (from the analysis datasets) or store (the store derives and "
                       "counts: patients per selection step and group, records per group, stratum, time, event and covariate "
                       "pattern; no patient's row leaves it; for protocols whose analyses are attrition, km, logrank, followup, "
                       "cox and association)")
            ->check(CLI::IsMember({"rwe", "store"}))
            ->default_str("rwe");
    auto* derive_option = app.get_option("--derive");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error) == 0 ? 0 : 2;
    }
    if (reduce == "store" && derive_option->count() > 0 && derive == "rwe") {
        throw rwe::UsageError("--reduce store: the store derives what it counts; --derive rwe asks rwe to derive (drop one of them)");
    }
    const auto summary = rwe::study::run_study(protocol, database, out,
                                               derive == "store" || reduce == "store" ? rwe::study::DeriveIn::store : rwe::study::DeriveIn::rwe,
                                               reduce == "store" ? rwe::study::ReduceIn::store : rwe::study::ReduceIn::rwe);
    for (const auto& warning : summary.warnings) std::cerr << rwe::terminal_text(warning) << "\n";
    for (const auto& note : summary.notes) std::cerr << "rwe run: note: " << note << "\n";
    std::cout << "rwe run: " << summary.cohort << " of " << summary.patients << " patients in the cohort; "
              << summary.analyses << " analyses written to " << out << "/results.json\n";
    return 0;
}

}  // namespace

RWE_COMMAND(run, "run a study protocol on a registry store", run_run);
