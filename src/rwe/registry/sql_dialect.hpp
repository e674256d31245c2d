#pragma once
// Every difference between the SQL engines the registry store may live in, in one place.
// The store's statements (store_schema.hpp) are generated from a dialect, so the same
// schema, inserts and queries run on SQLite and PostgreSQL.

#include <string>
#include <string_view>

namespace rwe::registry {

struct SqlDialect {
    std::string_view name;
    // Dates are ISO 8601 text in every dialect. Text compares and sorts by bytes, as
    // SQLite's default and std::string do (PostgreSQL: the "C" collation, whatever the
    // database's), so that rows come in the order the readers expect.
    std::string_view text_type;
    std::string_view integer_type;  // 64-bit integer
    std::string_view real_type;     // IEEE double
    bool numbered_placeholders = false;  // `$1, $2` (PostgreSQL) instead of `?` (SQLite)

    // Placeholder for the `position`-th (1-based) bound parameter.
    std::string placeholder(int position) const {
        return numbered_placeholders ? "$" + std::to_string(position) : std::string("?");
    }
    // Identifiers are quoted so that a column named like a keyword (`line`) is safe.
    std::string quote(std::string_view identifier) const { return "\"" + std::string(identifier) + "\""; }
    // A text literal, for SQL generated with its values inline: standard SQL (quotes
    // doubled), as SQLite and PostgreSQL (standard_conforming_strings) read it.
    static std::string literal(std::string_view text) {
        std::string out = "'";
        for (char c : text) {
            if (c == '\'') out += '\'';
            out += c;
        }
        return out + "'";
    }
};

inline constexpr SqlDialect sqlite_dialect{"sqlite", "TEXT", "INTEGER", "REAL", false};
inline constexpr SqlDialect postgresql_dialect{"postgresql", "TEXT COLLATE \"C\"", "BIGINT", "DOUBLE PRECISION", true};

}  // namespace rwe::registry
