#pragma once
// Imports a registry folder into a PostgreSQL database, all or nothing (docs/registry.md).
//
// One transaction: the registry tables of the connection's schema (current_schema(), the
// first existing schema of its search_path) are created — or, with `replace`, dropped
// and created again — the files are validated and loaded in the same streaming pass with
// COPY, and only when every rule holds are the indexes built, the provenance recorded and
// the transaction committed. An invalid registry, a failure, a lost connection or a killed
// process leaves the schema as it was.

#include <filesystem>
#include <string>

#include "rwe/registry/sqlite_store.hpp"

namespace rwe::registry {

// `location` is a `postgresql://` URI (postgresql_connection.hpp). Throws UsageError when
// the schema already holds registry tables and options.replace is false; IoError when a
// file cannot be read or the server fails.
ImportResult import_registry_postgresql(const std::filesystem::path& directory, const std::string& location,
                                        const ImportOptions& options);

}  // namespace rwe::registry
