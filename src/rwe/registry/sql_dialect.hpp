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
    // Days since 1970-01-01 of an ISO 8601 date text (rwe's Day), and back.
    std::string day_of(const std::string& iso) const {
        return numbered_placeholders ? "((" + iso + ")::date - DATE '1970-01-01')"
                                     : "CAST(julianday(" + iso + ") - 2440587.5 AS INTEGER)";
    }
    std::string iso_of(const std::string& day) const {
        return numbered_placeholders ? "to_char(DATE '1970-01-01' + CAST(" + day + " AS INTEGER), 'YYYY-MM-DD')"
                                     : "date((" + day + ") + 2440587.5)";
    }
    // A number as an IEEE double, so that arithmetic is floating point in every dialect
    // (SQLite divides integers as integers; PostgreSQL's decimal literals are numeric).
    std::string real(const std::string& number) const { return "CAST(" + number + " AS " + std::string(real_type) + ")"; }
    // Toward zero, as a double.
    std::string truncate(const std::string& number) const {
        return numbered_placeholders ? "trunc(" + number + ")" : "CAST(CAST(" + number + " AS INTEGER) AS REAL)";
    }
    // Letters A-Z only, as the registry's codes compare (PostgreSQL: in the C collation,
    // whatever the database's locale).
    std::string lower_ascii(const std::string& text) const {
        return numbered_placeholders ? "lower((" + text + ") COLLATE \"C\")" : "lower(" + text + ")";
    }
    std::string upper_ascii(const std::string& text) const {
        return numbered_placeholders ? "upper((" + text + ") COLLATE \"C\")" : "upper(" + text + ")";
    }
    // The 1-based position of `needle` in `text`; 0 when absent.
    std::string find(const std::string& text, const std::string& needle) const {
        return (numbered_placeholders ? "strpos(" : "instr(") + text + ", " + needle + ")";
    }
    // A FROM item with one row per day number of a list "17532 17553 ..." (the days of
    // administration_days), in the column `alias`.value.
    std::string days_of(const std::string& list, const std::string& alias) const {
        return numbered_placeholders ? "LATERAL unnest(string_to_array(" + list + ", ' ')::integer[]) AS " + alias + "(value)"
                                     : "json_each('[' || replace(" + list + ", ' ', ',') || ']') AS " + alias;
    }
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
