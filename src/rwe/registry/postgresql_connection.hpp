#pragma once
// PostgreSQL through libpq: a location `postgresql://[user[:password]@][host][:port][/database][?param=value...]`
// (libpq's connection URI; `postgres://` also), credentials from the URL, the PG*
// environment variables or ~/.pgpass as libpq reads them. A password never appears in
// what rwe prints or writes: locations are shown by `shown_location()`.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "rwe/registry/store_connection.hpp"
#include "rwe/registry/store_location.hpp"

namespace rwe::registry {

struct PgResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// One libpq connection; failures become IoError naming the server without the password.
class PgConnection {
public:
    // Connects (blocking). Throws IoError with the host, port, database and user tried and
    // libpq's reason.
    explicit PgConnection(const std::string& location);
    ~PgConnection();
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    PGconn* get() const { return connection_; }
    // The server as `postgresql://user@host:port/database` (never a password).
    const std::string& shown() const { return shown_; }

    // Runs a statement that returns no rows (or whose rows are not wanted).
    void execute(const std::string& sql);
    // Runs a statement with text parameters; throws IoError unless it succeeds.
    PgResult query(const std::string& sql, const std::vector<std::string>& parameters = {});
    // Throws IoError: `what` failed, with the server's message from `result` (or the
    // connection's, e.g. when it was lost).
    [[noreturn]] void fail(const std::string& what, const PGresult* result = nullptr) const;

private:
    PGconn* connection_ = nullptr;
    std::string shown_;
};

// The tables of a registry store (store_schema.hpp), the provenance tables first.
std::vector<std::string> registry_store_tables();

// A read-only connection to the registry store at `location` (docs/registry.md): every
// statement runs in one read-only REPEATABLE READ transaction that holds a share lock on
// the registry tables, so an import into the same schema waits for the study to finish
// and the study never sees half of one.
std::unique_ptr<StoreConnection> open_postgresql_store(const std::string& location);

}  // namespace rwe::registry
