#pragma once
// Imports a registry folder into an SQLite database, all or nothing.
//
// The registry is validated and loaded in the same streaming pass, into a temporary
// file beside the target, inside one transaction. Only when every rule holds are the
// indexes built, the provenance recorded (source files' SHA-256, import time) and the
// file renamed over the target, an atomic step: an invalid registry or a failure leaves
// no database, or the existing one untouched.

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>

#include "rwe/registry/validator.hpp"

namespace rwe::registry {

struct ImportOptions {
    bool replace = false;  // replace an existing database (atomically)
    std::function<void(const Diagnostic&)> on_diagnostic;
    std::function<void(const Progress&)> on_progress;
    std::string imported_at;  // ISO 8601 UTC time to record; empty = now
};

struct ImportResult {
    ValidationSummary validation;
    bool imported = false;  // false when the registry is invalid (nothing was written)
    std::size_t rows = 0;   // rows loaded, all files
};

// `database` is an SQLite file, or a `postgresql://` URI (postgresql_store.hpp).
// Throws UsageError when `database` exists and options.replace is false; IoError when a
// file cannot be read or written.
ImportResult import_registry(const std::filesystem::path& directory, const std::filesystem::path& database,
                             const ImportOptions& options = {});

// Current time as `YYYY-MM-DDTHH:MM:SSZ`.
std::string utc_timestamp();

}  // namespace rwe::registry
