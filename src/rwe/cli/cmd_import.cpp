// rwe import DIR --db FILE|postgresql://...: validates a registry folder and loads it into
// an SQLite file or a PostgreSQL database in one pass, all or nothing (docs/registry.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/registry/store_location.hpp"
#include "rwe/registry/sqlite_store.hpp"
#include "rwe/registry/validation_report.hpp"

namespace {

int run_import(int argc, char** argv) {
    CLI::App app{"Validate a registry folder and import it into an SQLite file or a PostgreSQL database (all or nothing)"};
    app.name("rwe import");
    std::string directory;
    std::string database;
    bool replace = false;
    app.add_option("dir", directory, "registry folder")->required();
    app.add_option("--db", database, "SQLite database file to create, or postgresql://[user@]host[:port]/database")->required();
    app.add_flag("--replace", replace, "replace an existing registry store (atomically)");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error) == 0 ? 0 : 2;
    }

    rwe::registry::ImportOptions options;
    options.replace = replace;
    options.on_diagnostic = [](const rwe::registry::Diagnostic& diagnostic) {
        rwe::registry::clear_progress();
        std::cerr << rwe::terminal_text(diagnostic.text()) << "\n";
    };
    options.on_progress = rwe::registry::progress_printer("import");
    const auto result = rwe::registry::import_registry(directory, database, options);
    rwe::registry::clear_progress();
    const auto& summary = result.validation;
    if (!result.imported) {
        std::cerr << "rwe import: registry " << directory << " is invalid (" << summary.errors
                  << (summary.errors == 1 ? " error" : " errors") << "); nothing was imported\n";
        return 1;
    }
    std::cout << "imported " << result.rows << " rows from " << directory << " into " << rwe::registry::shown_location(database) << " ("
              << summary.warnings << (summary.warnings == 1 ? " warning" : " warnings") << ")\n";
    for (const auto& file : summary.files) {
        if (file.present) std::cout << "  " << file.name << ": " << file.rows << " rows\n";
    }
    return 0;
}

}  // namespace

RWE_COMMAND(import, "validate a registry folder and load it into SQLite or PostgreSQL, all or nothing", run_import);
