#pragma once
// The store boundary: what the study pipeline needs of the database a registry lives in,
// so that a second engine (PostgreSQL) is one more implementation of these classes and
// the study code does not change. PostgreSQL is the second (postgresql_connection.hpp). A connection runs a statement (SQL in the connection's
// dialect, with bound text parameters) and streams its rows through a cursor, one row at a
// time; nothing is buffered beyond the row.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/registry/sql_dialect.hpp"

namespace rwe::registry {

// The current row of a cursor, read by column position (0-based). Valid until the cursor
// moves on.
class StoreRow {
public:
    virtual ~StoreRow() = default;
    virtual bool is_null(int column) const = 0;
    virtual std::string_view text(int column) const = 0;  // "" when null
    virtual double real(int column) const = 0;
    virtual std::int64_t integer(int column) const = 0;
};

// The rows of one executed statement.
class StoreCursor {
public:
    virtual ~StoreCursor() = default;
    // Moves to the next row; false at the end. Throws IoError when the read fails.
    virtual bool next() = 0;
    virtual const StoreRow& row() const = 0;
};

// A read-only connection to a registry store.
class StoreConnection {
public:
    virtual ~StoreConnection() = default;
    virtual const SqlDialect& dialect() const = 0;
    // Executes `sql` with `parameters` bound to its placeholders (dialect().placeholder(k))
    // in order. Throws IoError naming the store when the statement fails.
    virtual std::unique_ptr<StoreCursor> execute(const std::string& sql, const std::vector<std::string>& parameters = {}) = 0;
    virtual bool has_table(const std::string& table) = 0;
    virtual bool has_column(const std::string& table, const std::string& column) = 0;
    // True when the registry tables are spread over servers (PostgreSQL partitions on
    // other servers through postgres_fdw), where a query per patient is a round trip each.
    virtual bool spread_over_servers() { return false; }
    // Another connection to the same store that sees the same rows, for a reader on
    // another thread (a connection is used by one thread at a time).
    virtual std::unique_ptr<StoreConnection> open_reader() = 0;

    // Every row of a statement, in order.
    void for_each_row(const std::string& sql, const std::vector<std::string>& parameters,
                      const std::function<void(const StoreRow&)>& on_row);
};

// Opens the registry store at `location` read-only: an SQLite file written by `rwe
// import`, or a PostgreSQL database given by a `postgresql://` URI
// (postgresql_connection.hpp). Throws IoError when there is none or it cannot be opened.
std::unique_ptr<StoreConnection> open_store(const std::string& location);

}  // namespace rwe::registry
