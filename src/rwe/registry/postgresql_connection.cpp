#include "rwe/registry/postgresql_connection.hpp"

#include <charconv>

#include "rwe/common/error.hpp"
#include "rwe/registry/registry_schema.hpp"
#include "rwe/registry/store_schema.hpp"

namespace rwe::registry {

namespace {

std::string trimmed(const char* message) {
    std::string text = message ? message : "";
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    // libpq's messages may run over several lines (DETAIL, HINT, indented): one line for ours.
    std::string line;
    for (const char c : text) {
        const bool space = c == '\n' || c == '\t' || c == ' ';
        if (space && (line.empty() || line.back() == ' ')) continue;
        line += space ? ' ' : c;
    }
    return line.empty() ? "no reason given" : line;
}

std::string describe(PGconn* connection) {
    const auto value = [&](const char* text) { return std::string(text ? text : ""); };
    std::string out = "postgresql://" + value(PQuser(connection)) + "@" + value(PQhost(connection));
    if (!value(PQport(connection)).empty()) out += ":" + value(PQport(connection));
    return out + "/" + value(PQdb(connection));
}

void ignore_notice(void*, const char*) {}

}  // namespace

PgConnection::PgConnection(const std::string& location) {
    // The URI is libpq's own (expand_dbname): its parameters, PG* variables and ~/.pgpass
    // apply as in psql. rwe names itself to the server unless the URI does.
    const char* keywords[] = {"dbname", "fallback_application_name", "client_encoding", nullptr};
    const char* values[] = {location.c_str(), "rwe", "UTF8", nullptr};
    connection_ = PQconnectdbParams(keywords, values, 1);
    if (connection_ == nullptr) throw IoError(shown_location(location) + ": cannot connect (out of memory)");
    if (PQstatus(connection_) != CONNECTION_OK) {
        // The server tried, as libpq resolved it (host, port, database and user may come
        // from PG* variables rather than the URI).
        const std::string shown = shown_location(location), tried = describe(connection_);
        const std::string message = shown + ": cannot connect to PostgreSQL" + (tried == shown ? "" : " (" + tried + ")") +
                                    ": " + trimmed(PQerrorMessage(connection_));
        PQfinish(connection_);
        connection_ = nullptr;
        throw IoError(message);
    }
    shown_ = describe(connection_);
    PQsetNoticeProcessor(connection_, ignore_notice, nullptr);
}

PgConnection::~PgConnection() { PQfinish(connection_); }

void PgConnection::fail(const std::string& what, const PGresult* result) const {
    if (PQstatus(connection_) == CONNECTION_BAD) {
        throw IoError(shown_ + ": connection lost during " + what + " (" + trimmed(PQerrorMessage(connection_)) + ")");
    }
    const char* message = result ? PQresultErrorMessage(result) : nullptr;
    if (message == nullptr || *message == '\0') message = PQerrorMessage(connection_);
    throw IoError(shown_ + ": " + what + " failed (" + trimmed(message) + ")");
}

void PgConnection::execute(const std::string& sql) {
    PgResult result(PQexec(connection_, sql.c_str()));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("`" + sql.substr(0, 80) + "`", result.get());
}

PgResult PgConnection::query(const std::string& sql, const std::vector<std::string>& parameters) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    for (const std::string& parameter : parameters) {
        values.push_back(parameter.c_str());
        lengths.push_back(static_cast<int>(parameter.size()));
    }
    PgResult result(PQexecParams(connection_, sql.c_str(), static_cast<int>(parameters.size()), nullptr, values.data(),
                                 lengths.data(), nullptr, 0));
    const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) fail("`" + sql.substr(0, 80) + "`", result.get());
    return result;
}

std::vector<std::string> registry_store_tables() {
    std::vector<std::string> tables{"import_info", "source_files"};
    for (const FileSpec& file : registry_files()) tables.emplace_back(file.table);
    tables.emplace_back(administration_days_table().table);
    return tables;
}

namespace {

class PgRow : public StoreRow {
public:
    void set(const PGresult* result, int row) {
        result_ = result;
        row_ = row;
    }
    bool is_null(int column) const override { return PQgetisnull(result_, row_, column) != 0; }
    std::string_view text(int column) const override {
        return {PQgetvalue(result_, row_, column), static_cast<std::size_t>(PQgetlength(result_, row_, column))};
    }
    // Numbers come as text: float8 in the shortest form that reads back exactly
    // (extra_float_digits ≥ 1, PostgreSQL's default since version 12).
    double real(int column) const override {
        double value = 0;
        const std::string_view digits = text(column);  // from_chars: whatever the C locale
        std::from_chars(digits.data(), digits.data() + digits.size(), value);
        return value;
    }
    std::int64_t integer(int column) const override {
        std::int64_t value = 0;
        const std::string_view digits = text(column);
        std::from_chars(digits.data(), digits.data() + digits.size(), value);
        return value;
    }

private:
    const PGresult* result_ = nullptr;
    int row_ = 0;
};

// A statement's rows through a server-side cursor, fetched `fetch_rows` at a time: memory
// is bounded by a fetch, and other statements may run on the connection meanwhile.
class PgCursor : public StoreCursor {
public:
    PgCursor(PgConnection& connection, std::string name) : connection_(connection), name_(std::move(name)) {}
    ~PgCursor() override {
        if (open_) PgResult(PQexec(connection_.get(), ("CLOSE " + name_).c_str()));
    }
    PgCursor(const PgCursor&) = delete;
    PgCursor& operator=(const PgCursor&) = delete;

