// rwe export --db FILE --out DIR: writes an imported registry back as CSV files in the
// registry format (docs/registry.md).
#include <CLI/CLI.hpp>

#include <iostream>

#include "rwe/cli/cli_util.hpp"
#include "rwe/cli/command.hpp"
#include "rwe/registry/store_location.hpp"
#include "rwe/registry/registry_export.hpp"

namespace {

int run_export(int argc, char** argv) {
    CLI::App app{"Write an imported registry back as a registry folder (CSV, registry format)"};
    app.name("rwe export");
    std::string database;
    std::string directory;
    bool replace = false;
    app.add_option("--db", database, "registry store written by rwe import: SQLite file or postgresql:// URI")->required();
    app.add_option("--out", directory, "output folder (created when missing)")->required();
    app.add_flag("--replace", replace, "overwrite registry files already in the output folder");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return rwe::cli::parse_failure(app, error) == 0 ? 0 : 2;
    }
    rwe::registry::ExportOptions options;
    options.replace = replace;
    const auto result = rwe::registry::export_registry(database, directory, options);
    std::cout << "exported " << rwe::registry::shown_location(database) << " to " << directory << "\n";
    for (const auto& file : result.files) std::cout << "  " << file.name << ": " << file.rows << " rows\n";
    return 0;
}

}  // namespace

RWE_COMMAND(export, "write an imported registry back as CSV files", run_export);
