#pragma once
// Readable and JSON forms of a validation (used by `rwe validate` and `rwe import`), and a
// progress line on stderr when it is a terminal.

#include <nlohmann/json.hpp>

#include <functional>
#include <ostream>
#include <string>

#include "rwe/registry/validator.hpp"

namespace rwe::registry {

nlohmann::json diagnostic_json(const Diagnostic& diagnostic);
nlohmann::json validation_json(const std::string& directory, const ValidationSummary& summary);
void print_validation_summary(std::ostream& out, const std::string& directory,
                              const ValidationSummary& summary);

// A progress callback that rewrites one stderr line (`import: regimens.csv 42%  1,234,567
// rows`) when stderr is a terminal; an empty function otherwise.
std::function<void(const Progress&)> progress_printer(const std::string& verb);
// Erases the progress line, if one was printed.
void clear_progress();

}  // namespace rwe::registry