    bool next() override {
        if (++row_ < rows_) {
            row_view_.set(result_.get(), row_);
            return true;
        }
        if (!open_) return false;
        if (rows_ >= 0 && rows_ < fetch_rows) return close();
        result_ = connection_.query("FETCH FORWARD " + std::to_string(fetch_rows) + " FROM " + name_);
        rows_ = PQntuples(result_.get());
        row_ = 0;
        if (rows_ == 0) return close();
        row_view_.set(result_.get(), row_);
        return true;
    }
    const StoreRow& row() const override { return row_view_; }

private:
    static constexpr int fetch_rows = 10000;
    bool close() {
        open_ = false;
        result_.reset();
        rows_ = 0;
        connection_.execute("CLOSE " + name_);
        return false;
    }

    PgConnection& connection_;
    std::string name_;
    PgResult result_;
    int rows_ = -1;  // rows of the last fetch; -1 before the first
    int row_ = -1;
    bool open_ = true;
    PgRow row_view_;
};

std::string lock_statement(bool wait) {
    std::string sql = "LOCK TABLE ";
    const auto tables = registry_store_tables();
    for (std::size_t k = 0; k < tables.size(); ++k) sql += (k ? ", " : "") + postgresql_dialect.quote(tables[k]);
    return sql + " IN ACCESS SHARE MODE" + (wait ? "" : " NOWAIT");
}

class PostgresqlStoreConnection : public StoreConnection {
public:
    // `snapshot`: empty for the first connection of a study; else the first's exported
    // snapshot, so that a second reader sees exactly the same rows.
    PostgresqlStoreConnection(const std::string& location, const std::string& snapshot)
        : location_(location), connection_(location) {
        // Read-only for the whole session: rwe run never writes to a registry store.
        connection_.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        if (snapshot.empty()) {
            PgResult found = connection_.query("SELECT to_regclass('import_info') IS NOT NULL");
            if (std::string_view(PQgetvalue(found.get(), 0, 0)) != "t") {
                PgResult schema = connection_.query("SELECT coalesce(current_schema(), '(none)')");
                throw IoError(connection_.shown() + ": no registry store in schema " + PQgetvalue(schema.get(), 0, 0) +
                              " (no import_info table; run rwe import first)");
            }
        }
        connection_.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
        if (!snapshot.empty()) {
            connection_.execute("SET TRANSACTION SNAPSHOT " + SqlDialect::literal(snapshot));
        }
        // The lock comes before the first query, so the transaction's snapshot is taken
        // once no import can be half-way through. A second reader does not wait: an
        // import queued behind the first reader's lock would otherwise wait for this
        // study, and the study for it.
        PgResult locked(PQexec(connection_.get(), lock_statement(snapshot.empty()).c_str()));
        if (PQresultStatus(locked.get()) != PGRES_COMMAND_OK) {
            const char* state = PQresultErrorField(locked.get(), PG_DIAG_SQLSTATE);
            if (state != nullptr && std::string_view(state) == "55P03") {
                throw IoError(connection_.shown() + ": the registry store is being replaced by an import; run again when it has finished");
            }
            connection_.fail("locking the registry tables (is this a registry store written by rwe import?)", locked.get());
        }
        // A registry spread over servers: its tables are partitioned, the partitions
        // foreign tables (scripts/pg_cluster.sh). The planner's row estimates of the
        // derivation's chain of CTEs are far too low (a handful for a whole cohort), and
        // with them it picks nested loops, which over foreign tables send one remote query
        // per outer row. Every join rwe writes is on equal keys, so hash and merge joins
        // always serve; this transaction uses only those.
        PgResult spread = connection_.query(
            "SELECT EXISTS (SELECT 1 FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
            "WHERE h.inhparent = to_regclass('assessments') AND c.relkind = 'f')");
        spread_ = std::string_view(PQgetvalue(spread.get(), 0, 0)) == "t";
        if (spread_) connection_.execute("SET LOCAL enable_nestloop = off");
    }

    bool spread_over_servers() override { return spread_; }

    const SqlDialect& dialect() const override { return postgresql_dialect; }

    std::unique_ptr<StoreCursor> execute(const std::string& sql, const std::vector<std::string>& parameters) override {
        std::string name = "rwe_cursor_" + std::to_string(++cursors_);
        connection_.query("DECLARE " + name + " NO SCROLL CURSOR FOR " + sql, parameters);
        return std::make_unique<PgCursor>(connection_, std::move(name));
    }

    bool has_table(const std::string& table) override {
        PgResult result = connection_.query("SELECT 1 WHERE to_regclass(quote_ident($1)) IS NOT NULL", {table});
        return PQntuples(result.get()) > 0;
    }

    bool has_column(const std::string& table, const std::string& column) override {
        PgResult result = connection_.query(
            "SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass(quote_ident($1)) AND attname = $2 "
            "AND attnum > 0 AND NOT attisdropped",
            {table, column});
        return PQntuples(result.get()) > 0;
    }

    std::unique_ptr<StoreConnection> open_reader() override {
        PgResult snapshot = connection_.query("SELECT pg_export_snapshot()");
        return std::make_unique<PostgresqlStoreConnection>(location_, PQgetvalue(snapshot.get(), 0, 0));
    }

private:
    std::string location_;
    bool spread_ = false;  // spread_over_servers()
    PgConnection connection_;
    unsigned long cursors_ = 0;
};

}  // namespace

std::unique_ptr<StoreConnection> open_postgresql_store(const std::string& location) {
    return std::make_unique<PostgresqlStoreConnection>(location, "");
}

}  // namespace rwe::registry
