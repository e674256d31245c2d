// The PostgreSQL engine of the store boundary against the test server
// (tests/postgresql.cmake starts it and passes its state file).
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "rwe/common/error.hpp"
#include "rwe/registry/postgresql_connection.hpp"
#include "rwe/registry/sqlite_store.hpp"
#include "rwe/registry/store_connection.hpp"

namespace {

namespace fs = std::filesystem;

// A value from the state file of postgresql_server.sh (NAME='value').
std::string server_state(const std::string& name) {
    std::ifstream state(RWE_POSTGRESQL_STATE);
    std::string line;
    const std::string prefix = name + "='";
    while (std::getline(state, line)) {
        if (line.rfind(prefix, 0) == 0) return line.substr(prefix.size(), line.size() - prefix.size() - 1);
    }
    return "";
}

// The server's URL, with its password.
std::string server_url() { return server_state("PG_URL"); }

// A fresh, empty database; its URL.
std::string fresh_database(const std::string& name) {
    const std::string url = server_url();
    rwe::registry::PgConnection admin(url + "/postgres");
    admin.execute("DROP DATABASE IF EXISTS " + name);
    admin.execute("CREATE DATABASE " + name);
    return url + "/" + name;
}

rwe::registry::ImportResult quiet_import(const fs::path& directory, const std::string& location, bool replace = false) {
    rwe::registry::ImportOptions options;
    options.replace = replace;
    options.on_diagnostic = [](const rwe::registry::Diagnostic&) {};
    return rwe::registry::import_registry(directory, location, options);
}

class PostgresqlStore : public ::testing::Test {
protected:
    void SetUp() override {
        if (server_url().empty()) FAIL() << "no PostgreSQL test server: " RWE_POSTGRESQL_STATE " is missing (see postgresql_server_start)";
    }
};

TEST_F(PostgresqlStore, StudyConnectionIsReadOnly) {
    const std::string url = fresh_database("check_read_only");
    ASSERT_TRUE(quiet_import(fs::path(RWE_TEST_DATA_DIR) / "registry" / "valid_v2", url).imported);
    auto store = rwe::registry::open_store(url);
    // The study's transaction, and any other of its session, is read-only: the server
    // refuses every write.
    auto setting = store->execute(
        "SELECT current_setting('transaction_read_only'), current_setting('default_transaction_read_only')");
    ASSERT_TRUE(setting->next());
    EXPECT_EQ(setting->row().text(0), "on");
    EXPECT_EQ(setting->row().text(1), "on");
    auto reader = store->open_reader();
    auto reader_setting = reader->execute("SELECT current_setting('transaction_read_only')");
    ASSERT_TRUE(reader_setting->next());
    EXPECT_EQ(reader_setting->row().text(0), "on");
}

TEST_F(PostgresqlStore, ReadersSeeTheSameRows) {
    const std::string url = fresh_database("check_readers");
    ASSERT_TRUE(quiet_import(fs::path(RWE_TEST_DATA_DIR) / "registry" / "valid_v2", url).imported);
    auto first = rwe::registry::open_store(url);
    auto second = first->open_reader();
    std::string ids[2];
    int k = 0;
    for (auto* store : {first.get(), second.get()}) {
        store->for_each_row("SELECT patient_id, birth_date FROM patients ORDER BY patient_id", {},
                            [&](const rwe::registry::StoreRow& row) { ids[k] += std::string(row.text(0)) + " "; });
        ++k;
    }
    EXPECT_FALSE(ids[0].empty());
    EXPECT_EQ(ids[0], ids[1]);
    EXPECT_TRUE(first->has_table("administration_days"));
    EXPECT_TRUE(first->has_column("tumors", "primary_site"));
    EXPECT_FALSE(first->has_column("tumors", "no_such_column"));
    EXPECT_FALSE(first->has_table("no_such_table"));
}

TEST_F(PostgresqlStore, CursorsNestAndBindParameters) {
    const std::string url = fresh_database("check_cursors");
    ASSERT_TRUE(quiet_import(fs::path(RWE_TEST_DATA_DIR) / "registry" / "valid_v2", url).imported);
    auto store = rwe::registry::open_store(url);
    auto outer = store->execute("SELECT patient_id FROM patients ORDER BY patient_id");
    std::size_t tumours = 0;
    while (outer->next()) {
        const std::string id(outer->row().text(0));
        store->for_each_row("SELECT count(*) FROM tumors WHERE patient_id = $1", {id},
                            [&](const rwe::registry::StoreRow& row) { tumours += static_cast<std::size_t>(row.integer(0)); });
    }
    std::size_t all = 0;
    store->for_each_row("SELECT count(*) FROM tumors", {}, [&](const rwe::registry::StoreRow& row) { all = static_cast<std::size_t>(row.integer(0)); });
    EXPECT_GT(all, 0u);
    EXPECT_EQ(tumours, all);
}

TEST_F(PostgresqlStore, ADatabaseWithoutARegistryIsRefused) {
    const std::string url = fresh_database("check_empty");
    try {
        rwe::registry::open_store(url);
        FAIL() << "opened an empty database";
    } catch (const rwe::IoError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("no registry store in schema public"), std::string::npos) << message;
        EXPECT_EQ(message.find(server_state("PG_PASSWORD")), std::string::npos) << "password shown: " << message;
    }
}

}  // namespace
